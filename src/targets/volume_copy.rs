//! The copy-at-first-use of the `volume-from-image` target, timed on its own. The engine
//! copies the image's content at a mount point into an empty named volume mounted there
//! (Docker when it creates the container, Podman when it first mounts the volume), unless
//! the mount says `nocopy`. So the target's container is created and started on its fresh
//! volume and timed, and the same container on a throwaway empty volume mounted `nocopy`
//! is created, started, timed and removed a few times just before: the copy's time is the
//! first time less the fastest of those. Both run the same image, mounts, hardening and
//! engine path; the only difference is the copy. What is timed is what the engine waits
//! for: the copied data may still be in the page cache, not yet written back.

use std::time::Instant;

use super::data_pack::Packed;
use super::image::IMAGE_POINT;
use crate::engine::containers::{ContainerEngine, ContainerSpec, Source, VolumeSpec};
use crate::engine::removal::Made;
use crate::env::CopyFacts;
use crate::error::Result;

/// Baseline containers started; the fastest counts.
const BASELINE_STARTS: usize = 3;

/// Create and start the target's `container` (its fresh volume mounted at the image
/// point), timing the engine's copy against a baseline; its id and the copy.
pub(super) fn start_timed(
    engine: &dyn ContainerEngine,
    container: ContainerSpec,
    packed: Packed,
) -> Result<(String, CopyFacts)> {
    let baseline = baseline(engine, &container)?;
    let started = Instant::now();
    let id = engine.start(&container)?;
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

/// The fastest create and start of `container` with a throwaway empty volume mounted
/// `nocopy` in place of the target's; container and volume removed again.
fn baseline(engine: &dyn ContainerEngine, container: &ContainerSpec) -> Result<f64> {
    let volume = VolumeSpec {
        name: format!("{}-nocopy", container.name),
        labels: container.labels.clone(),
        driver_opts: None,
    };
    engine.create_volume(&volume)?;
    let timed = time_starts(engine, nocopy(container, &volume.name));
    let removed = engine.remove(Made::Volume(volume.name));
    let best = timed?;
    removed?;
    Ok(best)
}

/// Each baseline container created, started, timed and removed; the fastest time.
fn time_starts(engine: &dyn ContainerEngine, container: ContainerSpec) -> Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..BASELINE_STARTS {
        let started = Instant::now();
        let id = engine.start(&container)?;
        best = best.min(started.elapsed().as_secs_f64());
        engine.remove(Made::Container(id))?;
    }
    Ok(best)
}

/// `container` named `volume` with the volume at the image point replaced by `volume`,
/// mounted `nocopy`.
fn nocopy(container: &ContainerSpec, volume: &str) -> ContainerSpec {
    let mut container = container.clone();
    container.name = volume.to_string();
    let at_image = container
        .mounts
        .iter_mut()
        .filter(|m| m.target == IMAGE_POINT);
    for mount in at_image {
        mount.source = Source::Volume {
            name: volume.to_string(),
            nocopy: true,
        };
    }
    container
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::containers::MountSpec;

    #[test]
    fn the_baseline_differs_only_in_its_nocopy_volume() {
        let mount = |target: &str, source: Source| MountSpec {
            source,
            target: target.into(),
            read_only: false,
        };
        let volume = |name: &str| Source::Volume {
            name: name.into(),
            nocopy: false,
        };
        let backup = mount("/mb-backup", Source::Bind("b".into()));
        let container = ContainerSpec {
            name: "v".into(),
            image: "mountbench-data:r".into(),
            cmd: Vec::new(),
            user: "0:0".into(),
            labels: Default::default(),
            mounts: vec![mount(IMAGE_POINT, volume("v")), backup.clone()],
            read_only_root: true,
            memory_bytes: 1,
            pids: 1,
            seccomp_unconfined: false,
        };
        let baseline = nocopy(&container, "v-nocopy");
        let nocopy_volume = Source::Volume {
            name: "v-nocopy".into(),
            nocopy: true,
        };
        assert_eq!(baseline.mounts[0].source, nocopy_volume);
        assert_eq!(baseline.mounts[1], backup);
        assert_eq!(baseline.image, container.image);
        assert_eq!(baseline.name, "v-nocopy");
    }
}
