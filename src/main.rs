mod cli;
mod commands;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = match commands::dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mountbench: error: {e}");
            match e.downcast_ref::<mountbench::Error>() {
                Some(err) => err.exit_code(),
                None => 1,
            }
        }
    };
    std::process::exit(code);
}
