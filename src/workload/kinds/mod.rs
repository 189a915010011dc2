//! The workload kinds, one file each. A kind owns its parameters (serde, defaults, unknown
//! fields refused), their checks, its footprint and dataset, its scaling, its metrics and the
//! code that runs one rep. A new kind is a new file here plus its two lines below: its `mod`
//! and its line in `kinds!`.

mod file_set;
pub(crate) mod registry;

pub(crate) mod backup_restore;
pub(crate) mod checkpoint;
pub(crate) mod coherence;
pub(crate) mod metadata;
pub(crate) mod random_read;
pub(crate) mod semantics;
pub(crate) mod seq_read;
pub(crate) mod shared_volume;
pub(crate) mod small_files;
pub(crate) mod train_epoch;
pub(crate) mod watch;

use crate::error::Result;
use crate::metric::Metric;
use crate::size::ByteSize;
use crate::workload::check::Check;
use crate::workload::dataset::DatasetSpec;
use crate::workload::party::{Driven, Duet};
use crate::workload::rep::{Measured, Rep};

pub(crate) use file_set::FileSet;
use registry::kinds;

kinds! {
    "seq-read" => SeqRead(seq_read::SeqRead),
    "small-files" => SmallFiles(small_files::SmallFiles),
    "checkpoint" => Checkpoint(checkpoint::Checkpoint),
    "train-epoch" => TrainEpoch(train_epoch::TrainEpoch),
    "random-read" => RandomRead(random_read::RandomRead),
    "metadata" => Metadata(metadata::Metadata),
    "backup-restore" => BackupRestore(backup_restore::BackupRestore),
    "shared-volume" => SharedVolume(shared_volume::SharedVolume),
    "coherence" => Coherence(coherence::Coherence),
    "watch" => Watch(watch::Watch),
    "semantics" => Semantics(semantics::Semantics),
}

/// What a workload kind knows about itself.
pub(crate) trait Kind {
    /// Checks serde's types cannot make; errors name the field through `c`.
    fn check(&self, c: &Check) -> Result<()>;

    /// The read or write size O_DIRECT must align, or None: the kind does no O_DIRECT.
    fn direct_block(&self) -> Option<ByteSize>;

    /// The generated dataset it reads, if any; `seed` is the workload's.
    fn dataset(&self, seed: u64) -> Option<DatasetSpec>;

    /// Bytes a target must hold for it.
    fn footprint(&self) -> u64;

    /// Bytes one rep writes to the host's backup folder (archives), removed after the rep.
    fn backup_footprint(&self) -> u64 {
        0
    }

    /// The metrics a rep reports, the first being the headline.
    fn metrics(&self) -> &'static [Metric];

    /// Measure one rep.
    fn run(&self, rep: &Rep) -> Result<Measured>;

    /// The same operations, `scale` times as many of them.
    fn scaled(&self, scale: Scale) -> Self
    where
        Self: Sized;

    /// Whether warm passes can be repeated within a rep (`loops`): it only reads.
    fn repeatable(&self) -> bool {
        false
    }

    /// Whether it runs on a `:ro` target: it reads its dataset and writes nothing there.
    fn read_only(&self) -> bool {
        false
    }

    /// Whether it needs a second agent on the same storage.
    fn needs_peer(&self) -> bool {
        false
    }

    /// Whether it runs as a changer and a checker conducted change by change.
    fn driven(&self) -> Option<&dyn Driven> {
        None
    }

    /// Whether some of its probes are played by two agents, one on each side.
    fn duet(&self) -> Option<&dyn Duet> {
        None
    }
}

/// `--scale`: the number of files, shards, reads and samples and checkpoint sizes times a
/// factor; every per-file size, block size and thread count kept, so each operation stays
/// the same and only the amount of them changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scale(pub f64);

impl Scale {
    /// A count, at least 1.
    pub(crate) fn count(self, n: u32) -> u32 {
        ((n as f64 * self.0).round() as u32).max(1)
    }

    /// A folder tree: fewer folders first, keeping their fan-out; below one folder, fewer
    /// files in it.
    pub(crate) fn tree(self, dirs: u32, files_per_dir: u32) -> (u32, u32) {
        let d = dirs as f64 * self.0;
        if d >= 1.0 {
            (d.round() as u32, files_per_dir)
        } else {
            let files = (dirs as f64 * files_per_dir as f64 * self.0).round() as u32;
            (1, files.max(1))
        }
    }
}

impl Params {
    /// Whether the workload needs a second agent on the same storage.
    pub(crate) fn needs_peer(&self) -> bool {
        self.as_kind().needs_peer()
    }

    /// The changer and checker of a driven kind (coherence, watch).
    pub(crate) fn driven(&self) -> Option<&dyn Driven> {
        self.as_kind().driven()
    }

    /// The two-sided part of a kind whose probes need both sides (semantics).
    pub fn duet(&self) -> Option<&dyn Duet> {
        self.as_kind().duet()
    }

    /// Whether the workload reads a pre-generated dataset (and so can run on a `:ro` target).
    pub(crate) fn reads_dataset(&self) -> bool {
        self.as_kind().read_only()
    }

    /// Bytes a target must hold for this workload.
    pub fn footprint(&self) -> u64 {
        self.as_kind().footprint()
    }

    /// Bytes one rep writes to the host's backup folder (0 for kinds that write none).
    pub(crate) fn backup_footprint(&self) -> u64 {
        self.as_kind().backup_footprint()
    }

    /// Bytes of the pre-generated dataset alone (0 for kinds without one).
    pub(crate) fn dataset_footprint(&self) -> u64 {
        self.as_kind().dataset(0).map_or(0, |d| d.estimated_bytes())
    }

    /// The generated dataset the workload reads, if any.
    pub(crate) fn dataset(&self, seed: u64) -> Option<DatasetSpec> {
        self.as_kind().dataset(seed)
    }

    /// The metrics a rep of this kind reports, the first being the headline.
    pub fn metrics(&self) -> &'static [Metric] {
        self.as_kind().metrics()
    }

    /// Measure one rep.
    pub(crate) fn run(&self, rep: &Rep) -> Result<Measured> {
        self.as_kind().run(rep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_with_its_fields_and_defaults() {
        assert_eq!(NAMES.len(), 11);
        for name in NAMES {
            let params = Params::default_of(name).unwrap();
            assert_eq!(params.kind(), *name);
            assert!(!Params::fields_of(name).unwrap().is_empty(), "{name}");
            assert!(params.footprint() > 0, "{name}");
            assert!(!params.metrics().is_empty(), "{name}");
        }
        assert!(Params::default_of("nope").is_none());
        assert_eq!(
            Params::fields_of("seq-read").unwrap(),
            ["shards", "shard_size", "block_size"]
        );
    }

    #[test]
    fn trees_shrink_folders_first_then_files() {
        let cases = [
            ((1000, 1281), 0.01, (10, 1281)),
            ((16, 256), 0.5, (8, 256)),
            ((16, 256), 0.01, (1, 41)),
            ((2, 3), 0.0001, (1, 1)),
            ((4, 10), 2.0, (8, 10)),
        ];
        for ((dirs, files), factor, want) in cases {
            assert_eq!(Scale(factor).tree(dirs, files), want, "{factor}");
        }
        assert_eq!(Scale(0.001).count(8), 1);
    }
}
