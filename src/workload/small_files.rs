//! `small-files`: many small files in shuffled order, stat + open + read + close each
//! (an ImageNet-style scan).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::error::{IoContext, Result};
use crate::measure::{Lap, Op};
use crate::workload::cache::{self, AlignedBuffer};
use crate::workload::dataset::Dataset;
use crate::workload::{read_timed, run_threads, Timed};

/// Files handed to a thread at a time: large enough that the shared counter is not
/// contended, small enough to balance the tail.
const BATCH: usize = 16;

/// Scan every file once in an order shuffled by `shuffle_seed`; ops count files.
pub fn run(
    dataset: &Dataset,
    threads: usize,
    block: usize,
    stat: bool,
    direct: bool,
    shuffle_seed: u64,
) -> Result<Timed> {
    let mut order: Vec<u32> = (0..dataset.sizes.len() as u32).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(shuffle_seed));
    let next = AtomicUsize::new(0);
    let ops: &[Op] = &[Op::Stat, Op::Open, Op::Read, Op::Close, Op::File];
    run_threads(
        threads,
        ops,
        |_| {
            let mut buf = AlignedBuffer::new(block);
            buf.fill(1);
            (buf, PathBuf::with_capacity(512), String::with_capacity(64))
        },
        |_, (buf, path, rel), hist| {
            let (mut bytes, mut files) = (0u64, 0u64);
            loop {
                let first = next.fetch_add(BATCH, Ordering::Relaxed);
                if first >= order.len() {
                    return Ok((bytes, files));
                }
                for &index in &order[first..(first + BATCH).min(order.len())] {
                    let index = index as usize;
                    rel.clear();
                    dataset.spec.write_rel_path(index, rel);
                    path.clear();
                    path.push(&dataset.dir);
                    path.push(&*rel);
                    let mut lap = Lap::start();
                    if stat {
                        let meta = std::fs::metadata(&*path);
                        lap.split(hist, Op::Stat);
                        meta.at(&*path)?;
                    }
                    let mut file = cache::open_read(path, direct).at(&*path)?;
                    lap.split(hist, Op::Open);
                    read_timed(
                        Op::Read,
                        &mut file,
                        path,
                        dataset.sizes[index],
                        buf,
                        direct,
                        &mut lap,
                        hist,
                    )?;
                    bytes += dataset.sizes[index];
                    drop(file);
                    lap.split(hist, Op::Close);
                    hist.record(Op::File, lap.total().as_nanos() as u64);
                    files += 1;
                }
            }
        },
    )
}
