//! The agent image, built offline: a Linux mountbench binary (the host's own, or a static one
//! for the engine's architecture: targets/agent_binary.rs) and the shared libraries it loads,
//! packed `FROM scratch`, tagged with a hash of the binary. Engines no binary fits (macOS,
//! Windows, another architecture with no cross-built agent) build docker/agent.Dockerfile.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;

use crate::engine::client::AGENT_LABEL;
use crate::engine::containers::{ContainerEngine, ImageBuild, ImageImport};
use crate::engine::Engine;
use crate::error::{one_line, Error, IoContext, Result};
use crate::targets::agent_binary::{AgentBinaries, AgentChoice, EngineKind};
use crate::targets::elf;

pub(crate) const REPO: &str = "mountbench-agent";
/// Mount point of the storage under test inside the agent container.
pub(crate) const MOUNT_POINT: &str = "/mb";
/// Second, writable mount of the same storage for `:ro` targets, used only to prepare data.
pub(crate) const PREP_POINT: &str = "/mb-prep";
/// A host folder under the data dir, bind-mounted into every agent container for archives.
pub(crate) const BACKUP_POINT: &str = "/mb-backup";
/// Numbered mount points of the `volume` target's persistent dataset volumes
/// (targets/dataset_volume.rs), and their writable twins for `:ro` targets.
pub(crate) const DATA_POINT: &str = "/mb-data";
pub(crate) const DATA_PREP_POINT: &str = "/mb-data-prep";
pub(crate) const DATA_SLOTS: usize = 8;
pub const AGENT_PATH: &str = "/mountbench";
/// Where the data image holds its datasets (`datasets/<id>/`, as `Dataset::prepare` lays
/// them out), and where the `volume-from-image` target mounts its volume over them.
pub(crate) const IMAGE_POINT: &str = "/mb-image";

/// Make sure the agent image exists; returns its tag.
pub fn ensure(engine: &Engine, agents: &AgentBinaries) -> Result<String> {
    agent_image(engine, agents)
}

/// The same on any engine.
pub(crate) fn agent_image(engine: &dyn ContainerEngine, agents: &AgentBinaries) -> Result<String> {
    match agents.choose(EngineKind::of(engine.facts())) {
        AgentChoice::Pack(agent_exe) => pack(engine, &agent_exe),
        AgentChoice::Build { why } => build_from_source(engine).map_err(|e| {
            let e = match e {
                Error::Docker(message) => message,
                other => other.to_string(),
            };
            Error::Docker(format!(
                "{why}; building docker/agent.Dockerfile on the engine instead failed: {e}"
            ))
        }),
    }
}

/// The agent image of the Linux binary at `agent_exe`, packed `FROM scratch`.
fn pack(engine: &dyn ContainerEngine, agent_exe: &Path) -> Result<String> {
    let binary = std::fs::read(agent_exe).at(agent_exe)?;
    let tag = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&binary));
    let name = format!("{REPO}:{tag}");
    if engine.has_image(&name) {
        return Ok(name);
    }
    let mut tar = tar::Builder::new(Vec::new());
    append_rootfs(&mut tar, agent_exe, &binary)?;
    let rootfs = tar.into_inner().map_err(packing)?;
    let body = Box::pin(futures_util::stream::iter([Ok(Bytes::from(rootfs))]));
    let changes = vec![
        format!("LABEL {AGENT_LABEL}=agent"),
        format!("CMD [\"{AGENT_PATH}\", \"agent\", \"idle\"]"),
    ];
    let image = ImageImport {
        name: &name,
        changes,
        label: (AGENT_LABEL, "agent"),
        cancel: None,
    };
    engine.import_image(image, body)?;
    Ok(name)
}

/// A rootfs tar: the binary at /mountbench, its shared libraries at their own paths, and
/// world-writable mount points. Also the base of the data image (targets/data_image.rs).
pub(super) fn append_rootfs<W: Write>(
    tar: &mut tar::Builder<W>,
    agent_exe: &Path,
    binary: &[u8],
) -> Result<()> {
    // A static binary loads nothing; one for another architecture could not run here to say.
    let interpreter = elf::interpreter(binary).ok().flatten();
    let libs = match interpreter {
        Some(_) => agent_libraries(agent_exe)?,
        None => Vec::new(),
    };
    let system = ["/proc", "/sys", "/dev", "/etc"];
    let slots = [DATA_POINT, DATA_PREP_POINT]
        .into_iter()
        .flat_map(|base| (0..DATA_SLOTS).map(move |slot| format!("{base}/{slot}")));
    let open: Vec<String> = [
        MOUNT_POINT,
        PREP_POINT,
        BACKUP_POINT,
        IMAGE_POINT,
        "/tmp",
        DATA_POINT,
        DATA_PREP_POINT,
    ]
    .into_iter()
    .map(String::from)
    .chain(slots)
    .collect();
    for dir in &open {
        append_dir(tar, dir, 0o1777)?;
    }
    for dir in system {
        append_dir(tar, dir, 0o755)?;
    }
    append_file(tar, AGENT_PATH, 0o755, binary)?;
    let mut paths: Vec<PathBuf> = libs.clone();
    if let Some(interp) = interpreter {
        // The loader is mapped under its resolved path, but the binary asks for it by the
        // path in PT_INTERP (e.g. /lib64/ld-linux-x86-64.so.2, a symlink on the host).
        let resolved = std::fs::canonicalize(&interp).unwrap_or_else(|_| interp.clone());
        if !paths.contains(&interp)
            && libs
                .iter()
                .any(|l| std::fs::canonicalize(l).ok().as_ref() == Some(&resolved))
        {
            paths.push(interp);
        }
    }
    // Every folder above a library, once: an engine makes a missing one itself, and some
    // (the vfs storage driver) make it 0600, which a container without capabilities cannot
    // walk through.
    let mut parents: Vec<PathBuf> = paths
        .iter()
        .flat_map(|lib| lib.ancestors().skip(1).map(Path::to_path_buf))
        .filter(|dir| dir.parent().is_some())
        .collect();
    parents.sort();
    parents.dedup();
    for dir in parents {
        append_dir(tar, &dir.to_string_lossy(), 0o755)?;
    }
    for lib in paths {
        let bytes = std::fs::read(&lib).at(&lib)?;
        append_file(tar, &lib.to_string_lossy(), 0o755, &bytes)?;
    }
    Ok(())
}

/// A header for `path` in an image: owned by root, time 0, so equal content packs equally.
pub(super) fn header(typ: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(typ);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h
}

pub(super) fn append_dir<W: Write>(tar: &mut tar::Builder<W>, path: &str, mode: u32) -> Result<()> {
    let mut h = header(tar::EntryType::Directory, mode, 0);
    tar.append_data(&mut h, path.trim_start_matches('/'), std::io::empty())
        .map_err(packing)
}

fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    mode: u32,
    bytes: &[u8],
) -> Result<()> {
    let mut h = header(tar::EntryType::Regular, mode, bytes.len() as u64);
    tar.append_data(&mut h, path.trim_start_matches('/'), bytes)
        .map_err(packing)
}

pub(super) fn packing(e: std::io::Error) -> Error {
    Error::Docker(format!("packing an image: {e}"))
}

/// Ask the agent binary itself which shared objects it loads (`agent libs`).
fn agent_libraries(agent_exe: &Path) -> Result<Vec<PathBuf>> {
    let out = Command::new(agent_exe)
        .args(["agent", "libs"])
        .output()
        .at(agent_exe)?;
    if !out.status.success() {
        return Err(Error::AgentExit(format!(
            "{} agent libs failed: {}",
            agent_exe.display(),
            one_line(&String::from_utf8_lossy(&out.stderr))
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect())
}

/// Build the agent from this crate's source inside Linux with docker/agent.Dockerfile.
fn build_from_source(engine: &dyn ContainerEngine) -> Result<String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = source.join("docker/agent.Dockerfile");
    if !dockerfile.is_file() {
        return Err(Error::Docker(format!(
            "this engine ({} on {}) cannot run the host's binary, and the source tree with docker/agent.Dockerfile is not at {}: run mountbench from a checkout",
            engine.facts().flavour,
            engine.facts().arch,
            source.display()
        )));
    }
    let context = source_context(source)?;
    let hash = format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&context));
    let name = format!("{REPO}:src-{hash}");
    if engine.has_image(&name) {
        return Ok(name);
    }
    engine.build_image(ImageBuild {
        name: &name,
        dockerfile: "docker/agent.Dockerfile",
        context,
        labels: BTreeMap::from([(AGENT_LABEL.to_string(), "agent".to_string())]),
        what: "the agent image from docker/agent.Dockerfile",
    })?;
    Ok(name)
}

/// The files the Dockerfile needs: manifest, lock file, sources, benches and the Dockerfile.
fn source_context(source: &Path) -> Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    for entry in [
        "Cargo.toml",
        "Cargo.lock",
        "src",
        "benches",
        "docker",
        "assets",
    ] {
        let path = source.join(entry);
        let done = if path.is_dir() {
            tar.append_dir_all(entry, &path)
        } else if path.is_file() {
            tar.append_path_with_name(&path, entry)
        } else {
            Ok(())
        };
        done.at(&path)?;
    }
    tar.into_inner().at(source)
}
