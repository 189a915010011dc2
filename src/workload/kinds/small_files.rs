//! `small-files`: many small files in shuffled order, stat + open + read + close each
//! (an ImageNet-style scan).
//!
//! Every file's latency is recorded (`file`, timed back to back from the end of the file
//! before, so one clock read per file; it therefore includes building the file's path, as
//! the rep's wall time always did, while the sampled parts start after it). It is kept in a
//! preallocated vector during the pass and put into its histogram after the pass, untimed. The parts (`stat`, `open`, `read`, `close`) are
//! timed on every `breakdown_every`-th file of each thread: at ~40 ns per clock read in a
//! VM, timing all four parts of every file costs ~2-4% of a cached 11 µs file, sampling
//! one file in 16 keeps the whole cost under 1%. The shuffled order makes the sample
//! random over the files. A sampled file's own `file` latency carries its parts' extra
//! clock reads and records (~0.15 µs).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use serde::{Deserialize, Serialize};

use crate::error::{IoContext, Result};
use crate::measure::{Deferred, Lap, Op, OpHistograms};
use crate::metric::Metric;
use crate::size::ByteSize;
use crate::workload::cache::{self, AlignedBuffer};
use crate::workload::check::Check;
use crate::workload::dataset::{Dataset, DatasetSpec};
use crate::workload::kinds::{FileSet, Kind, Scale};
use crate::workload::rep::{Measured, Rep};
use crate::workload::{read_timed, read_to_len, run_threads_then, Timed};

/// small-files times the parts of one file in 16 by default: recording stays under 1% of
/// a cached file op (see benches/recording.rs).
pub(crate) const DEFAULT_BREAKDOWN_EVERY: u32 = 16;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmallFiles {
    pub dirs: u32,
    pub files_per_dir: u32,
    pub median_size: ByteSize,
    pub sigma: f64,
    pub stat: bool,
    /// Time stat/open/read/close on every n-th file; every file's total is timed.
    pub breakdown_every: u32,
    pub block_size: ByteSize,
}

impl Default for SmallFiles {
    fn default() -> Self {
        let set = FileSet::DEFAULT;
        SmallFiles {
            dirs: set.dirs,
            files_per_dir: set.files_per_dir,
            median_size: set.median_size,
            sigma: set.sigma,
            stat: true,
            breakdown_every: DEFAULT_BREAKDOWN_EVERY,
            block_size: ByteSize(1 << 20),
        }
    }
}

impl SmallFiles {
    fn set(&self) -> FileSet {
        FileSet {
            dirs: self.dirs,
            files_per_dir: self.files_per_dir,
            median_size: self.median_size,
            sigma: self.sigma,
        }
    }
}

impl Kind for SmallFiles {
    fn check(&self, c: &Check) -> Result<()> {
        self.set().check(c)?;
        c.buffer("block_size", self.block_size)?;
        c.positive("breakdown_every", self.breakdown_every as u64)
    }

    fn direct_block(&self) -> Option<ByteSize> {
        Some(self.block_size)
    }

    fn dataset(&self, seed: u64) -> Option<DatasetSpec> {
        Some(self.set().dataset(seed))
    }

    fn footprint(&self) -> u64 {
        self.set().bytes()
    }

    fn metrics(&self) -> &'static [Metric] {
        &[Metric::Scan]
    }

    fn run(&self, rep: &Rep) -> Result<Measured> {
        let dataset = rep.dataset()?;
        let t = rep.passes(|pass| {
            scan(
                dataset,
                Scan {
                    threads: rep.threads(),
                    block: self.block_size.0 as usize,
                    stat: self.stat,
                    direct: rep.direct(),
                    breakdown_every: self.breakdown_every,
                    shuffle_seed: rep.shuffle_seed().wrapping_add(pass),
                },
            )
        })?;
        Ok(Measured::timed(Metric::Scan, t))
    }

    fn scaled(&self, scale: Scale) -> Self {
        let (dirs, files_per_dir) = self.set().scaled_tree(scale);
        SmallFiles {
            dirs,
            files_per_dir,
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

/// Files handed to a thread at a time: large enough that the shared counter is not
/// contended, small enough to balance the tail.
const BATCH: usize = 16;

/// How the scan is done and timed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scan {
    pub threads: usize,
    pub block: usize,
    pub stat: bool,
    pub direct: bool,
    /// Time the parts of every n-th file (1 = every file).
    pub breakdown_every: u32,
    pub shuffle_seed: u64,
}

/// Scan every file once in an order shuffled by `shuffle_seed`; ops count files.
pub(crate) fn scan(dataset: &Dataset, scan: Scan) -> Result<Timed> {
    let every = scan.breakdown_every.max(1) as u64;
    let mut order: Vec<u32> = (0..dataset.sizes.len() as u32).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(scan.shuffle_seed));
    let next = AtomicUsize::new(0);
    let ops: &[Op] = &[Op::Stat, Op::Open, Op::Read, Op::Close, Op::File];
    run_threads_then(
        scan.threads,
        ops,
        |_| {
            let mut buf = AlignedBuffer::new(scan.block);
            buf.fill(1);
            let path = PathBuf::with_capacity(512);
            // Any thread may end up with every file.
            (
                buf,
                path,
                String::with_capacity(64),
                Deferred::new(Op::File, order.len()),
            )
        },
        |_, (buf, path, rel, per_file), hist| {
            let (mut bytes, mut files) = (0u64, 0u64);
            let mut lap = Lap::start();
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
                    let size = dataset.sizes[index];
                    if files % every == 0 {
                        read_timing_parts(path, size, &scan, buf, &mut lap, hist)?;
                    } else {
                        read_whole(path, size, &scan, buf)?;
                        lap.tick();
                    }
                    lap.end_deferred(per_file);
                    bytes += size;
                    files += 1;
                }
            }
        },
        |(_, _, _, per_file), hist| per_file.flush(hist),
    )
}

/// Stat (if asked), open, read and close one file, each part timed on `lap`.
#[inline]
fn read_timing_parts(
    path: &Path,
    size: u64,
    scan: &Scan,
    buf: &mut [u8],
    lap: &mut Lap,
    hist: &mut OpHistograms,
) -> Result<()> {
    lap.tick();
    if scan.stat {
        let meta = std::fs::metadata(path);
        lap.split(hist, Op::Stat);
        meta.at(path)?;
    }
    let mut file = cache::open_read(path, scan.direct).at(path)?;
    lap.split(hist, Op::Open);
    read_timed(Op::Read, &mut file, path, size, buf, scan.direct, lap, hist)?;
    drop(file);
    lap.split(hist, Op::Close);
    Ok(())
}

/// Stat (if asked), open, read and close one file, untimed.
#[inline]
fn read_whole(path: &Path, size: u64, scan: &Scan, buf: &mut [u8]) -> Result<()> {
    if scan.stat {
        std::fs::metadata(path).at(path)?;
    }
    let mut file = cache::open_read(path, scan.direct).at(path)?;
    read_to_len(&mut file, path, size, buf, scan.direct, || {})?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_timed_and_its_parts_on_every_nth() {
        let root = tempfile::tempdir().unwrap();
        let spec = DatasetSpec::SmallFiles {
            dirs: 3,
            files_per_dir: 40,
            median_size: 4096,
            sigma: 0.5,
            seed: 5,
        };
        Dataset::prepare(root.path(), &spec, 2).unwrap();
        let dataset = Dataset::open(root.path(), &spec).unwrap();
        // (threads, every, parts timed): each thread times the parts of its 1st, (n+1)th, …
        // file, so two threads sample one or two more files than one.
        for (threads, every, lo, hi) in [
            (1, 1, 120, 120),
            (1, 16, 8, 8),
            (1, 1000, 1, 1),
            (2, 16, 8, 10),
        ] {
            let t = scan(
                &dataset,
                Scan {
                    threads,
                    block: 1 << 20,
                    stat: true,
                    direct: false,
                    breakdown_every: every,
                    shuffle_seed: 1,
                },
            )
            .unwrap();
            assert_eq!((t.ops, t.bytes), (120, dataset.total_bytes()));
            assert_eq!(t.histograms.get(Op::File).unwrap().len(), 120);
            for op in [Op::Stat, Op::Open, Op::Read, Op::Close] {
                let n = t.histograms.get(op).unwrap().len();
                assert!(
                    (lo..=hi).contains(&n),
                    "{threads} threads, every {every}: {op:?} {n}"
                );
            }
        }
    }
}
