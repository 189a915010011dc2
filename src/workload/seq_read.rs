//! `seq-read`: shards read front to back with a fixed block size (TFRecord/WebDataset style).

use crate::error::{IoContext, Result};
use crate::measure::{Lap, Op};
use crate::workload::cache::{self, AlignedBuffer};
use crate::workload::dataset::Dataset;
use crate::workload::{read_timed, run_threads, Timed};

/// Thread `t` of `threads` reads shards t, t+threads, …; ops count the reads.
pub fn run(dataset: &Dataset, threads: usize, block: usize, direct: bool) -> Result<Timed> {
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
