//! Is the data dir visible inside the engine's containers? Every container target bind-mounts
//! folders of the data dir, and an engine in a VM (or on another machine) sees only the host
//! folders it shares. Checked once before measuring: a marker with random content written on
//! the host must be read back, with the same checksum, in a container that bind-mounts its
//! folder at the same path.

use std::path::{Path, PathBuf};

use crate::datadir::DataDir;
use crate::engine::identity::flavour::Flavour;
use crate::engine::identity::kind::{EngineIdentity, EngineKind};
use crate::engine::identity::EngineFacts;
use crate::error::{one_line, Error, IoContext, Result};

/// Label of the probe container (besides the run's own label).
pub(crate) const PROBE_LABEL: &str = "io.mountbench.probe";

/// What the probe container saw at the marker's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeAnswer {
    /// The agent read the marker; its checksum.
    Read(String),
    /// The container ran but could not read the marker: the folder is empty or absent inside.
    Unreadable(String),
    /// The engine refused to create or start a container with this bind mount.
    Refused(String),
}

/// Reads a host file back inside a container of one engine.
pub trait FolderProbe {
    /// Bind-mount `folder` read-only at the same path in a container and read `marker` there.
    /// An `Err` is an engine failure unrelated to the folder; the container is gone either way.
    fn read_back(&mut self, folder: &Path, marker: &Path) -> Result<ProbeAnswer>;
}

/// The checksum the agent prints for a file (`agent checksum`).
pub fn checksum(bytes: &[u8]) -> String {
    format!("xxh3:{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// Probe the data dir of a run; an `Input` error (exit 2) when the engine cannot see it.
pub(crate) fn check(
    data: &DataDir,
    run_id: &str,
    facts: &EngineFacts,
    probe: &mut dyn FolderProbe,
) -> Result<()> {
    let marker = Marker::write(&data.path, run_id)?;
    let answer = probe.read_back(&marker.folder, &marker.file)?;
    let expected = marker.checksum.clone();
    drop(marker);
    match verdict(answer, &expected) {
        Ok(()) => Ok(()),
        Err(seen) => Err(not_shared(&data.path, facts, &seen)),
    }
}

/// Whether the marker was read back intact; if not, what was seen instead.
fn verdict(answer: ProbeAnswer, expected: &str) -> std::result::Result<(), String> {
    match answer {
        ProbeAnswer::Read(sum) if sum == expected => Ok(()),
        ProbeAnswer::Read(sum) => Err(format!(
            "a different file is at that path inside ({sum}, not {expected}): the engine mounts another folder there"
        )),
        ProbeAnswer::Unreadable(why) => Err(format!(
            "the folder is empty or missing inside a container ({})",
            one_line(&why)
        )),
        ProbeAnswer::Refused(why) => Err(format!("the engine refused the bind mount: {}", one_line(&why))),
    }
}

/// Whether an engine's error creating or starting a container is about a bind source it
/// cannot see (Docker, Docker Desktop, Podman wordings).
pub(crate) fn is_mount_refusal(message: &str) -> bool {
    let m = message.to_lowercase();
    [
        "bind source path does not exist",
        "mounts denied",
        "is not shared from the host",
        "not known to docker",
        "invalid mount config",
        "error while creating mount source path",
    ]
    .iter()
    .any(|p| m.contains(p))
        || (m.contains("statfs") && m.contains("no such file or directory"))
}

fn not_shared(data_dir: &Path, facts: &EngineFacts, seen: &str) -> Error {
    Error::input(
        format!("data dir {}", data_dir.display()),
        format!(
            "not visible inside the containers of engine `{}` ({}, {}): {seen}; fix: {}",
            facts.name,
            facts.identity_label(),
            facts.docker_host,
            fix(facts.identity.as_ref())
        ),
    )
}

/// How to share a folder with this engine's containers, by kind and product.
pub(crate) fn fix(identity: Option<&EngineIdentity>) -> &'static str {
    let Some(identity) = identity else {
        return GENERIC;
    };
    if identity.kind == EngineKind::Remote {
        return "a remote engine mounts folders of its own machine: run mountbench there, or give --data-dir on a filesystem mounted at the same path on both machines";
    }
    match identity.flavour {
        Flavour::DockerDesktop => "add it (or a folder above it) in Docker Desktop > Settings > Resources > File sharing, or give --data-dir under a shared folder (/Users by default)",
        Flavour::OrbStack => "OrbStack shares /Users by default: give --data-dir under /Users",
        Flavour::Colima => "add it under `mounts:` in colima.yaml (`colima start --edit`) and restart Colima, or give --data-dir under a folder it mounts (your home by default)",
        Flavour::Lima => "add it under `mounts:` in the instance's lima.yaml (`limactl edit INSTANCE`), or give --data-dir under a folder it mounts",
        Flavour::RancherDesktop => "Rancher Desktop mounts your home folder: give --data-dir there, or add it under `mounts:` in its lima override.yaml",
        Flavour::Podman => "recreate the machine sharing it (`podman machine init -v DIR:DIR`), or give --data-dir under a folder it shares (/Users on macOS)",
        Flavour::TestVm => "start the test VM sharing a folder that holds it (`scripts/vm/engine.sh start --share DIR`), or give --data-dir under its shared folder",
        Flavour::Other(_) => GENERIC,
    }
}

const GENERIC: &str = "give --data-dir under a folder the engine shares with its containers";

/// The marker file in a folder of its own under the data dir, removed when dropped.
struct Marker {
    folder: PathBuf,
    file: PathBuf,
    checksum: String,
}

impl Marker {
    fn write(data_dir: &Path, run_id: &str) -> Result<Marker> {
        let folder = data_dir.join(format!("probe-{run_id}"));
        std::fs::create_dir_all(&folder).at(&folder)?;
        let file = folder.join("marker");
        let content = format!(
            "mountbench shared-folder probe {run_id} {:032x}\n",
            rand::random::<u128>()
        );
        let marker = Marker {
            checksum: checksum(content.as_bytes()),
            folder,
            file,
        };
        std::fs::write(&marker.file, content).at(&marker.file)?;
        Ok(marker)
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
        let _ = std::fs::remove_dir(&self.folder);
    }
}

#[cfg(test)]
#[path = "shared_folder_tests.rs"]
mod tests;
