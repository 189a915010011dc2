//! An engine's name in mountbench: `default`, or as given with `--engine`. Native cells run
//! on no engine, written as an empty name in result files.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// The engine's name when none is given.
pub const DEFAULT_ENGINE: &str = "default";

/// An engine's name; [`EngineName::NONE`] for native.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EngineName(String);

impl EngineName {
    /// No engine: where native cells run.
    pub const NONE: EngineName = EngineName(String::new());

    pub fn new(name: impl Into<String>) -> Self {
        EngineName(name.into())
    }

    /// The engine used when none is named.
    pub fn default_engine() -> Self {
        EngineName::new(DEFAULT_ENGINE)
    }

    pub fn is_none(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether names leave the engine out (`bind`, not `bind@default`): none or the default.
    pub fn is_implicit(&self) -> bool {
        self.is_none() || self.0 == DEFAULT_ENGINE
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl Deref for EngineName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for EngineName {
    fn from(name: String) -> Self {
        EngineName(name)
    }
}

impl From<&str> for EngineName {
    fn from(name: &str) -> Self {
        EngineName(name.to_string())
    }
}

impl PartialEq<str> for EngineName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for EngineName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for EngineName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}
