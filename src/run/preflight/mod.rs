//! Preflight: before a byte is written, everything the plan will create (datasets,
//! checkpoints, scratch files, backup archives) against the free space where it will live,
//! and every tmpfs against memory. The host side runs before anything at all is created;
//! the engine side (a volume's or a layer's filesystem, the engine's memory) once the
//! targets' containers run, before any dataset is generated in them. Refusals are input
//! errors (exit 2) on one line naming the workload, the target, the bytes and the place.

mod memory;
mod need;
mod space;
mod targets;

use std::path::Path;

use crate::agent::FsSpace;
use crate::datadir::DataDir;
use crate::error::Result;
use crate::plan::Plan;
use crate::size::ByteSize;
use crate::targets::spec::Store;
use crate::workload::dataset::Dataset;

pub(crate) use need::Needs;
pub use need::{Storage, Total};
pub use space::human;
use space::Entry;
pub(crate) use space::KeepFree;

/// What stays free: `--keep-free` over the file's `[run] keep_free` over the default.
pub(crate) fn keep_free(plan: &Plan, option: Option<ByteSize>) -> KeepFree {
    option
        .or(plan.file.run.keep_free)
        .map_or(KeepFree::Default, |b| KeepFree::Bytes(b.0))
}

/// The host side, before anything is created: the data dir's filesystem, the size of the
/// tmpfs target, the containers' memory limits.
pub(crate) fn check_host(plan: &Plan, data_dir: &Path, keep: KeepFree) -> Result<()> {
    DataDir::check(data_dir)?;
    let needs = Needs::of(plan);
    memory::check_containers(plan, &needs)?;
    let mut entries = host_entries(&needs, data_dir)?;
    entries.extend(tmpfs_entries(plan, &needs));
    space::check(entries, keep)
}

/// The data dir's storages: the host root (its datasets already there need nothing) and
/// the backup folder, each on the filesystem that holds (or will hold) it.
fn host_entries(needs: &Needs, data_dir: &Path) -> Result<Vec<Entry>> {
    let data = DataDir {
        path: data_dir.to_path_buf(),
    };
    let host_root = data.host_root();
    let present = |ds: &_| Dataset::is_present(&host_root, ds);
    let mut entries = Vec::new();
    for (storage, path) in [
        (Storage::HostRoot, host_root.clone()),
        (Storage::Backup, data.backup_root()),
    ] {
        let total = needs.total(storage, &present);
        if total.bytes == 0 {
            continue;
        }
        let space = FsSpace::of(&path)?;
        let what = format!(
            "the filesystem of {} ({})",
            path.display(),
            space.describe()
        );
        entries.push(Entry {
            total,
            space,
            dedicated: false,
            what,
        });
    }
    Ok(entries)
}

/// The tmpfs target: a filesystem of its own, as large as its configured size.
fn tmpfs_entries(plan: &Plan, needs: &Needs) -> Vec<Entry> {
    let size = plan.file.targets.tmpfs.size;
    let tmpfs = plan
        .targets
        .iter()
        .filter(|t| t.kind.store() == Store::Tmpfs);
    tmpfs
        .map(|&target| {
            let storage = Storage::Target(target);
            Entry {
                total: needs.total(storage, &|_| false),
                space: FsSpace {
                    path: crate::targets::image::MOUNT_POINT.into(),
                    size: size.0,
                    free: size.0,
                    geometry: (0, 0, 0),
                    mount_point: String::new(),
                    fs_type: "tmpfs".into(),
                },
                dedicated: true,
                what: format!("the tmpfs of target {target} ([targets.tmpfs] size {size})"),
            }
        })
        .collect()
}

/// One line per storage the plan writes to: what it needs, counting every dataset (for
/// `mountbench info -w FILE` and the table in docs/disk-space.md).
pub fn footprints(plan: &Plan) -> Vec<(Storage, Total)> {
    let needs = Needs::of(plan);
    needs
        .storages()
        .map(|s| (s, needs.total(s, &|_| false)))
        .collect()
}

/// The host side of the preflight on real filesystems: nothing is created, whatever it says.
#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::plan::{Overrides, WorkloadFile};
    use crate::workload::dataset::DatasetSpec;

    fn plan(text: &str) -> Plan {
        let file = WorkloadFile::parse(Path::new("t.toml"), text).unwrap();
        Plan::new(file, &Overrides::default()).unwrap()
    }

    fn seq(shard_size: &str, shards: u64) -> String {
        format!(
            "[[workload]]\nkind = \"seq-read\"\nname = \"big\"\nshards = {shards}\nshard_size = \"{shard_size}\"\n"
        )
    }

    #[test]
    fn the_data_dir_must_hold_what_the_plan_writes_there() {
        let tmp = tempfile::tempdir().unwrap();
        let free = FsSpace::of(tmp.path()).unwrap().free;
        let almost = format!("{}", (free - (100 << 20)) / 4096 * 4096);
        // (plan, keep free, accepted, wanted in the message)
        let cases = [
            (
                seq("1EiB", 1000),
                KeepFree::Default,
                false,
                "needs more than 16EiB",
            ),
            (seq("1EiB", 1), KeepFree::Bytes(0), false, "needs 1.0EiB"),
            (seq(&almost, 1), KeepFree::Default, false, "keeps"),
            (seq(&almost, 1), KeepFree::Bytes(0), true, ""),
            (seq("1MiB", 2), KeepFree::Default, true, ""),
        ];
        for (text, keep, accepted, want) in cases {
            let data = tmp.path().join("data");
            let checked = check_host(&plan(&text), &data, keep);
            assert_eq!(checked.is_ok(), accepted, "{text}: {checked:?}");
            if let Err(e) = checked {
                let text = e.to_string();
                assert_eq!(e.exit_code(), 2);
                assert!(text.contains("workload \"big\" on native"), "{text}");
                assert!(
                    text.contains(want) && text.contains(&data.display().to_string()),
                    "{text}"
                );
            }
            assert!(!data.exists(), "nothing created");
        }
    }

    #[test]
    fn a_dataset_already_there_needs_no_space_and_tmpfs_and_memory_are_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let data = DataDir::open(&tmp.path().join("data")).unwrap();
        let small = plan(&seq("1MiB", 2));
        let spec = DatasetSpec::of(&small.cells[0].workload).unwrap();
        Dataset::prepare(&data.host_root(), &spec, 1).unwrap();
        let needs = Needs::of(&small);
        let present = |ds: &_| Dataset::is_present(&data.host_root(), ds);
        assert_eq!(needs.total(Storage::HostRoot, &present).bytes, 0);
        assert_eq!(needs.total(Storage::HostRoot, &|_| false).bytes, 2 << 20);

        let tmpfs = |size: &str, memory: &str, shard: &str| {
            format!("[run]\ntargets = [\"tmpfs\"]\n[targets.tmpfs]\nsize = \"{size}\"\n[targets.container]\nmemory = \"{memory}\"\n{}", seq(shard, 4))
        };
        // The tmpfs's pages are what is written (4 × the shard) plus a margin, not its size.
        let cases = [
            (tmpfs("8MiB", "1GiB", "1MiB"), None),
            (
                tmpfs("2MiB", "1GiB", "1MiB"),
                Some("[targets.tmpfs] size 2MiB"),
            ),
            (tmpfs("900MiB", "1GiB", "1MiB"), None),
            (
                tmpfs("900MiB", "1GiB", "200MiB"),
                Some("container memory limit"),
            ),
        ];
        for (text, refused) in cases {
            let checked = check_host(&plan(&text), &tmp.path().join("other"), KeepFree::Default);
            match (checked, refused) {
                (Ok(()), None) => {}
                (Err(e), Some(want)) => {
                    let text = e.to_string();
                    assert!(
                        text.contains(want) && text.contains("cannot hold"),
                        "{text}"
                    );
                }
                (got, want) => panic!("{text}: {got:?}, wanted {want:?}"),
            }
        }
    }
}
