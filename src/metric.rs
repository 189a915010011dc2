//! The closed set of metrics a rep reports: each one's name in the result files, its unit,
//! whether it moves bytes, and the op whose latency stands for it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::measure::Op;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// seq-read and random-read: bytes read.
    Read,
    /// small-files: every file of the set opened, read and closed.
    Scan,
    /// checkpoint: write, fsync, rename and folder fsync of one checkpoint.
    Save,
    /// checkpoint on macOS natively: the save, plus F_FULLFSYNC flushing the drive's cache
    /// (what a save with Rust's `sync_all` or a durable database costs there).
    SaveFullFsync,
    /// checkpoint: open to the end of the file's fsync (fio's write + end_fsync).
    WriteFsync,
    /// checkpoint without fsync: open to close.
    Write,
    /// checkpoint: reading the newest checkpoint back.
    Restore,
    /// train-epoch: samples delivered to the emulated accelerator.
    Epoch,
    Create,
    Stat,
    Rename,
    Unlink,
    /// backup-restore: files appended to an archive.
    Backup,
    /// backup-restore: files extracted from it.
    Extract,
    /// shared-volume: samples published by one container and seen by another.
    Visible,
    /// coherence: changes made on one side whose new content the other side read.
    Seen,
    /// coherence: changes whose first read after they were made returned the old state.
    Stale,
    /// coherence: changes never seen within the wait limit.
    Lost,
    /// watch: file events delivered to the watcher.
    Delivered,
    /// watch: file events never delivered within the wait limit.
    Missed,
    /// semantics: the probes run (ops) and the time they took.
    Probes,
    /// semantics: small write + fsync pairs.
    Fsync,
}

/// What a metric's rate counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    MibPerSec,
    FilesPerSec,
    OpsPerSec,
    /// A count per rep (stale reads, lost changes, missed events), not a rate.
    Count,
}

impl Unit {
    pub fn label(self) -> &'static str {
        match self {
            Unit::MibPerSec => "MiB/s",
            Unit::FilesPerSec => "files/s",
            Unit::OpsPerSec => "ops/s",
            Unit::Count => "per rep",
        }
    }
}

impl Metric {
    pub const ALL: [Metric; 22] = [
        Metric::Read,
        Metric::Scan,
        Metric::Save,
        Metric::SaveFullFsync,
        Metric::WriteFsync,
        Metric::Write,
        Metric::Restore,
        Metric::Epoch,
        Metric::Create,
        Metric::Stat,
        Metric::Rename,
        Metric::Unlink,
        Metric::Backup,
        Metric::Extract,
        Metric::Visible,
        Metric::Seen,
        Metric::Stale,
        Metric::Lost,
        Metric::Delivered,
        Metric::Missed,
        Metric::Probes,
        Metric::Fsync,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Read => "read",
            Metric::Scan => "scan",
            Metric::Save => "save",
            Metric::SaveFullFsync => "save-full-fsync",
            Metric::WriteFsync => "write-fsync",
            Metric::Write => "write",
            Metric::Restore => "restore",
            Metric::Epoch => "epoch",
            Metric::Create => "create",
            Metric::Stat => "stat",
            Metric::Rename => "rename",
            Metric::Unlink => "unlink",
            Metric::Backup => "backup",
            Metric::Extract => "extract",
            Metric::Visible => "visible",
            Metric::Seen => "seen",
            Metric::Stale => "stale",
            Metric::Lost => "lost",
            Metric::Delivered => "delivered",
            Metric::Missed => "missed",
            Metric::Probes => "probes",
            Metric::Fsync => "fsync",
        }
    }

    /// The unit its charts plot; bytes-moving metrics also carry MiB/s in the CSV.
    pub fn unit(self) -> Unit {
        match self {
            Metric::Scan => Unit::FilesPerSec,
            Metric::Create | Metric::Stat | Metric::Rename | Metric::Unlink => Unit::OpsPerSec,
            Metric::Probes | Metric::Fsync => Unit::OpsPerSec,
            Metric::Seen | Metric::Delivered => Unit::OpsPerSec,
            Metric::Stale | Metric::Lost | Metric::Missed => Unit::Count,
            _ => Unit::MibPerSec,
        }
    }

    /// Whether it counts incidents per rep instead of timing work: never charted as a rate
    /// nor compared with native as a ratio.
    pub fn is_count(self) -> bool {
        self.unit() == Unit::Count
    }

    /// Whether it belongs to a driven boundary workload (coherence, watch): changes seen,
    /// stale, lost, events delivered, missed. Not a rate to compare with native; the
    /// report's boundary section shows them instead of the throughput, ratio and latency
    /// charts and tables.
    pub fn is_boundary(self) -> bool {
        matches!(
            self,
            Metric::Seen | Metric::Stale | Metric::Lost | Metric::Delivered | Metric::Missed
        )
    }

    /// Whether a rep of this metric moves data (so MiB/s means something).
    pub fn moves_bytes(self) -> bool {
        self.unit() == Unit::MibPerSec || self == Metric::Scan
    }

    /// The op whose latency histogram stands for this metric.
    pub fn main_op(self) -> Op {
        match self {
            Metric::Read => Op::Read,
            Metric::Scan => Op::File,
            Metric::Save | Metric::WriteFsync | Metric::Write => Op::Write,
            Metric::SaveFullFsync => Op::FullFsync,
            Metric::Restore => Op::Restore,
            Metric::Epoch => Op::Wait,
            Metric::Create => Op::Create,
            Metric::Stat => Op::Stat,
            Metric::Rename => Op::Rename,
            Metric::Unlink => Op::Unlink,
            Metric::Backup => Op::Archive,
            Metric::Extract => Op::Extract,
            Metric::Visible | Metric::Seen | Metric::Stale | Metric::Lost => Op::Visible,
            Metric::Delivered | Metric::Missed => Op::Event,
            Metric::Probes => Op::Probe,
            Metric::Fsync => Op::Fsync,
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Metric {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown metric '{s}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_serde() {
        for m in Metric::ALL {
            assert_eq!(m.name().parse::<Metric>(), Ok(m));
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.name()));
        }
        assert!("bogus".parse::<Metric>().is_err());
    }

    #[test]
    fn units_and_bytes_agree() {
        let table = [
            (Metric::Read, Unit::MibPerSec, true),
            (Metric::Scan, Unit::FilesPerSec, true),
            (Metric::Epoch, Unit::MibPerSec, true),
            (Metric::Stat, Unit::OpsPerSec, false),
            (Metric::Visible, Unit::MibPerSec, true),
            (Metric::Seen, Unit::OpsPerSec, false),
            (Metric::Stale, Unit::Count, false),
            (Metric::Missed, Unit::Count, false),
        ];
        for (m, unit, bytes) in table {
            assert_eq!((m.unit(), m.moves_bytes()), (unit, bytes), "{m}");
        }
    }

    #[test]
    fn boundary_metrics_are_the_driven_kinds_own() {
        let boundary: Vec<Metric> = Metric::ALL
            .into_iter()
            .filter(|m| m.is_boundary())
            .collect();
        assert_eq!(
            boundary,
            [
                Metric::Seen,
                Metric::Stale,
                Metric::Lost,
                Metric::Delivered,
                Metric::Missed
            ]
        );
        assert!(!Metric::Visible.is_boundary(), "shared-volume is a rate");
    }
}
