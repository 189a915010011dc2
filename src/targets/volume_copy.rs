//! The copy-at-first-use of the `volume-from-image` target, timed on its own. The engine
//! copies the image's content at a mount point into an empty named volume mounted there
//! (Docker when it creates the container, Podman when it first mounts the volume), unless
//! the mount says `nocopy`. So the target's container is created and started on its fresh
//! volume and timed, and the same container on a throwaway empty volume mounted `nocopy`
//! is created, started, timed and removed a few times just before: the copy's time is the
//! first time less the fastest of those. Both run the same image, mounts, hardening and
//! engine path; the only difference is the copy. What is timed is what the engine waits
//! for: the copied data may still be in the page cache, not yet written back.

use std::collections::HashMap;
use std::time::Instant;

use bollard::models::{ContainerCreateBody, MountVolumeOptions, VolumeCreateRequest};

use super::container::create_and_start;
use super::data_pack::Packed;
use super::engine::Engine;
use super::image::IMAGE_POINT;
use super::removal::{self, Made};
use crate::env::CopyFacts;
use crate::error::{Error, Result};

/// Baseline containers started; the fastest counts.
const BASELINE_STARTS: usize = 3;

/// Create and start the target's container `name` from `body` (its fresh volume mounted at
/// the image point), timing the engine's copy against a baseline; its id and the copy.
pub(super) fn start_timed(
    engine: &Engine,
    name: &str,
    body: ContainerCreateBody,
    labels: HashMap<String, String>,
    packed: Packed,
) -> Result<(String, CopyFacts)> {
    let baseline = baseline(engine, name, &body, labels)?;
    let started = Instant::now();
    let id = create_and_start(engine, name, body)?;
    let with_copy = started.elapsed().as_secs_f64();
    let copy = CopyFacts {
        seconds: (with_copy - baseline).max(0.0),
        bytes: packed.bytes,
        files: packed.files,
        with_copy_seconds: with_copy,
        baseline_seconds: baseline,
    };
    Ok((id, copy))
}

/// The fastest create and start of `body` with a throwaway empty volume mounted `nocopy`
/// in place of the target's; container and volume removed again.
fn baseline(
    engine: &Engine,
    name: &str,
    body: &ContainerCreateBody,
    labels: HashMap<String, String>,
) -> Result<f64> {
    let volume = format!("{name}-nocopy");
    let request = VolumeCreateRequest {
        name: Some(volume.clone()),
        labels: Some(labels),
        ..Default::default()
    };
    engine
        .block_on(engine.docker.create_volume(request))
        .map_err(|e| Error::Docker(format!("creating volume {volume}: {}", Error::from(e))))?;
    let timed = time_starts(engine, &volume, nocopy(body, &volume));
    let removed = removal::remove(engine, Made::Volume(volume));
    let best = timed?;
    removed?;
    Ok(best)
}

/// Each baseline container created, started, timed and removed; the fastest time.
fn time_starts(engine: &Engine, name: &str, body: ContainerCreateBody) -> Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..BASELINE_STARTS {
        let started = Instant::now();
        let id = create_and_start(engine, name, body.clone())?;
        best = best.min(started.elapsed().as_secs_f64());
        removal::remove(engine, Made::Container(id))?;
    }
    Ok(best)
}

/// `body` with the volume at the image point replaced by `volume`, mounted `nocopy`.
fn nocopy(body: &ContainerCreateBody, volume: &str) -> ContainerCreateBody {
    let mut body = body.clone();
    let mounts = body
        .host_config
        .iter_mut()
        .flat_map(|hc| hc.mounts.iter_mut().flatten());
    for mount in mounts.filter(|m| m.target.as_deref() == Some(IMAGE_POINT)) {
        mount.source = Some(volume.to_string());
        mount.volume_options = Some(MountVolumeOptions {
            no_copy: Some(true),
            ..Default::default()
        });
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{HostConfig, Mount, MountType};

    #[test]
    fn the_baseline_differs_only_in_its_nocopy_volume() {
        let mount = |target: &str, source: &str| Mount {
            typ: Some(MountType::VOLUME),
            source: Some(source.into()),
            target: Some(target.into()),
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some("mountbench-data:r".into()),
            host_config: Some(HostConfig {
                mounts: Some(vec![mount(IMAGE_POINT, "v"), mount("/mb-backup", "b")]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let baseline = nocopy(&body, "v-nocopy");
        let mounts = baseline
            .host_config
            .as_ref()
            .unwrap()
            .mounts
            .clone()
            .unwrap();
        assert_eq!(mounts[0].source.as_deref(), Some("v-nocopy"));
        assert_eq!(
            mounts[0].volume_options.as_ref().unwrap().no_copy,
            Some(true)
        );
        assert_eq!(mounts[1], mount("/mb-backup", "b"));
        assert_eq!(baseline.image, body.image);
    }
}
