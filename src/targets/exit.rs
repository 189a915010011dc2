//! How an agent ended: its exit code, and why one that did not exit 0 ended, from the last
//! line it wrote to stderr.

use crate::error::{one_line, Error};

/// A child's exit code as a shell gives it: 128 + the signal that ended it.
pub(crate) fn exit_code(status: std::process::ExitStatus) -> Option<i64> {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .map(i64::from)
        .or_else(|| status.signal().map(|s| 128 + s as i64))
}

/// The last line an agent wrote to stderr, or "no message".
pub(crate) fn last_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map_or_else(|| "no message".into(), one_line)
}

/// Why an agent that did not exit 0 ended: killed, crashed on a signal or failed, with the
/// last line it wrote to stderr.
pub(crate) fn exit_error(code: Option<i64>, stderr: &[u8]) -> Error {
    let last = last_line(stderr);
    Error::AgentExit(match code {
        Some(137) => "killed (exit 137, SIGKILL: container killed or out of memory)".into(),
        Some(code @ 129..=159) => {
            format!("crashed (exit {code}, {}): {last}", signal_name(code - 128))
        }
        Some(code) => format!("exit {code}: {last}"),
        None => format!("ended without an exit code (killed?): {last}"),
    })
}

fn signal_name(signal: i64) -> String {
    let name = match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}
