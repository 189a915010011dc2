//! The binary's edge: each subcommand calls the library and prints for people.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use mountbench::agent::{self, FsSpace, MountFacts, PrepareSpec, RepSpec};
use mountbench::cancel::CancelToken;
use mountbench::datadir::DataDir;
use mountbench::engine::address::{DockerEnv, EngineAddress, DEFAULT_NAME};
use mountbench::engine::cleanup;
use mountbench::engine::endpoint::EngineArg;
use mountbench::engine::error::EngineError;
use mountbench::engine::Engine;
use mountbench::env::HostFacts;
use mountbench::error::IoContext;
use mountbench::plan::{Overrides, Plan, WorkloadFile};
use mountbench::run::{self, RunOptions};
use mountbench::targets::agent_binary::{AgentBinaries, EngineKind};
use mountbench::targets::{dataset_volume, shared_folder};

use crate::cli::{AgentCommand, CleanArgs, Command, InfoArgs, RunArgs};
use crate::data_commands;
use crate::summary_table;

pub fn dispatch(command: Command) -> Result<i32> {
    match command {
        Command::Run(args) => run(*args),
        Command::Report(args) => {
            let written = mountbench::report::render_dirs(&args.dirs, &args.out)?;
            println!("report: {}", written.display());
            Ok(0)
        }
        Command::Info(args) => info(args),
        Command::Clean(args) => clean(args),
        Command::Agent { command } => agent_command(command),
    }
}

/// The host's binary, those of `--agent-binary` and MOUNTBENCH_AGENT_BINARY (a bad one is an
/// input error now, before anything starts), and those the cross script left.
fn agent_binaries(flag: &[PathBuf]) -> Result<AgentBinaries> {
    let host = std::env::current_exe().context("cannot find the mountbench binary")?;
    Ok(AgentBinaries::for_exe(host, flag).map_err(mountbench::Error::from)?)
}

fn run(args: RunArgs) -> Result<i32> {
    let agents = agent_binaries(&args.agent_binaries)?;
    let cancel = CancelToken::new();
    let on_signal = cancel.clone();
    let _ = ctrlc::set_handler(move || on_signal.cancel());
    if let Some(dir) = &args.resume {
        let data_dir = match args.data_dir {
            Some(d) => d,
            None => PathBuf::from(mountbench::env::Env::load(dir)?.host.data_dir),
        };
        let options = RunOptions {
            out: Some(dir.clone()),
            data_dir,
            engines: Vec::new(),
            agents,
            drop_caches: false,
            progress: !args.quiet,
            cancel,
            keep_free: args.keep_free,
        };
        return finish_run(run::resume(dir, options)?);
    }
    if args.swarm.is_some() || args.k8s_manifests {
        return crate::fleet_commands::run(args, agents, cancel);
    }
    let file = WorkloadFile::load(&args.workload)?;
    let names: Vec<String> = args.engines.iter().map(|e| e.name.clone()).collect();
    let overrides = Overrides {
        targets: args.targets,
        engines: (!names.is_empty()).then_some(names),
        reps: args.reps,
        warmup: args.warmup,
        seed: args.seed,
        workloads: args.only,
        scale: args.scale,
        target_ci: args.target_ci,
        max_reps: args.max_reps,
    };
    let plan = Plan::new(file, &overrides)?;
    let options = RunOptions {
        out: args.out,
        data_dir: args.data_dir.unwrap_or_else(DataDir::default_path),
        engines: args.engines,
        agents,
        drop_caches: args.drop_caches,
        progress: !args.quiet,
        cancel,
        keep_free: args.keep_free,
    };
    finish_run(run::run(plan, options)?)
}

/// The table, the report and what failed, after a run or a resume.
fn finish_run(summary: run::RunSummary) -> Result<i32> {
    let env = mountbench::env::Env::load(&summary.out_dir).ok();
    summary_table::print_table(&summary.analysis);
    summary_table::print_bind_vs_volume(&summary.analysis);
    summary_table::print_boundary(&summary.out_dir);
    if let Some(env) = &env {
        summary_table::print_context(env);
    }
    let report =
        mountbench::report::render_dirs(std::slice::from_ref(&summary.out_dir), &summary.out_dir);
    println!("results: {}", summary.out_dir.display());
    if let Err(e) = report {
        eprintln!("mountbench: the report could not be rendered: {e}");
    }
    for e in &summary.teardown_errors {
        eprintln!(
            "mountbench: cleanup failed: {e} (when the engine answers again: `mountbench clean --run {}`)",
            summary.run_id
        );
    }
    if summary.interrupted {
        eprintln!(
            "mountbench: interrupted; the reps done so far are in {0}; finish with `mountbench run --resume {0}`",
            summary.out_dir.display()
        );
        return Ok(130);
    }
    if !summary.failed_reps.is_empty() {
        eprintln!("mountbench: {} rep(s) failed:", summary.failed_reps.len());
        for f in summary.failed_reps.iter().take(20) {
            eprintln!("  {f}");
        }
        if summary.failed_reps.len() > 20 {
            eprintln!(
                "  … and {} more (reps.csv has them all)",
                summary.failed_reps.len() - 20
            );
        }
        eprintln!(
            "mountbench: run them again with `mountbench run --resume {}`",
            summary.out_dir.display()
        );
        return Ok(1);
    }
    Ok(if summary.teardown_errors.is_empty() {
        0
    } else {
        1
    })
}

fn info(args: InfoArgs) -> Result<i32> {
    let data_dir = args.data_dir.unwrap_or_else(DataDir::default_path);
    let probe = if data_dir.exists() {
        data_dir.clone()
    } else {
        PathBuf::from("/")
    };
    let host = HostFacts::collect(&probe);
    let agents = agent_binaries(&args.agent_binaries)?;
    let engines = connect_all(&args.engines)?;
    let kinds: Vec<(String, EngineKind)> = engines
        .iter()
        .filter_map(|i| {
            Some((
                i.name.clone(),
                EngineKind::of(&i.engine.as_ref().ok()?.facts),
            ))
        })
        .collect();
    agents
        .check_engines(&kinds)
        .map_err(mountbench::Error::from)?;
    if args.json {
        let described: Vec<_> = engines.iter().map(|e| e.json(&agents)).collect();
        let first = engines.first();
        let json = serde_json::json!({
            "host": host,
            "data_dir": data_dir,
            "engine": first.and_then(|e| e.engine.as_ref().ok()).map(|e| &e.facts),
            "engine_error": first.and_then(|e| e.engine.as_ref().err()).map(|e| e.to_string()),
            "engines": described,
            "datasets": data_commands::datasets_json(&data_dir)?,
            "footprint": args.workload.as_deref().map(|w| data_commands::footprint_json(w, args.scale)).transpose()?,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(0);
    }
    println!(
        "host        {} — {} {} {}",
        host.hostname, host.os, host.kernel, host.arch
    );
    println!("cpu         {}", host.cpu_line());
    println!(
        "memory      {:.1} GiB",
        host.memory_bytes as f64 / (1u64 << 30) as f64
    );
    let fs = host
        .data_mount
        .as_ref()
        .map(|m| {
            let case = host.case_note();
            format!("{} on {} ({}){case}", m.fs_type, m.mount_point, m.options)
        })
        .unwrap_or_default();
    println!("data dir    {} — {fs}", data_dir.display());
    for engine in &engines {
        engine.print(&agents);
    }
    data_commands::print_datasets(&data_dir)?;
    if let Some(path) = &args.workload {
        data_commands::print_footprint(path, args.scale)?;
    }
    Ok(0)
}

/// One engine `info` describes: connected, or why not.
struct EngineInfo {
    name: String,
    endpoint: String,
    engine: std::result::Result<Engine, EngineError>,
}

/// The engines of `--engine` (bad names, duplicates and unknown contexts are input errors),
/// or the default one; each connected, reachable or not.
fn connect_all(args: &[EngineArg]) -> Result<Vec<EngineInfo>> {
    let env = DockerEnv::from_process();
    if args.is_empty() {
        let info = match EngineAddress::default_engine(&env) {
            Ok(address) => EngineInfo::new(&address, Engine::connect(&address)),
            Err(e) => EngineInfo {
                name: DEFAULT_NAME.into(),
                endpoint: String::new(),
                engine: Err(e),
            },
        };
        return Ok(vec![info]);
    }
    let addresses = EngineAddress::resolve(args, &env).map_err(mountbench::Error::from)?;
    let mut engines = Vec::new();
    for address in &addresses {
        match Engine::connect(address) {
            Err(e) if e.is_input() => return Err(mountbench::Error::from(e).into()),
            engine => engines.push(EngineInfo::new(address, engine)),
        }
    }
    Ok(engines)
}

impl EngineInfo {
    fn new(
        address: &EngineAddress,
        engine: std::result::Result<Engine, EngineError>,
    ) -> EngineInfo {
        EngineInfo {
            name: address.name.clone(),
            endpoint: address.endpoint.to_string(),
            engine,
        }
    }

    fn json(&self, agents: &AgentBinaries) -> serde_json::Value {
        serde_json::json!({
            "agent": self.engine.as_ref().ok().map(|e| agents.choose(EngineKind::of(&e.facts)).to_string()),
            "name": self.name,
            "endpoint": self.endpoint,
            "identity": self.engine.as_ref().ok().map(|e| e.facts.identity_label()),
            "facts": self.engine.as_ref().ok().map(|e| &e.facts),
            "error": self.engine.as_ref().err().map(|e| e.to_string()),
        })
    }

    fn print(&self, agents: &AgentBinaries) {
        let e = match &self.engine {
            Ok(e) => e,
            Err(e) => {
                println!("engine      {} not reachable: {e}", self.name);
                return;
            }
        };
        let f = &e.facts;
        println!("engine      {} — {}", f.name, f.identity_label());
        let why = f.identity.as_ref().map(|i| i.why.as_str()).unwrap_or("");
        println!("  endpoint  {} ({}); {why}", f.docker_host, e.address.via);
        println!("  version   {} (API {})", f.software(), f.api_version);
        println!("  agent     {}", agents.choose(EngineKind::of(&e.facts)));
        if let Some(hint) = f.rootless_hint() {
            println!("  note      {hint}");
        }
        println!(
            "  os        {} ({}, kernel {}, {})",
            f.operating_system, f.os_type, f.kernel, f.arch
        );
        println!(
            "  storage   {} driver; cgroup v{} ({})",
            f.storage_driver, f.cgroup_version, f.cgroup_driver
        );
        println!(
            "  resources {} CPUs, {:.1} GiB",
            f.ncpu,
            f.mem_total as f64 / (1u64 << 30) as f64
        );
    }
}

/// The volume target's persistent dataset volumes on each engine (those a container uses
/// stay); an engine that does not answer is named and skipped.
fn clean_dataset_volumes(args: &CleanArgs) -> Result<()> {
    let addresses = EngineAddress::chosen(&args.engines, &DockerEnv::from_process())
        .map_err(mountbench::Error::from)?;
    for address in &addresses {
        let engine = match Engine::connect(address) {
            Ok(engine) => engine,
            Err(e) => {
                println!("dataset volumes on {} not cleaned: {e}", address.name);
                continue;
            }
        };
        let datasets = dataset_volume::remove_all(&engine)?;
        for v in &datasets.volumes {
            println!("removed dataset volume {v} on {}", address.name);
        }
        for v in &datasets.in_use {
            println!(
                "kept dataset volume {v} on {}: a container uses it",
                address.name
            );
        }
    }
    Ok(())
}

fn clean(args: CleanArgs) -> Result<i32> {
    if let Some(swarm) = &args.swarm {
        return crate::fleet_commands::clean(swarm, args.run.as_deref());
    }
    if args.datasets {
        let code = data_commands::clean_datasets(&args)?;
        clean_dataset_volumes(&args)?;
        return Ok(code);
    }
    let addresses = EngineAddress::chosen(&args.engines, &DockerEnv::from_process())
        .map_err(mountbench::Error::from)?;
    let several = addresses.len() > 1;
    for address in &addresses {
        let engine = Engine::connect(address).map_err(mountbench::Error::from)?;
        let on = if several {
            format!(" on {}", address.name)
        } else {
            String::new()
        };
        let cleaned = cleanup::clean(&engine, args.run.as_deref(), args.images)?;
        for line in cleaned.lines() {
            println!("{line}{on}");
        }
    }
    Ok(0)
}

fn agent_command(command: AgentCommand) -> Result<i32> {
    let started = Instant::now();
    match command {
        AgentCommand::Run { spec } => {
            let spec: RepSpec = serde_json::from_str(&spec).context("bad rep spec")?;
            let result = agent::run_rep(&spec, started)?;
            println!("{}", serde_json::to_string(&result)?);
        }
        AgentCommand::Party { spec } => {
            let spec: RepSpec = serde_json::from_str(&spec).context("bad rep spec")?;
            agent::party(&spec)?;
        }
        AgentCommand::FleetTask { spec } => crate::fleet_commands::task(&spec)?,
        AgentCommand::Prepare { spec } => {
            let spec: PrepareSpec = serde_json::from_str(&spec).context("bad prepare spec")?;
            println!("{}", serde_json::to_string(&agent::prepare(&spec)?)?);
        }
        AgentCommand::Mountinfo { path } => {
            println!("{}", serde_json::to_string(&MountFacts::of(&path)?)?);
        }
        AgentCommand::Checksum { path } => {
            let bytes = std::fs::read(&path).at(&path)?;
            println!("{}", shared_folder::checksum(&bytes));
        }
        AgentCommand::Calibrate => {
            println!("{}", serde_json::to_string(&agent::calibrate())?);
        }
        AgentCommand::Statfs { path } => {
            println!("{}", serde_json::to_string(&FsSpace::of(&path)?)?);
        }
        AgentCommand::Libs => {
            for lib in agent::loaded_libraries()? {
                println!("{}", lib.display());
            }
        }
        AgentCommand::Idle => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
    }
    Ok(0)
}
