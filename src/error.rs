use std::path::{Path, PathBuf};

/// Errors of the mountbench library. `Input` errors are the user's to fix (exit code 2);
/// everything else is an environment or engine failure (exit code 1).
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
    #[error("agent: {0}")]
    Agent(String),
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
    /// A thread of a rep panicked.
    #[error("agent: {0} thread panicked")]
    Panicked(&'static str),
    /// A dataset that could not be generated; every rep that reads it fails with this.
    #[error("dataset {0}")]
    Dataset(String),
    #[error("report: {0}")]
    Report(String),
    /// `--drop-caches` asked for it, and the OS refused or failed.
    #[error("dropping the host's page cache: {0}")]
    CacheDrop(std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn input(place: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Input {
            place: place.into(),
            reason: reason.into(),
        }
    }

    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
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
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
