//! A place: a target on one engine (native on none), as names show it: `native`, `bind` (on
//! the default engine), `bind@vm`.

use std::fmt;
use std::str::FromStr;

use super::{EngineName, TargetSpec};

/// A target on one engine (native on none): what a run starts, keeps and tears down, and
/// what a chart's bar or a table's column stands for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    /// The engine's name; none for native.
    pub engine: EngineName,
    pub target: TargetSpec,
}

impl Place {
    pub fn new(engine: impl Into<EngineName>, target: TargetSpec) -> Self {
        Place {
            engine: engine.into(),
            target,
        }
    }

    /// Native, on the host.
    pub fn native() -> Self {
        Place::new(EngineName::NONE, TargetSpec::NATIVE)
    }

    pub fn is_native(&self) -> bool {
        self.target.is_native()
    }

    /// A name for files and folders: `native`, `default-bind`, `vm-volume-ro`.
    pub fn slug(&self) -> String {
        let target = self.target.to_string().replace(':', "-");
        if self.engine.is_none() {
            target
        } else {
            format!("{}-{target}", self.engine)
        }
    }
}

impl FromStr for Place {
    type Err = String;

    /// The inverse of `Display`: `native`, `bind` (the default engine), `bind@vm`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (target, engine) = match s.split_once('@') {
            Some((target, engine)) => (target.parse::<TargetSpec>()?, EngineName::from(engine)),
            None => {
                let target = s.parse::<TargetSpec>()?;
                match target.is_native() {
                    true => (target, EngineName::NONE),
                    false => (target, EngineName::default_engine()),
                }
            }
        };
        Ok(Place::new(engine, target))
    }
}

impl fmt::Display for Place {
    /// `native`, `bind` (the default engine), `bind@vm`; padded as a string is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.engine.is_implicit() {
            self.target.fmt(f)
        } else {
            f.pad(&format!("{}@{}", self.target, self.engine))
        }
    }
}
