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

use std::collections::HashMap;
use std::path::PathBuf;

use bollard::errors::Error::DockerResponseServerError;
use bollard::models::{Mount, MountType, VolumeCreateRequest};
use bollard::query_parameters::{ListVolumesOptionsBuilder, RemoveVolumeOptionsBuilder};

use super::engine::Engine;
use super::image::{DATA_POINT, DATA_PREP_POINT, DATA_SLOTS};
use crate::error::{Error, Result};
use crate::targets::spec::{TargetKind, TargetSpec};

/// Label of a persistent dataset volume; its value is the dataset's id.
pub const DATASET_LABEL: &str = "io.mountbench.dataset";

/// One dataset's persistent volume and the slot it is mounted at.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetVolume {
    pub id: String,
    pub name: String,
    pub slot: usize,
}

impl DatasetVolume {
    /// The volumes of a target's datasets (`ids` in the plan's order): only the `volume`
    /// target has them, one per slot.
    pub fn of(spec: TargetSpec, ids: &[String]) -> Vec<DatasetVolume> {
        if spec.kind != TargetKind::Volume {
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
    pub fn root(&self) -> PathBuf {
        PathBuf::from(format!("{DATA_POINT}/{}", self.slot))
    }

    /// Where the agent generates it: writable on `:ro` targets too.
    pub fn prep_root(&self, ro: bool) -> PathBuf {
        match ro {
            true => PathBuf::from(format!("{DATA_PREP_POINT}/{}", self.slot)),
            false => self.root(),
        }
    }

    /// Its mounts: at its slot, and writable at the prep slot on `:ro` targets.
    pub fn mounts(&self, ro: bool) -> Vec<Mount> {
        let mount = |target: PathBuf, read_only: bool| Mount {
            typ: Some(MountType::VOLUME),
            source: Some(self.name.clone()),
            target: Some(target.display().to_string()),
            read_only: Some(read_only),
            ..Default::default()
        };
        let mut mounts = vec![mount(self.root(), ro)];
        if ro {
            mounts.push(mount(self.prep_root(true), false));
        }
        mounts
    }

    /// Create it, or find it from an earlier run (creating an existing volume returns it).
    pub fn ensure(&self, engine: &Engine) -> Result<()> {
        let request = VolumeCreateRequest {
            name: Some(self.name.clone()),
            labels: Some(HashMap::from([(
                DATASET_LABEL.to_string(),
                self.id.clone(),
            )])),
            ..Default::default()
        };
        engine
            .block_on(engine.docker.create_volume(request))
            .map_err(|e| {
                Error::Docker(format!("creating volume {}: {}", self.name, Error::from(e)))
            })?;
        Ok(())
    }
}

/// The dataset's volume among `volumes`.
pub fn find<'a>(volumes: &'a [DatasetVolume], id: &str) -> Option<&'a DatasetVolume> {
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
    let filters: HashMap<String, Vec<String>> =
        HashMap::from([("label".to_string(), vec![DATASET_LABEL.to_string()])]);
    let docker = &engine.docker;
    engine.block_on(async {
        let list = docker
            .list_volumes(Some(
                ListVolumesOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            ))
            .await?;
        let mut removed = Removed::default();
        for v in list.volumes.unwrap_or_default() {
            let options = RemoveVolumeOptionsBuilder::default().build();
            match docker.remove_volume(&v.name, Some(options)).await {
                Ok(()) => removed.volumes.push(v.name),
                Err(DockerResponseServerError {
                    status_code: 409, ..
                }) => removed.in_use.push(v.name),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(removed)
    })
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
        assert_eq!(ro[0].read_only, Some(true));
        assert_eq!(ro[1].target.as_deref(), Some("/mb-data-prep/1"));
        assert_eq!(ro[1].read_only, Some(false));
        assert_eq!(find(&vols, &ids[2]).map(|v| v.slot), Some(2));
        for other in ["bind", "volume-opts", "tmpfs", "layer"] {
            assert!(
                DatasetVolume::of(other.parse().unwrap(), &ids).is_empty(),
                "{other}"
            );
        }
    }
}
