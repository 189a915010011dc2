//! The shape of a dataset: its layout, file sizes and paths, all drawn from a seed.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

use crate::workload::Workload;

const MAX_SMALL_FILE: u64 = 64 << 20;

/// The shape of a dataset; equal specs give byte-identical files on every host and target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "layout", rename_all = "kebab-case")]
pub enum DatasetSpec {
    Shards {
        count: u32,
        size: u64,
        seed: u64,
    },
    SmallFiles {
        dirs: u32,
        files_per_dir: u32,
        median_size: u64,
        sigma: f64,
        seed: u64,
    },
}

impl DatasetSpec {
    /// The dataset `workload` reads, if its kind reads one.
    pub fn of(workload: &Workload) -> Option<Self> {
        workload.params.dataset(workload.seed)
    }

    /// Bytes the dataset takes, estimated without drawing its sizes: a log-normal set's
    /// mean is median * exp(sigma^2 / 2), plus 10% for tail luck.
    pub(crate) fn estimated_bytes(&self) -> u64 {
        match self {
            DatasetSpec::Shards { count, size, .. } => (*count as u64).saturating_mul(*size),
            DatasetSpec::SmallFiles {
                dirs,
                files_per_dir,
                median_size,
                sigma,
                ..
            } => {
                let mean = *median_size as f64 * (sigma * sigma / 2.0).exp();
                (*dirs as f64 * *files_per_dir as f64 * mean * 1.1) as u64
            }
        }
    }

    /// A stable folder name: layout plus a hash of the spec.
    pub(crate) fn id(&self) -> String {
        let json = serde_json::to_string(self).expect("dataset spec serializes");
        let layout = match self {
            DatasetSpec::Shards { .. } => "shards",
            DatasetSpec::SmallFiles { .. } => "small-files",
        };
        format!(
            "{layout}-{:016x}",
            xxhash_rust::xxh3::xxh3_64(json.as_bytes())
        )
    }

    pub(crate) fn file_count(&self) -> usize {
        match self {
            DatasetSpec::Shards { count, .. } => *count as usize,
            DatasetSpec::SmallFiles {
                dirs,
                files_per_dir,
                ..
            } => *dirs as usize * *files_per_dir as usize,
        }
    }

    /// File sizes in index order.
    pub fn sizes(&self) -> Vec<u64> {
        match self {
            DatasetSpec::Shards { count, size, .. } => vec![*size; *count as usize],
            DatasetSpec::SmallFiles {
                median_size,
                sigma,
                seed,
                ..
            } => {
                let mut rng = ChaCha8Rng::seed_from_u64(*seed);
                // The log-normal tail is cut, at 16× the median for very large samples.
                let cap = MAX_SMALL_FILE.max(median_size.saturating_mul(16));
                let dist = LogNormal::new((*median_size as f64).ln(), *sigma)
                    .expect("validated sigma is finite and non-negative");
                (0..self.file_count())
                    .map(|_| (dist.sample(&mut rng).round() as u64).clamp(1, cap))
                    .collect()
            }
        }
    }

    /// Path of file `index` relative to the dataset folder.
    pub(crate) fn rel_path(&self, index: usize) -> String {
        let mut out = String::new();
        self.write_rel_path(index, &mut out);
        out
    }

    /// Append the relative path of file `index` to `out` (no allocation once `out` is large).
    pub(crate) fn write_rel_path(&self, index: usize, out: &mut String) {
        use std::fmt::Write as _;
        let _ = match self {
            DatasetSpec::Shards { .. } => write!(out, "shard-{index:05}.bin"),
            DatasetSpec::SmallFiles { files_per_dir, .. } => {
                let per = *files_per_dir as usize;
                write!(out, "d{:04}/f{:07}.bin", index / per, index % per)
            }
        };
    }

    pub(crate) fn seed(&self) -> u64 {
        match self {
            DatasetSpec::Shards { seed, .. } | DatasetSpec::SmallFiles { seed, .. } => *seed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_file_sizes_center_on_the_median() {
        let spec = DatasetSpec::SmallFiles {
            dirs: 10,
            files_per_dir: 1000,
            median_size: 110 << 10,
            sigma: 0.6,
            seed: 1,
        };
        let mut sizes = spec.sizes();
        sizes.sort_unstable();
        let median = sizes[sizes.len() / 2] as f64;
        assert!(
            (median / (110 << 10) as f64 - 1.0).abs() < 0.05,
            "median {median}"
        );
    }
}
