//! The small-files dataset that small-files, train-epoch and backup-restore read. Each of
//! them declares the four fields itself (serde's `flatten` would lose
//! `deny_unknown_fields`) and hands them here for checks, dataset and scaling.

use crate::error::Result;
use crate::size::ByteSize;
use crate::workload::check::Check;
use crate::workload::dataset::DatasetSpec;
use crate::workload::kinds::Scale;

/// Folders of files whose sizes are log-normal around a median.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FileSet {
    pub dirs: u32,
    pub files_per_dir: u32,
    pub median_size: ByteSize,
    pub sigma: f64,
}

impl FileSet {
    pub(crate) const DEFAULT: FileSet = FileSet {
        dirs: 16,
        files_per_dir: 256,
        median_size: ByteSize(110 << 10),
        sigma: 0.6,
    };

    pub(crate) fn check(&self, c: &Check) -> Result<()> {
        c.positive("dirs", self.dirs as u64)?;
        c.positive("files_per_dir", self.files_per_dir as u64)?;
        c.positive("median_size", self.median_size.0)?;
        if !(0.0..=3.0).contains(&self.sigma) {
            return Err(c.error("sigma", format!("{} is outside 0.0..=3.0", self.sigma)));
        }
        Ok(())
    }

    pub(crate) fn dataset(&self, seed: u64) -> DatasetSpec {
        DatasetSpec::SmallFiles {
            dirs: self.dirs,
            files_per_dir: self.files_per_dir,
            median_size: self.median_size.0,
            sigma: self.sigma,
            seed,
        }
    }

    /// Bytes the set takes, estimated (see [`DatasetSpec::estimated_bytes`]).
    pub(crate) fn bytes(&self) -> u64 {
        self.dataset(0).estimated_bytes()
    }

    /// (dirs, files_per_dir) under `--scale`.
    pub(crate) fn scaled_tree(&self, scale: Scale) -> (u32, u32) {
        scale.tree(self.dirs, self.files_per_dir)
    }
}
