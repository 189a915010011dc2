//! Where a workload runs: the storage kinds, optionally mounted read-only.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    Native,
    Bind,
    Volume,
    VolumeOpts,
    Tmpfs,
    Layer,
}

impl TargetKind {
    pub const ALL: [TargetKind; 6] = [
        TargetKind::Native,
        TargetKind::Bind,
        TargetKind::Volume,
        TargetKind::VolumeOpts,
        TargetKind::Tmpfs,
        TargetKind::Layer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Native => "native",
            TargetKind::Bind => "bind",
            TargetKind::Volume => "volume",
            TargetKind::VolumeOpts => "volume-opts",
            TargetKind::Tmpfs => "tmpfs",
            TargetKind::Layer => "layer",
        }
    }

    pub fn in_container(self) -> bool {
        self != TargetKind::Native
    }
}

/// Where a workload runs: a storage kind, optionally mounted read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetSpec {
    pub kind: TargetKind,
    pub ro: bool,
}

impl TargetSpec {
    pub const fn new(kind: TargetKind) -> Self {
        TargetSpec { kind, ro: false }
    }
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        if self.ro {
            f.write_str(":ro")?;
        }
        Ok(())
    }
}

impl FromStr for TargetSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, ro) = match s.trim().strip_suffix(":ro") {
            Some(name) => (name, true),
            None => (s.trim(), false),
        };
        let kind = TargetKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| {
                format!(
                    "unknown target \"{s}\" (expected one of native, bind, volume, volume-opts, tmpfs, layer, optionally with :ro)"
                )
            })?;
        match kind {
            TargetKind::Native | TargetKind::Tmpfs | TargetKind::Layer if ro => Err(format!(
                "target \"{s}\" cannot be read-only (only bind, volume and volume-opts can)"
            )),
            _ => Ok(TargetSpec { kind, ro }),
        }
    }
}

impl Serialize for TargetSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TargetSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A target on one engine (native on none): what a run starts, keeps and tears down.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    /// The engine's name; empty for native.
    pub engine: String,
    pub target: TargetSpec,
}

impl Place {
    /// A name for files and folders: `native`, `default-bind`, `vm-volume-ro`.
    pub fn slug(&self) -> String {
        let target = self.target.to_string().replace(':', "-");
        if self.engine.is_empty() {
            target
        } else {
            format!("{}-{target}", self.engine)
        }
    }
}

impl fmt::Display for Place {
    /// `native`, `bind` (the default engine), `bind@vm`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::cell::place(&self.engine, &self.target.to_string()))
    }
}
