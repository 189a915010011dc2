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
    /// The datasets baked into an image layer, read through the storage driver.
    Image,
    /// A fresh named volume the engine fills from that image at first use.
    VolumeFromImage,
}

impl TargetKind {
    pub const ALL: [TargetKind; 8] = [
        TargetKind::Native,
        TargetKind::Bind,
        TargetKind::Volume,
        TargetKind::VolumeOpts,
        TargetKind::Tmpfs,
        TargetKind::Layer,
        TargetKind::Image,
        TargetKind::VolumeFromImage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Native => "native",
            TargetKind::Bind => "bind",
            TargetKind::Volume => "volume",
            TargetKind::VolumeOpts => "volume-opts",
            TargetKind::Tmpfs => "tmpfs",
            TargetKind::Layer => "layer",
            TargetKind::Image => "image",
            TargetKind::VolumeFromImage => "volume-from-image",
        }
    }

    pub fn in_container(self) -> bool {
        self != TargetKind::Native
    }

    /// Whether the host sees the target's folder as a folder of its own (native, and the
    /// bind mount's source): what coherence and watch change or check from the host.
    pub fn has_host_side(self) -> bool {
        matches!(self, TargetKind::Native | TargetKind::Bind)
    }

    /// Whether a second container can mount the same storage (a tmpfs, a writable layer
    /// or an image's layer belongs to one container).
    pub fn shareable(self) -> bool {
        !matches!(
            self,
            TargetKind::Tmpfs | TargetKind::Layer | TargetKind::Image
        )
    }

    /// Whether its datasets come in the run's data image (targets/data_image.rs) instead of
    /// being generated where the target reads them.
    pub fn from_image(self) -> bool {
        matches!(self, TargetKind::Image | TargetKind::VolumeFromImage)
    }

    /// Whether `:ro` may follow it: only storage mounted from outside the container. The
    /// image's layer is read-only by nature, and volume-from-image's volume must be
    /// writable for the engine's copy into it.
    pub fn can_be_read_only(self) -> bool {
        matches!(
            self,
            TargetKind::Bind | TargetKind::Volume | TargetKind::VolumeOpts
        )
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
        let names = |pick: fn(TargetKind) -> bool| -> Vec<&str> {
            TargetKind::ALL
                .into_iter()
                .filter(|k| pick(*k))
                .map(TargetKind::as_str)
                .collect()
        };
        let kind = TargetKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| {
                format!(
                    "unknown target \"{s}\" (expected one of {}, optionally with :ro)",
                    names(|_| true).join(", ")
                )
            })?;
        if ro && !kind.can_be_read_only() {
            return Err(format!(
                "target \"{s}\" cannot be read-only (only {} can)",
                names(TargetKind::can_be_read_only).join(", ")
            ));
        }
        Ok(TargetSpec { kind, ro })
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
