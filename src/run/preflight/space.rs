//! Free space against what the plan puts on each filesystem, keeping a margin free on the
//! filesystems the run shares with everything else on the machine.

use std::collections::BTreeMap;

use super::need::Total;
use crate::agent::FsSpace;
use crate::error::{Error, Result};

/// What stays free on a filesystem the run shares (not on a tmpfs of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeepFree {
    /// 5% of the filesystem, at least 1 GiB.
    Default,
    /// Exactly this many bytes (`--keep-free`, `[run] keep_free`).
    Bytes(u64),
}

impl KeepFree {
    pub(crate) fn of(self, fs_size: u64) -> u64 {
        match self {
            KeepFree::Default => (fs_size / 20).max(1 << 30),
            KeepFree::Bytes(bytes) => bytes,
        }
    }
}

/// One storage's need on one filesystem.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub total: Total,
    pub space: FsSpace,
    /// A filesystem the run made for itself alone (a tmpfs): nothing else lives there, so
    /// nothing is kept free on it.
    pub dedicated: bool,
    /// The filesystem as the message names it.
    pub what: String,
}

/// Refuse, naming the first filesystem that cannot hold what the plan puts on it.
/// Storages on one filesystem (the data dir and Docker's volumes on one disk) add up.
pub(crate) fn check(entries: Vec<Entry>, keep: KeepFree) -> Result<()> {
    let mut groups: BTreeMap<(u64, u64, u64, usize), Vec<Entry>> = BTreeMap::new();
    for (index, entry) in entries.into_iter().enumerate() {
        let key = if entry.dedicated {
            (0, 0, 0, index + 1)
        } else {
            let (a, b, c) = entry.space.geometry;
            (a, b, c, 0)
        };
        groups.entry(key).or_default().push(entry);
    }
    for group in groups.values() {
        check_group(group, keep)?;
    }
    Ok(())
}

fn check_group(group: &[Entry], keep: KeepFree) -> Result<()> {
    let need = group
        .iter()
        .fold(0u64, |sum, e| sum.saturating_add(e.total.bytes));
    let free = group.iter().map(|e| e.space.free).min().unwrap_or(0);
    let size = group.iter().map(|e| e.space.size).max().unwrap_or(0);
    let dedicated = group.iter().all(|e| e.dedicated);
    let kept = if dedicated { 0 } else { keep.of(size) };
    if need.saturating_add(kept) <= free {
        return Ok(());
    }
    let Some(largest) = group.iter().max_by_key(|e| e.total.bytes) else {
        return Ok(());
    };
    let mut workloads = std::collections::BTreeSet::new();
    let mut targets = std::collections::BTreeSet::new();
    for e in group {
        workloads.extend(e.total.workloads.iter().cloned());
        targets.extend(e.total.targets.iter().map(|t| t.to_string()));
    }
    let more = match workloads.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    let targets: Vec<String> = targets.into_iter().collect();
    let keeps = if kept > 0 {
        format!(
            " and keeps {} free (--keep-free, [run] keep_free)",
            human(kept)
        )
    } else {
        String::new()
    };
    Err(Error::input(
        format!(
            "workload \"{}\"{more} on {}",
            largest.total.main,
            targets.join(", ")
        ),
        format!(
            "needs {}; {} has {} free{keeps}: it cannot hold that; nothing was written",
            human(need),
            largest.what,
            human(free)
        ),
    ))
}

/// Bytes for people, up to EiB; a need past what u64 counts is "more than 16EiB".
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes == u64::MAX {
        return "more than 16EiB".into();
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{value:.1}{}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::preflight::Storage;
    use crate::targets::spec::{TargetKind, TargetSpec};

    const GIB: u64 = 1 << 30;

    fn entry(storage: Storage, need: u64, size: u64, free: u64, fs: u64, dedicated: bool) -> Entry {
        let target = match storage {
            Storage::Target(t) => t,
            Storage::HostRoot | Storage::Backup | Storage::DataImage => {
                TargetSpec::new(TargetKind::Native)
            }
        };
        Entry {
            total: Total {
                bytes: need,
                main: "w".into(),
                workloads: ["w".to_string()].into(),
                targets: [target].into(),
            },
            space: FsSpace {
                path: "/x".into(),
                size,
                free,
                geometry: (4096, fs, fs),
                mount_point: "/".into(),
                fs_type: "ext4".into(),
            },
            dedicated,
            what: "the filesystem of /x".into(),
        }
    }

    /// (case, what the plan puts where, what stays free, whether it fits)
    #[rustfmt::skip]
    fn cases() -> Vec<(&'static str, Vec<Entry>, KeepFree, bool)> {
        let volume = Storage::Target(TargetSpec::new(TargetKind::Volume));
        let tmpfs = Storage::Target(TargetSpec::new(TargetKind::VolumeOpts));
        let host = Storage::HostRoot;
        vec![
            ("fits with 1GiB kept", vec![entry(host, 8 * GIB, 100 * GIB, 14 * GIB, 1, false)], KeepFree::Default, true),
            ("5% of a large disk kept", vec![entry(host, 8 * GIB, 1000 * GIB, 50 * GIB, 1, false)], KeepFree::Default, false),
            ("free less 100MiB", vec![entry(host, 10 * GIB - (100 << 20), 100 * GIB, 10 * GIB, 1, false)], KeepFree::Default, false),
            ("same but nothing kept", vec![entry(host, 10 * GIB - (100 << 20), 100 * GIB, 10 * GIB, 1, false)], KeepFree::Bytes(0), true),
            ("more than u64 counts", vec![entry(host, u64::MAX, 100 * GIB, 50 * GIB, 1, false)], KeepFree::Bytes(0), false),
            ("one disk for host and volume adds up", vec![entry(host, 6 * GIB, 100 * GIB, 12 * GIB, 1, false), entry(volume, 6 * GIB, 100 * GIB, 12 * GIB, 1, false)], KeepFree::Default, false),
            ("two disks do not", vec![entry(host, 6 * GIB, 100 * GIB, 12 * GIB, 1, false), entry(volume, 6 * GIB, 100 * GIB, 12 * GIB, 2, false)], KeepFree::Default, true),
            ("a tmpfs of its own keeps nothing", vec![entry(tmpfs, 16 << 20, 16 << 20, 16 << 20, 3, true)], KeepFree::Default, true),
            ("a tmpfs too small", vec![entry(tmpfs, 64 << 20, 16 << 20, 16 << 20, 3, true)], KeepFree::Default, false),
        ]
    }

    #[test]
    fn needs_plus_what_stays_free_against_free_space() {
        for (name, entries, keep, fits) in cases() {
            let got = check(entries, keep);
            assert_eq!(got.is_ok(), fits, "{name}: {got:?}");
            if let Err(e) = got {
                assert_eq!(e.exit_code(), 2, "{name}");
                let text = e.to_string();
                assert!(
                    text.contains("workload \"w\"") && text.contains("cannot hold"),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn sizes_read_the_human_way() {
        let cases = [
            (512, "512B"),
            (1536, "1.5KiB"),
            (1 << 60, "1.0EiB"),
            (u64::MAX, "more than 16EiB"),
        ];
        for (bytes, want) in cases {
            assert_eq!(human(bytes), want);
        }
    }
}
