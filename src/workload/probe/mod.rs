//! The probe vocabulary shared by the semantics kind, the agent's answer and the results:
//! which probe ran, what it saw on one side ([`Observation`], [`Outcome`]) and the verdict
//! against native ([`judge`]). A leaf: it names no workload kind, so `rep` and the kinds
//! both use it without a cycle.

pub mod evidence;

use serde::{Deserialize, Serialize};

pub use evidence::{judge, Outcome, Verdict};

/// The probes, a closed set; `probes = [...]` in a workload names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Probe {
    ODirect,
    Fallocate,
    Sparse,
    #[serde(rename = "sparse-4g")]
    Sparse4G,
    LongName,
    Case,
    Nfc,
    HardLink,
    Symlink,
    #[serde(rename = "openat-0000")]
    OpenatMode0,
    Xattr,
    Mtime,
    Fsync,
    #[serde(rename = "delete-200")]
    Delete200,
    Flock,
    Fcntl,
    MmapShared,
    Phantom,
    UnlinkHeld,
    RenameHeld,
    Owner,
    Chown,
}

impl Probe {
    pub const ALL: [Probe; 22] = [
        Probe::ODirect,
        Probe::Fallocate,
        Probe::Sparse,
        Probe::Sparse4G,
        Probe::LongName,
        Probe::Case,
        Probe::Nfc,
        Probe::HardLink,
        Probe::Symlink,
        Probe::OpenatMode0,
        Probe::Xattr,
        Probe::Mtime,
        Probe::Fsync,
        Probe::Delete200,
        Probe::Flock,
        Probe::Fcntl,
        Probe::MmapShared,
        Probe::Phantom,
        Probe::UnlinkHeld,
        Probe::RenameHeld,
        Probe::Owner,
        Probe::Chown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Probe::ODirect => "o-direct",
            Probe::Fallocate => "fallocate",
            Probe::Sparse => "sparse",
            Probe::Sparse4G => "sparse-4g",
            Probe::LongName => "long-name",
            Probe::Case => "case",
            Probe::Nfc => "nfc",
            Probe::HardLink => "hard-link",
            Probe::Symlink => "symlink",
            Probe::OpenatMode0 => "openat-0000",
            Probe::Xattr => "xattr",
            Probe::Mtime => "mtime",
            Probe::Fsync => "fsync",
            Probe::Delete200 => "delete-200",
            Probe::Flock => "flock",
            Probe::Fcntl => "fcntl",
            Probe::MmapShared => "mmap-shared",
            Probe::Phantom => "phantom",
            Probe::UnlinkHeld => "unlink-held",
            Probe::RenameHeld => "rename-held",
            Probe::Owner => "owner",
            Probe::Chown => "chown",
        }
    }

    /// Whether it needs both sides of the storage at once (the target and another agent
    /// on the same files: the host for bind and native, a second container for volumes).
    pub fn two_sided(self) -> bool {
        matches!(
            self,
            Probe::Flock
                | Probe::Fcntl
                | Probe::MmapShared
                | Probe::Phantom
                | Probe::UnlinkHeld
                | Probe::RenameHeld
                | Probe::Owner
                | Probe::Chown
        )
    }

    /// Every probe's name, for messages.
    pub fn known() -> String {
        Probe::ALL.map(Probe::name).join(", ")
    }
}

impl std::str::FromStr for Probe {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Probe, String> {
        Probe::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown probe '{s}' (known: {})", Probe::known()))
    }
}

/// One probe's answer on one side: what a rep reports for each probe it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub probe: Probe,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Wall time of the whole probe, µs.
    pub micros: f64,
}
