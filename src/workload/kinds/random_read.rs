//! `random-read`: records of random size read at random offsets inside large shards (a
//! sample-level random access pattern: TFRecord indexes, LMDB, HDF5 chunks).

use std::fs::File;
use std::os::unix::fs::FileExt;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::measure::{Lap, Op};
use crate::metric::Metric;
use crate::size::ByteSize;
use crate::workload::cache::{self, direct_error, AlignedBuffer};
use crate::workload::check::Check;
use crate::workload::dataset::{Dataset, DatasetSpec};
use crate::workload::kinds::{Kind, Scale};
use crate::workload::rep::{Measured, Rep};
use crate::workload::{run_threads, Timed};

/// Random records (`record_size` up to `record_size_max`) read inside large shards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RandomRead {
    pub shards: u32,
    pub shard_size: ByteSize,
    pub record_size: ByteSize,
    pub record_size_max: ByteSize,
    pub reads: u32,
}

impl Default for RandomRead {
    fn default() -> Self {
        RandomRead {
            shards: 4,
            shard_size: ByteSize(256 << 20),
            record_size: ByteSize(4 << 10),
            record_size_max: ByteSize(128 << 10),
            reads: 8192,
        }
    }
}

impl Kind for RandomRead {
    fn check(&self, c: &Check) -> Result<()> {
        c.positive("shards", self.shards as u64)?;
        c.positive("shard_size", self.shard_size.0)?;
        c.positive("record_size", self.record_size.0)?;
        c.positive("reads", self.reads as u64)?;
        let (min, max) = (self.record_size, self.record_size_max);
        if max < min {
            return Err(c.error(
                "record_size_max",
                format!("{max} is smaller than record_size {min}"),
            ));
        }
        if max > self.shard_size {
            return Err(c.error(
                "record_size_max",
                format!("{max} is larger than shard_size {}", self.shard_size),
            ));
        }
        Ok(())
    }

    fn direct_block(&self) -> Option<ByteSize> {
        Some(self.record_size)
    }

    fn dataset(&self, seed: u64) -> Option<DatasetSpec> {
        Some(DatasetSpec::Shards {
            count: self.shards,
            size: self.shard_size.0,
            seed,
        })
    }

    fn footprint(&self) -> u64 {
        (self.shards as u64).saturating_mul(self.shard_size.0)
    }

    fn metrics(&self) -> &'static [Metric] {
        &[Metric::Read]
    }

    fn run(&self, rep: &Rep) -> Result<Measured> {
        let dataset = rep.dataset()?;
        let t = rep.passes(|pass| {
            read_records(
                dataset,
                &RandomReadConfig {
                    threads: rep.threads(),
                    record_min: self.record_size.0,
                    record_max: self.record_size_max.0,
                    reads: self.reads as u64,
                    direct: rep.direct(),
                    seed: rep.shuffle_seed().wrapping_add(pass),
                },
            )
        })?;
        Ok(Measured::timed(Metric::Read, t))
    }

    fn scaled(&self, scale: Scale) -> Self {
        RandomRead {
            shards: scale.count(self.shards),
            reads: scale.count(self.reads),
            ..self.clone()
        }
    }

    fn repeatable(&self) -> bool {
        true
    }

    fn read_only(&self) -> bool {
        true
    }
}

/// O_DIRECT offsets and lengths are multiples of this.
const DIRECT_ALIGN: u64 = 4096;

pub(crate) struct RandomReadConfig {
    pub threads: usize,
    pub record_min: u64,
    pub record_max: u64,
    pub reads: u64,
    pub direct: bool,
    pub seed: u64,
}

/// Where each read of one thread goes: (shard, offset, length), drawn before timing starts.
fn draws(dataset: &Dataset, config: &RandomReadConfig, thread: usize) -> Vec<(usize, u64, u64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ (thread as u64).wrapping_mul(0x9E37));
    let align = if config.direct { DIRECT_ALIGN } else { 1 };
    let share = config.reads / config.threads as u64
        + u64::from((thread as u64) < config.reads % config.threads as u64);
    (0..share)
        .map(|_| {
            let shard = rng.random_range(0..dataset.sizes.len());
            let len = rng.random_range(config.record_min..=config.record_max);
            let len = (len / align).max(1) * align;
            let last = dataset.sizes[shard].saturating_sub(len);
            let offset = rng.random_range(0..=last) / align * align;
            (shard, offset, len)
        })
        .collect()
}

/// `reads` records in all, split over the threads; ops count records.
pub(crate) fn read_records(dataset: &Dataset, config: &RandomReadConfig) -> Result<Timed> {
    let max = config.record_max as usize;
    // pread needs no file position, so the threads share one handle per shard.
    let files = (0..dataset.sizes.len())
        .map(|i| {
            let path = dataset.path(i);
            cache::open_read(&path, config.direct).at(&path)
        })
        .collect::<Result<Vec<File>>>()?;
    run_threads(
        config.threads,
        &[Op::Read],
        |t| {
            let mut buf = AlignedBuffer::new(max.div_ceil(4096) * 4096);
            buf.fill(1);
            (buf, draws(dataset, config, t))
        },
        |_, (buf, draws), hist| {
            let mut bytes = 0;
            let mut lap = Lap::start();
            for &(shard, offset, len) in draws.iter() {
                let done = files[shard].read_exact_at(&mut buf[..len as usize], offset);
                lap.split(hist, Op::Read);
                done.map_err(|e| Error::io(dataset.path(shard), direct_error(e, config.direct)))?;
                bytes += len;
            }
            Ok((bytes, draws.len() as u64))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_asked_number_of_records_within_the_shards() {
        let root = tempfile::tempdir().unwrap();
        let spec = DatasetSpec::Shards {
            count: 3,
            size: 1 << 20,
            seed: 5,
        };
        Dataset::prepare(root.path(), &spec, 2).unwrap();
        let dataset = Dataset::open(root.path(), &spec).unwrap();
        let config = RandomReadConfig {
            threads: 2,
            record_min: 4096,
            record_max: 131072,
            reads: 101,
            direct: false,
            seed: 1,
        };
        let all: Vec<_> = (0..2).flat_map(|t| draws(&dataset, &config, t)).collect();
        assert_eq!(all.len(), 101);
        for (shard, offset, len) in &all {
            assert!((4096..=131072).contains(len));
            assert!(offset + len <= 1 << 20, "{offset}+{len}");
            assert!(*shard < 3);
        }
        let timed = read_records(&dataset, &config).unwrap();
        assert_eq!(timed.ops, 101);
        assert_eq!(timed.bytes, all.iter().map(|d| d.2).sum::<u64>());
        assert_eq!(timed.histograms.get(Op::Read).unwrap().len(), 101);
    }
}
