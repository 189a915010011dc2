//! A target as result files write it: a storage kind, optionally mounted read-only (`bind`,
//! `volume:ro`). `native` is spelled here only, by [`TargetKind::Native`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The storage kinds, native (the host, on no engine) first.
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
    /// The target every container target is compared with: the host, on no engine.
    pub const NATIVE: TargetSpec = TargetSpec::new(TargetKind::Native);

    pub const fn new(kind: TargetKind) -> Self {
        TargetSpec { kind, ro: false }
    }

    pub const fn read_only(kind: TargetKind) -> Self {
        TargetSpec { kind, ro: true }
    }

    pub fn is_native(self) -> bool {
        self.kind == TargetKind::Native
    }

    /// Every target there can be: each kind, and `:ro` of those that may be read-only.
    pub fn all() -> impl Iterator<Item = TargetSpec> {
        TargetKind::ALL.into_iter().flat_map(|kind| {
            let ro = kind.can_be_read_only().then(|| TargetSpec::read_only(kind));
            std::iter::once(TargetSpec::new(kind)).chain(ro)
        })
    }

    /// The target's name, as result files write it, byte by byte.
    fn name_bytes(self) -> impl Iterator<Item = u8> {
        let ro: &[u8] = if self.ro { b":ro" } else { b"" };
        self.kind.as_str().bytes().chain(ro.iter().copied())
    }

    /// Compare as the names compare (`volume-opts` < `volume:ro`): the order of result rows.
    pub fn cmp_by_name(self, other: TargetSpec) -> std::cmp::Ordering {
        self.name_bytes().cmp(other.name_bytes())
    }
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ro {
            false => f.pad(self.kind.as_str()),
            true => f.pad(&format!("{}:ro", self.kind.as_str())),
        }
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
