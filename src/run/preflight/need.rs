//! What a plan will put where: every dataset, checkpoint, scratch file and backup archive,
//! by the storage it lands on, from the kinds' footprints.

use std::collections::{BTreeMap, BTreeSet};

use crate::plan::Plan;
use crate::targets::spec::{Datasets, Store, TargetSpec};
use crate::workload::dataset::DatasetSpec;

/// Where bytes land.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Storage {
    /// `<data dir>/host`: the native target's root, bind-mounted by the bind target.
    HostRoot,
    /// `<data dir>/backup`: every target's backup archives.
    Backup,
    /// A container target's own storage: its volume, tmpfs or writable layer.
    Target(TargetSpec),
    /// The run's data image on the engine: the datasets of the image targets, once.
    DataImage,
}

impl Storage {
    pub(crate) fn of(target: TargetSpec) -> Storage {
        match target.kind.store() {
            Store::HostDir => Storage::HostRoot,
            Store::Volume { .. } | Store::Tmpfs | Store::Layer => Storage::Target(target),
        }
    }
}

/// Bytes one workload puts on one storage for one target.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub workload: String,
    pub target: TargetSpec,
    pub bytes: u64,
    /// The dataset these bytes are: counted once per storage, however many read it.
    pub dataset: Option<DatasetSpec>,
}

/// What a storage must hold, and who puts it there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Total {
    pub bytes: u64,
    /// The workload putting the most bytes there, and every workload putting some.
    pub main: String,
    pub workloads: BTreeSet<String>,
    pub targets: BTreeSet<TargetSpec>,
}

#[derive(Debug, Default)]
pub(crate) struct Needs {
    pub by_storage: BTreeMap<Storage, Vec<Item>>,
}

impl Needs {
    /// Every (workload, target) pair of the plan's cells, once. The image targets' datasets
    /// are generated in the data dir, then packed into the data image; volume-from-image
    /// copies them into its volume too, while image reads them in the image.
    pub(crate) fn of(plan: &Plan) -> Needs {
        let mut needs = Needs::default();
        let mut seen = BTreeSet::new();
        for cell in &plan.cells {
            if !seen.insert((cell.workload.name.clone(), cell.target)) {
                continue;
            }
            let params = &cell.workload.params;
            let item = |bytes, dataset| Item {
                workload: cell.workload.name.clone(),
                target: cell.target,
                bytes,
                dataset,
            };
            let storage = Storage::of(cell.target);
            if let Some(ds) = DatasetSpec::of(&cell.workload) {
                let bytes = ds.estimated_bytes();
                if cell.target.kind.from_image() {
                    needs.add(Storage::HostRoot, item(bytes, Some(ds.clone())));
                    needs.add(Storage::DataImage, item(bytes, Some(ds.clone())));
                }
                if cell.target.kind.datasets() != Datasets::InImage {
                    needs.add(storage, item(bytes, Some(ds)));
                }
            }
            let written = params
                .footprint()
                .saturating_sub(params.dataset_footprint());
            needs.add(storage, item(written, None));
            needs.add(Storage::Backup, item(params.backup_footprint(), None));
        }
        needs
    }

    fn add(&mut self, storage: Storage, item: Item) {
        if item.bytes > 0 {
            self.by_storage.entry(storage).or_default().push(item);
        }
    }

    /// What `storage` must hold: each dataset once, none of those already `present`; the
    /// backup folder holds one rep's archive at a time (removed after it), the largest.
    pub(crate) fn total(&self, storage: Storage, present: &dyn Fn(&DatasetSpec) -> bool) -> Total {
        let mut by_workload: BTreeMap<&str, u64> = BTreeMap::new();
        let mut datasets = BTreeSet::new();
        let mut total = Total::default();
        for item in self.by_storage.get(&storage).into_iter().flatten() {
            total.targets.insert(item.target);
            if let Some(ds) = &item.dataset {
                if !datasets.insert(ds.id()) || present(ds) {
                    continue;
                }
            }
            let mine = by_workload.entry(&item.workload).or_default();
            *mine = mine.saturating_add(item.bytes);
            total.bytes = match storage {
                Storage::Backup => total.bytes.max(item.bytes),
                Storage::HostRoot | Storage::Target(_) | Storage::DataImage => {
                    total.bytes.saturating_add(item.bytes)
                }
            };
        }
        if let Some((main, _)) = by_workload
            .iter()
            .max_by_key(|(name, bytes)| (**bytes, *name))
        {
            total.main = main.to_string();
        }
        total.workloads = by_workload.keys().map(|w| w.to_string()).collect();
        total
    }

    /// The storages the plan writes to, in order.
    pub(crate) fn storages(&self) -> impl Iterator<Item = Storage> + '_ {
        self.by_storage.keys().copied()
    }

    /// The largest dataset a warm cell reads on `storage` (what its page cache must hold).
    pub(crate) fn warm_dataset(plan: &Plan, storage: Storage) -> u64 {
        plan.cells
            .iter()
            .filter(|c| c.phase == crate::workload::Phase::Warm && Storage::of(c.target) == storage)
            .filter_map(|c| DatasetSpec::of(&c.workload))
            .map(|ds| ds.estimated_bytes())
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Overrides, WorkloadFile};
    use crate::targets::spec::TargetKind;
    use std::path::Path;

    const FILE: &str = r#"
[run]
targets = ["native", "bind", "volume", "tmpfs"]
[[workload]]
kind = "seq-read"
name = "seq"
shards = 2
shard_size = "1MiB"
[[workload]]
kind = "random-read"
name = "rand"
shards = 2
shard_size = "1MiB"
[[workload]]
kind = "checkpoint"
name = "ckpt"
size = "4MiB"
chunk_size = "1MiB"
keep = 1
[[workload]]
kind = "backup-restore"
name = "backup"
dirs = 1
files_per_dir = 10
median_size = "10KiB"
sigma = 0.0
"#;

    fn needs_of(text: &str) -> Needs {
        let file = WorkloadFile::parse(Path::new("t.toml"), text).unwrap();
        Needs::of(&Plan::new(file, &Overrides::default()).unwrap())
    }

    /// The bytes of FILE's small-files set (backed up and extracted).
    fn backup_set() -> u64 {
        DatasetSpec::SmallFiles {
            dirs: 1,
            files_per_dir: 10,
            median_size: 10 << 10,
            sigma: 0.0,
            seed: 42,
        }
        .estimated_bytes()
    }

    #[test]
    fn datasets_count_once_written_bytes_per_target_archives_one_at_a_time() {
        let needs = needs_of(FILE);
        let mib = 1u64 << 20;
        let set = backup_set();
        let seq = || DatasetSpec::Shards {
            count: 2,
            size: mib,
            seed: 42,
        };
        // seq and rand read the same shards. Per target: 2 MiB of shards, 8 MiB of
        // checkpoints and the backup set plus its extracted copy; native and bind share
        // the data dir's datasets but each writes its own scratch files.
        let cases: [(Storage, Option<DatasetSpec>, u64); 5] = [
            (Storage::HostRoot, None, 2 * mib + set + 2 * (8 * mib + set)),
            (Storage::HostRoot, Some(seq()), set + 2 * (8 * mib + set)),
            (
                Storage::Target(TargetSpec::new(TargetKind::Volume)),
                None,
                10 * mib + 2 * set,
            ),
            (
                Storage::Target(TargetSpec::new(TargetKind::Tmpfs)),
                None,
                10 * mib + 2 * set,
            ),
            (Storage::Backup, None, set + 10 * 1024 + 1024),
        ];
        for (storage, present, want) in cases {
            let total = needs.total(storage, &|d| Some(d) == present.as_ref());
            assert_eq!(total.bytes, want, "{storage:?}");
        }
        let host = needs.total(Storage::HostRoot, &|_| false);
        assert_eq!(host.main, "ckpt");
        assert_eq!(host.workloads.len(), 3, "rand reads the shards seq brings");
        assert_eq!(host.targets.len(), 2);
    }

    #[test]
    fn the_image_targets_datasets_go_to_the_data_dir_the_image_and_the_copy() {
        let text = FILE.replace(
            r#"targets = ["native", "bind", "volume", "tmpfs"]"#,
            r#"targets = ["native", "image", "volume-from-image"]"#,
        );
        let needs = needs_of(&text);
        let mib = 1u64 << 20;
        let set = backup_set();
        let written = 8 * mib + set;
        let image = Storage::Target(TargetSpec::new(TargetKind::Image));
        let copy = Storage::Target(TargetSpec::new(TargetKind::VolumeFromImage));
        // Datasets: 2 MiB of shards and the backup set, once per storage; the image target
        // writes only its scratch files to its layer, volume-from-image reads its own copy.
        let cases = [
            (Storage::HostRoot, 2 * mib + set + written),
            (Storage::DataImage, 2 * mib + set),
            (image, written),
            (copy, 2 * mib + set + written),
        ];
        for (storage, want) in cases {
            assert_eq!(needs.total(storage, &|_| false).bytes, want, "{storage:?}");
        }
        let targets = needs.total(Storage::DataImage, &|_| false).targets;
        assert_eq!(targets.len(), 2, "{targets:?}");
    }
}
