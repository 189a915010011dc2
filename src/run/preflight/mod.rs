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
use crate::targets::spec::TargetKind;
use crate::workload::dataset::Dataset;

pub use need::{Needs, Storage, Total};
use space::Entry;
pub use space::{human, KeepFree};

/// What stays free: `--keep-free` over the file's `[run] keep_free` over the default.
pub fn keep_free(plan: &Plan, option: Option<ByteSize>) -> KeepFree {
    option
        .or(plan.file.run.keep_free)
        .map_or(KeepFree::Default, |b| KeepFree::Bytes(b.0))
}

/// The host side, before anything is created: the data dir's filesystem, the size of the
/// tmpfs target, the containers' memory limits.
pub fn check_host(plan: &Plan, data_dir: &Path, keep: KeepFree) -> Result<()> {
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
    let tmpfs = plan.targets.iter().filter(|t| t.kind == TargetKind::Tmpfs);
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
/// `mountbench info -w FILE` and the README's table).
pub fn footprints(plan: &Plan) -> Vec<(Storage, Total)> {
    let needs = Needs::of(plan);
    needs
        .storages()
        .map(|s| (s, needs.total(s, &|_| false)))
        .collect()
}

#[cfg(test)]
mod tests;
