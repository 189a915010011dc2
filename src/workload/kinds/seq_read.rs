//! `seq-read`: shards read front to back with a fixed block size (TFRecord/WebDataset style).

use serde::{Deserialize, Serialize};

use crate::error::{IoContext, Result};
use crate::measure::{Lap, Op};
use crate::metric::Metric;
use crate::size::ByteSize;
use crate::workload::cache::{self, AlignedBuffer};
use crate::workload::check::Check;
use crate::workload::dataset::{Dataset, DatasetSpec};
use crate::workload::kinds::{Kind, Scale};
use crate::workload::rep::{Measured, Rep};
use crate::workload::{read_timed, run_threads, Timed};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeqRead {
    pub shards: u32,
    pub shard_size: ByteSize,
    pub block_size: ByteSize,
}

impl Default for SeqRead {
    fn default() -> Self {
        SeqRead {
            shards: 8,
            shard_size: ByteSize(64 << 20),
            block_size: ByteSize(1 << 20),
        }
    }
}

impl Kind for SeqRead {
    fn check(&self, c: &Check) -> Result<()> {
        c.positive("shards", self.shards as u64)?;
        c.positive("shard_size", self.shard_size.0)?;
        c.buffer("block_size", self.block_size)
    }

    fn direct_block(&self) -> Option<ByteSize> {
        Some(self.block_size)
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
        let block = self.block_size.0 as usize;
        let t = rep.passes(|_| read_shards(dataset, rep.threads(), block, rep.direct()))?;
        Ok(Measured::timed(Metric::Read, t))
    }

    fn scaled(&self, scale: Scale) -> Self {
        SeqRead {
            shards: scale.count(self.shards),
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

/// Thread `t` of `threads` reads shards t, t+threads, …; ops count the reads.
pub(crate) fn read_shards(
    dataset: &Dataset,
    threads: usize,
    block: usize,
    direct: bool,
) -> Result<Timed> {
    let threads = threads.min(dataset.sizes.len()).max(1);
    run_threads(
        threads,
        &[Op::Open, Op::Read, Op::Close],
        |_| {
            let mut buf = AlignedBuffer::new(block);
            buf.fill(1);
            let paths: Vec<_> = (0..dataset.sizes.len()).map(|i| dataset.path(i)).collect();
            (buf, paths)
        },
        |t, (buf, paths), hist| {
            let (mut bytes, mut reads) = (0u64, 0u64);
            for i in (t..dataset.sizes.len()).step_by(threads) {
                let path = &paths[i];
                let mut lap = Lap::start();
                let mut file = cache::open_read(path, direct).at(path)?;
                lap.split(hist, Op::Open);
                reads += read_timed(
                    Op::Read,
                    &mut file,
                    path,
                    dataset.sizes[i],
                    buf,
                    direct,
                    &mut lap,
                    hist,
                )?;
                bytes += dataset.sizes[i];
                drop(file);
                lap.split(hist, Op::Close);
            }
            Ok((bytes, reads))
        },
    )
}
