use std::path::{Path, PathBuf};

/// Errors of the mountbench library. `Input` errors are the user's to fix (exit code 2);
/// everything else is an environment or engine failure (exit code 1).
///
/// The variants, by what failed:
/// - `Input`: the user's input (a file, a flag, a folder).
/// - `Io`: the OS, on a path.
/// - `Docker`: the engine API.
/// - `Agent`: an agent process that reported a failure (exit code, signal, last line).
/// - `Protocol`: an order, spec or answer between the harness and an agent (or the two
///   parties of a driven rep) that does not fit; a bug, not the user's.
/// - `Panicked`: a thread of ours that panicked.
/// - `Corrupt`: data read back that is not what was written or listed.
/// - `Unfinished`: a rep whose work stopped short.
/// - `TargetDown`: a target of the run that is not up (it failed to start).
/// - `Watch`: the OS's folder watch, which stopped reporting.
/// - `Dataset`: a dataset that is missing, malformed or could not be generated.
/// - `Report`: drawing a report.
/// - `CacheDrop`: dropping the host's page cache.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: a workload file, a CLI value, a data dir or result folder that cannot be used.
    #[error("{place}: {reason}")]
    Input { place: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("docker: {0}")]
    Docker(String),
    /// An Engine API request the engine refused or did not answer, in its words on one line.
    #[error("docker: {0}")]
    Api(String),
    /// The agent process failed: it exited non-zero, crashed or was killed.
    #[error("agent: {0}")]
    Agent(String),
    #[error("protocol: {0}")]
    Protocol(String),
    #[error("the {thread} thread panicked")]
    Panicked { thread: &'static str },
    #[error("{path}: {fault}")]
    Corrupt { path: PathBuf, fault: Corruption },
    #[error("{work} stopped after {done} of {total} {unit}: {why}")]
    Unfinished {
        work: String,
        done: u64,
        total: u64,
        unit: &'static str,
        why: String,
    },
    #[error("target {place} could not start: {why}")]
    TargetDown { place: String, why: String },
    #[error("watching a folder: {0}")]
    Watch(String),
    /// An agent that did not exit 0: how it ended, and the last line it wrote to stderr.
    #[error("agent: {0}")]
    AgentExit(String),
    /// An agent held open for a driven rep that did not answer, ended or took no input.
    #[error("agent: {0}")]
    Session(String),
    /// One party of a two-party rep failed.
    #[error("agent: {party}: {source}")]
    Party {
        party: &'static str,
        source: Box<Error>,
    },
    /// A dataset that could not be generated; every rep that reads it fails with this.
    #[error("dataset {0}")]
    Dataset(String),
    #[error("report: {0}")]
    Report(String),
    /// A result file that could not be written as CSV.
    #[error("writing {file}: {source}")]
    Csv {
        file: &'static str,
        source: csv::Error,
    },
    /// `--drop-caches` asked for it, and the OS refused or failed.
    #[error("dropping the host's page cache: {0}")]
    CacheDrop(std::io::Error),
}

/// How data read back differs from what was written or listed.
#[derive(Debug, thiserror::Error)]
pub enum Corruption {
    #[error("shorter than its manifest says")]
    Short,
    #[error("longer than {0} bytes")]
    Long(usize),
    #[error("checksum mismatch")]
    Checksum,
    #[error("content is not sample {0}")]
    NotSample(u32),
    #[error("holds {found} files, the dataset {expected}")]
    FileCount { found: u64, expected: usize },
    #[error("restored checkpoint does not match what was written")]
    Checkpoint,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn input(place: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Input {
            place: place.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    pub(crate) fn corrupt(path: impl AsRef<Path>, fault: Corruption) -> Self {
        Error::Corrupt {
            path: path.as_ref().to_path_buf(),
            fault,
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input { .. } => 2,
            _ => 1,
        }
    }
}

/// Attach a path to an `std::io::Result`.
pub trait IoContext<T> {
    fn at(self, path: impl AsRef<Path>) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| Error::io(path, e))
    }
}

/// Collapse a multi-line message into one line, as every error we print must be.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
