//! What a target's container is made of: the storage under test mounted at /mb (or the
//! volume-from-image's volume at /mb-image), the backup folder, the hardening (no
//! capabilities, no network, read-only root, limits) and labels.

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountTmpfsOptions, MountType};

use super::container::ContainerConfig;
use super::engine::RUN_LABEL;
use super::image::{AGENT_PATH, BACKUP_POINT, IMAGE_POINT, MOUNT_POINT, PREP_POINT};
use crate::targets::settings::Seccomp;
use crate::targets::spec::{TargetKind, TargetSpec};

pub fn labels(run_id: &str, target: &TargetSpec) -> HashMap<String, String> {
    HashMap::from([
        (RUN_LABEL.to_string(), run_id.to_string()),
        ("io.mountbench.target".to_string(), target.to_string()),
    ])
}

fn mount(typ: MountType, source: Option<String>, target: &str, read_only: bool) -> Mount {
    Mount {
        typ: Some(typ),
        source,
        target: Some(target.to_string()),
        read_only: Some(read_only),
        ..Default::default()
    }
}

/// The storage under test at /mb (and, on `:ro` targets, writable at the prep point for the
/// datasets), then the backup folder. `volume` names the volume of the volume targets.
pub(super) fn mounts(spec: TargetSpec, config: &ContainerConfig, volume: &str) -> Vec<Mount> {
    let ro = spec.ro;
    let mut mounts = Vec::new();
    let mut storage = |typ: MountType, source: String| {
        mounts.push(mount(typ, Some(source.clone()), MOUNT_POINT, ro));
        if ro {
            mounts.push(mount(typ, Some(source), PREP_POINT, false));
        }
    };
    match spec.kind {
        TargetKind::Bind => storage(MountType::BIND, config.bind_source.display().to_string()),
        TargetKind::Volume | TargetKind::VolumeOpts => storage(MountType::VOLUME, volume.into()),
        TargetKind::Tmpfs => mounts.push(Mount {
            tmpfs_options: Some(MountTmpfsOptions {
                size_bytes: Some(config.settings.tmpfs.size.0 as i64),
                mode: Some(0o1777),
                ..Default::default()
            }),
            ..mount(MountType::TMPFS, None, MOUNT_POINT, false)
        }),
        // The engine copies the image's /mb-image into the fresh, empty volume.
        TargetKind::VolumeFromImage => mounts.push(mount(
            MountType::VOLUME,
            Some(volume.into()),
            IMAGE_POINT,
            false,
        )),
        TargetKind::Layer | TargetKind::Image => {}
        // Refused by ContainerHost::start: a native target has no container.
        TargetKind::Native => {}
    }
    mounts.push(mount(
        MountType::BIND,
        Some(config.backup_source.display().to_string()),
        BACKUP_POINT,
        false,
    ));
    mounts
}

/// The hardened container: the invoking user (`user`, as the engine maps it), no network,
/// no capabilities, a read-only root filesystem (but on the layer and image targets, whose
/// writes go to the container's writable layer), memory and pids limits.
pub(super) fn body(
    spec: TargetSpec,
    config: &ContainerConfig,
    mounts: Vec<Mount>,
    user: String,
) -> ContainerCreateBody {
    ContainerCreateBody {
        image: Some(config.image.to_string()),
        cmd: Some(vec![AGENT_PATH.into(), "agent".into(), "idle".into()]),
        user: Some(user),
        labels: Some(labels(config.run_id, &spec)),
        network_disabled: Some(true),
        host_config: Some(HostConfig {
            mounts: Some(mounts),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(security_opt(config.settings.container.seccomp)),
            network_mode: Some("none".into()),
            // The layer and image targets write their writable layer, and only they may.
            readonly_rootfs: Some(!matches!(spec.kind, TargetKind::Layer | TargetKind::Image)),
            memory: Some(config.settings.container.memory.0 as i64),
            pids_limit: Some(config.settings.container.pids),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn security_opt(seccomp: Seccomp) -> Vec<String> {
    let mut opts = vec!["no-new-privileges".to_string()];
    if seccomp == Seccomp::Unconfined {
        opts.push("seccomp=unconfined".into());
    }
    opts
}
