//! The `volume` target's datasets live in persistent named volumes, one per dataset, named
//! and labelled by the dataset's id (`io.mountbench.dataset=<id>`) and never by a run: a
//! run's teardown leaves them, the next run mounts the same volume and reuses the copy in it
//! (its manifest matches) instead of writing a fresh one whose page placement differs from
//! run to run. `mountbench clean --datasets` removes them.
//!
//! Each is mounted at a numbered slot under /mb-data (the image holds the slots, world
//! writable, so a new volume takes that mode); the writes of the workloads stay on the run's
//! own volume at /mb. Datasets past the last slot are generated on the run's volume, as
//! before.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::image::{DATA_POINT, DATA_PREP_POINT, DATA_SLOTS};
use crate::engine::containers::{ContainerEngine, MountSpec, Source, VolumeSpec};
use crate::engine::Engine;
use crate::error::Result;
use crate::targets::spec::{Datasets, TargetSpec};

/// Label of a persistent dataset volume; its value is the dataset's id.
pub(crate) const DATASET_LABEL: &str = "io.mountbench.dataset";

/// One dataset's persistent volume and the slot it is mounted at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DatasetVolume {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) slot: usize,
}

impl DatasetVolume {
    /// The volumes of a target's datasets (`ids` in the plan's order): only the `volume`
    /// target has them, one per slot.
    pub(crate) fn of(spec: TargetSpec, ids: &[String]) -> Vec<DatasetVolume> {
        if spec.kind.datasets() != Datasets::OwnVolumes {
            return Vec::new();
        }
        ids.iter()
            .take(DATA_SLOTS)
            .enumerate()
            .map(|(slot, id)| DatasetVolume {
                id: id.clone(),
                name: format!("mountbench-data-{id}"),
                slot,
            })
            .collect()
    }

    /// Where the agent reads the dataset.
    pub(crate) fn root(&self) -> PathBuf {
        PathBuf::from(format!("{DATA_POINT}/{}", self.slot))
    }

    /// Where the agent generates it: writable on `:ro` targets too.
    pub(crate) fn prep_root(&self, ro: bool) -> PathBuf {
        match ro {
            true => PathBuf::from(format!("{DATA_PREP_POINT}/{}", self.slot)),
            false => self.root(),
        }
    }

    /// Its mounts: at its slot, and writable at the prep slot on `:ro` targets.
    pub(crate) fn mounts(&self, ro: bool) -> Vec<MountSpec> {
        let mount = |target: PathBuf, read_only: bool| MountSpec {
            source: Source::Volume {
                name: self.name.clone(),
                nocopy: false,
            },
            target: target.display().to_string(),
            read_only,
        };
        let mut mounts = vec![mount(self.root(), ro)];
        if ro {
            mounts.push(mount(self.prep_root(true), false));
        }
        mounts
    }

    /// Create it, or find it from an earlier run (creating an existing volume returns it).
    pub(crate) fn ensure(&self, engine: &dyn ContainerEngine) -> Result<()> {
        engine.create_volume(&VolumeSpec {
            name: self.name.clone(),
            labels: BTreeMap::from([(DATASET_LABEL.to_string(), self.id.clone())]),
            driver_opts: None,
        })
    }
}

/// The dataset's volume among `volumes`.
pub(crate) fn find<'a>(volumes: &'a [DatasetVolume], id: &str) -> Option<&'a DatasetVolume> {
    volumes.iter().find(|v| v.id == id)
}

/// What `mountbench clean --datasets` did.
#[derive(Debug, Default)]
pub struct Removed {
    pub volumes: Vec<String>,
    /// Volumes a container still uses (a run in progress): left alone.
    pub in_use: Vec<String>,
}

/// Remove every persistent dataset volume no container uses (`mountbench clean
/// --datasets`).
pub fn remove_all(engine: &Engine) -> Result<Removed> {
    let (volumes, in_use) = engine.remove_volumes_labelled(DATASET_LABEL)?;
    Ok(Removed { volumes, in_use })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_volume_target_keeps_its_datasets_in_slots() {
        let ids: Vec<String> = (0..DATA_SLOTS + 2)
            .map(|i| format!("shards-{i:016x}"))
            .collect();
        let volume: TargetSpec = "volume".parse().unwrap();
        let vols = DatasetVolume::of(volume, &ids);
        assert_eq!(vols.len(), DATA_SLOTS, "the rest stay on the run's volume");
        assert_eq!(vols[1].name, "mountbench-data-shards-0000000000000001");
        assert_eq!(vols[1].root(), PathBuf::from("/mb-data/1"));
        assert_eq!(vols[1].mounts(false).len(), 1);
        let ro = vols[1].mounts(true);
        assert!(ro[0].read_only);
        assert_eq!(ro[1].target, "/mb-data-prep/1");
        assert!(!ro[1].read_only);
        assert_eq!(find(&vols, &ids[2]).map(|v| v.slot), Some(2));
        for other in ["bind", "volume-opts", "tmpfs", "layer"] {
            assert!(
                DatasetVolume::of(other.parse().unwrap(), &ids).is_empty(),
                "{other}"
            );
        }
    }
}
