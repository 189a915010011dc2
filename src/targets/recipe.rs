//! What a target's container is made of: the storage under test mounted at /mb (or the
//! volume-from-image's volume at /mb-image), the backup folder, the hardening (no
//! capabilities, no network, read-only root, limits) and labels.

use std::collections::BTreeMap;

use super::image::{AGENT_PATH, BACKUP_POINT, IMAGE_POINT, MOUNT_POINT, PREP_POINT};
use crate::engine::client::RUN_LABEL;
use crate::engine::containers::{ContainerSpec, MountSpec, Source};
use crate::targets::settings::{Seccomp, TargetSettings};
use crate::targets::spec::{Store, TargetKind, TargetSpec};

/// What a target's container is made from, besides its target.
pub(crate) struct Recipe<'a> {
    pub run_id: &'a str,
    /// The agent image; the run's data image for the image targets.
    pub image: &'a str,
    /// Host folder bind-mounted by the `bind` target.
    pub bind_source: &'a std::path::Path,
    /// Host folder bind-mounted at /mb-backup in every container.
    pub backup_source: &'a std::path::Path,
    pub settings: &'a TargetSettings,
}

pub(crate) fn labels(run_id: &str, target: &TargetSpec) -> BTreeMap<String, String> {
    BTreeMap::from([
        (RUN_LABEL.to_string(), run_id.to_string()),
        ("io.mountbench.target".to_string(), target.to_string()),
    ])
}

fn mount(source: Source, target: &str, read_only: bool) -> MountSpec {
    MountSpec {
        source,
        target: target.to_string(),
        read_only,
    }
}

fn volume(name: &str) -> Source {
    Source::Volume {
        name: name.to_string(),
        nocopy: false,
    }
}

/// The storage under test at /mb (and, on `:ro` targets, writable at the prep point for the
/// datasets), then the backup folder. `volume` names the volume of the volume targets.
pub(crate) fn mounts(spec: TargetSpec, recipe: &Recipe, volume_name: &str) -> Vec<MountSpec> {
    let ro = spec.ro;
    let mut mounts = Vec::new();
    let mut storage = |source: Source| {
        mounts.push(mount(source.clone(), MOUNT_POINT, ro));
        if ro {
            mounts.push(mount(source, PREP_POINT, false));
        }
    };
    match spec.kind {
        TargetKind::Bind => storage(Source::Bind(recipe.bind_source.display().to_string())),
        TargetKind::Volume | TargetKind::VolumeOpts => storage(volume(volume_name)),
        TargetKind::Tmpfs => mounts.push(mount(
            Source::Tmpfs {
                size_bytes: recipe.settings.tmpfs.size.0,
            },
            MOUNT_POINT,
            false,
        )),
        // The engine copies the image's /mb-image into the fresh, empty volume.
        TargetKind::VolumeFromImage => mounts.push(mount(volume(volume_name), IMAGE_POINT, false)),
        TargetKind::Layer | TargetKind::Image => {}
        // Refused by ContainerHost::start: a native target has no container.
        TargetKind::Native => {}
    }
    mounts.push(mount(
        Source::Bind(recipe.backup_source.display().to_string()),
        BACKUP_POINT,
        false,
    ));
    mounts
}

/// The hardened container `name`: the invoking user (`user`, as the engine maps it), no
/// network, no capabilities, a read-only root filesystem (but on the layer and image
/// targets, whose writes go to the container's writable layer), memory and pids limits.
pub(crate) fn container(
    name: &str,
    spec: TargetSpec,
    recipe: &Recipe,
    mounts: Vec<MountSpec>,
    user: String,
) -> ContainerSpec {
    let container = &recipe.settings.container;
    ContainerSpec {
        name: name.to_string(),
        image: recipe.image.to_string(),
        cmd: vec![AGENT_PATH.into(), "agent".into(), "idle".into()],
        user,
        labels: labels(recipe.run_id, &spec),
        mounts,
        // The layer and image targets write their writable layer, and only they may.
        read_only_root: spec.kind.store() != Store::Layer,
        memory_bytes: container.memory.0,
        pids: container.pids,
        seccomp_unconfined: container.seccomp == Seccomp::Unconfined,
    }
}
