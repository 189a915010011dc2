//! Settings of the targets from a workload file's `[targets]` table.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::size::ByteSize;

/// Container settings shared by every container target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerSettings {
    /// Memory limit; page cache and tmpfs contents count against it.
    #[serde(default = "default_memory")]
    pub memory: ByteSize,
    #[serde(default = "default_pids")]
    pub pids: i64,
    /// Docker's default seccomp filter costs ~0.1 µs per syscall here; `unconfined` turns
    /// it off so that cost can be told apart from the storage's.
    #[serde(default)]
    pub seccomp: Seccomp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Seccomp {
    /// The engine's default profile, as users' containers run.
    #[default]
    Default,
    Unconfined,
}

fn default_memory() -> ByteSize {
    ByteSize(4 << 30)
}
fn default_pids() -> i64 {
    256
}

impl Default for ContainerSettings {
    fn default() -> Self {
        ContainerSettings {
            memory: default_memory(),
            pids: default_pids(),
            seccomp: Seccomp::default(),
        }
    }
}

/// Per-target settings from the `[targets]` table.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TargetSettings {
    #[serde(default)]
    pub(crate) tmpfs: TmpfsSettings,
    #[serde(default)]
    pub(crate) volume_opts: VolumeOptsSettings,
    #[serde(default)]
    pub container: ContainerSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TmpfsSettings {
    pub(crate) size: ByteSize,
}

impl Default for TmpfsSettings {
    fn default() -> Self {
        TmpfsSettings {
            size: ByteSize(1 << 30),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VolumeOptsSettings {
    pub(crate) driver_opts: BTreeMap<String, String>,
}

impl Default for VolumeOptsSettings {
    fn default() -> Self {
        let mut driver_opts = BTreeMap::new();
        driver_opts.insert("type".into(), "tmpfs".into());
        driver_opts.insert("device".into(), "tmpfs".into());
        driver_opts.insert("o".into(), "size=1g".into());
        VolumeOptsSettings { driver_opts }
    }
}

/// The local volume driver accepts `type`, `device` and `o`; anything else fails at
/// `docker volume create` time with a vague message, so refuse it here.
pub(crate) fn check_driver_opts(file: &str, opts: &BTreeMap<String, String>) -> Result<()> {
    let place = format!("{file}: [targets.volume-opts] driver_opts");
    for key in opts.keys() {
        if !matches!(key.as_str(), "type" | "device" | "o") {
            return Err(Error::input(
                &place,
                format!("unknown option \"{key}\" (the local driver takes type, device and o)"),
            ));
        }
    }
    match (opts.get("type"), opts.get("device")) {
        (Some(_), Some(_)) => Ok(()),
        _ => Err(Error::input(
            &place,
            "needs both type and device (e.g. type = \"tmpfs\", device = \"tmpfs\")",
        )),
    }
}
