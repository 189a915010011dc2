//! What can go wrong naming, finding and reaching an engine. Everything the user can fix by
//! changing an argument or the Docker config is input (exit 2); an engine that does not
//! answer is the environment's failure (exit 1).

use std::path::PathBuf;

use crate::error::Error;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// `--engine` or `DOCKER_HOST` is not a usable value.
    #[error("{what} `{value}`: {reason}")]
    Malformed {
        what: String,
        value: String,
        reason: String,
    },
    #[error("two engines are named `{0}`; give each its own name")]
    DuplicateName(String),
    #[error("Docker context `{name}` does not exist in {config} (known: {})", .known.join(", "))]
    UnknownContext {
        name: String,
        config: PathBuf,
        known: Vec<String>,
    },
    /// A context's or the config's file cannot be read or understood.
    #[error("{path}: {reason}")]
    BadConfig { path: PathBuf, reason: String },
    /// A well-formed endpoint this build cannot talk to.
    #[error("{endpoint}: {reason}")]
    Unsupported { endpoint: String, reason: String },
    #[error("cannot reach the Docker engine `{name}` at {endpoint} ({via}): {why}. {hint}")]
    Unreachable {
        name: String,
        endpoint: String,
        via: String,
        why: String,
        hint: String,
    },
    #[error("cannot start the tokio runtime: {0}")]
    Runtime(String),
}

impl EngineError {
    pub(crate) fn malformed(
        what: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        EngineError::Malformed {
            what: what.into(),
            value: value.into(),
            reason: reason.into(),
        }
    }

    /// Whether the user can fix it by changing what they gave (exit 2).
    pub fn is_input(&self) -> bool {
        match self {
            EngineError::Malformed { .. }
            | EngineError::DuplicateName(_)
            | EngineError::UnknownContext { .. }
            | EngineError::BadConfig { .. }
            | EngineError::Unsupported { .. } => true,
            EngineError::Unreachable { .. } | EngineError::Runtime(_) => false,
        }
    }

    pub fn exit_code(&self) -> i32 {
        if self.is_input() {
            2
        } else {
            1
        }
    }
}

/// What bollard says becomes ours here: an API failure on one line.
impl From<bollard::errors::Error> for Error {
    fn from(e: bollard::errors::Error) -> Self {
        Error::Api(crate::error::one_line(&e.to_string()))
    }
}

impl From<EngineError> for Error {
    fn from(e: EngineError) -> Self {
        let text = crate::error::one_line(&e.to_string());
        match e {
            EngineError::Malformed {
                what,
                value,
                reason,
            } => Error::input(what, format!("`{value}`: {reason}")),
            EngineError::DuplicateName(_) => Error::input("--engine", text),
            e if e.is_input() => Error::input("engine", text),
            _ => Error::Docker(text),
        }
    }
}
