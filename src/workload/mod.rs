//! The workload engine: the same code runs natively and, as the agent, inside containers.

pub mod backup_restore;
pub mod cache;
pub mod checkpoint;
pub mod dataset;
pub mod metadata;
pub mod random_read;
pub mod seq_read;
pub mod shared_volume;
pub mod small_files;
pub mod spec;
pub mod train_epoch;

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Barrier;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::measure::{Lap, Op, OpHistograms};
use crate::workload::cache::direct_error;

pub use spec::{Params, Phase, Workload};

/// What the timed section of a workload measured.
#[derive(Debug, Clone)]
pub struct Timed {
    pub bytes: u64,
    pub ops: u64,
    pub seconds: f64,
    pub histograms: OpHistograms,
}

impl Timed {
    /// Add a further pass over the same data: its bytes, ops, timed seconds and latencies.
    pub fn absorb(&mut self, pass: Timed) {
        self.bytes += pass.bytes;
        self.ops += pass.ops;
        self.seconds += pass.seconds;
        self.histograms.merge(&pass.histograms);
    }
}

/// Run `work` on `threads` threads that start together. `setup` runs first on each thread,
/// untimed (buffers, histograms); the wall time spans the earliest start to the latest end.
/// `work` returns (bytes, ops) done by that thread.
pub fn run_threads<S, Setup, Work>(
    threads: usize,
    ops: &[Op],
    setup: Setup,
    work: Work,
) -> Result<Timed>
where
    Setup: Fn(usize) -> S + Sync,
    Work: Fn(usize, &mut S, &mut OpHistograms) -> Result<(u64, u64)> + Sync,
{
    let barrier = Barrier::new(threads);
    let outcomes = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, setup, work) = (&barrier, &setup, &work);
                s.spawn(move || {
                    let mut state = setup(t);
                    let mut hist = OpHistograms::with_ops(ops);
                    barrier.wait();
                    let start = Instant::now();
                    let done = work(t, &mut state, &mut hist);
                    let end = Instant::now();
                    done.map(|(bytes, ops)| (start, end, bytes, ops, hist))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| Error::Agent("worker thread panicked".into()))?
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let start = outcomes
        .iter()
        .map(|o| o.0)
        .min()
        .expect("at least one thread");
    let end = outcomes
        .iter()
        .map(|o| o.1)
        .max()
        .expect("at least one thread");
    let mut histograms = OpHistograms::default();
    let (mut bytes, mut ops_done) = (0, 0);
    for (_, _, b, o, h) in &outcomes {
        bytes += b;
        ops_done += o;
        histograms.merge(h);
    }
    Ok(Timed {
        bytes,
        ops: ops_done,
        seconds: (end - start).as_secs_f64(),
        histograms,
    })
}

/// Read exactly `size` bytes of `file` in `buf`-sized reads, each timed as `op` on `lap`;
/// returns the number of reads. A file shorter than its manifest says is an error.
#[allow(clippy::too_many_arguments)]
pub fn read_timed(
    op: Op,
    file: &mut File,
    path: &Path,
    size: u64,
    buf: &mut [u8],
    direct: bool,
    lap: &mut Lap,
    hist: &mut OpHistograms,
) -> Result<u64> {
    read_to_len(file, path, size, buf, direct, || lap.split(hist, op))
}

/// Read exactly `size` bytes of `file` in `buf`-sized reads, calling `after_read` after
/// each one; returns the number of reads.
pub fn read_to_len(
    file: &mut File,
    path: &Path,
    size: u64,
    buf: &mut [u8],
    direct: bool,
    mut after_read: impl FnMut(),
) -> Result<u64> {
    let (mut left, mut reads) = (size, 0u64);
    while left > 0 {
        let want = (left as usize).min(buf.len());
        let read = file.read(&mut buf[..want]);
        after_read();
        let n = read.map_err(|e| Error::io(path, direct_error(e, direct)))?;
        if n == 0 {
            return Err(Error::Agent(format!(
                "{}: shorter than its manifest says",
                path.display()
            )));
        }
        left -= n as u64;
        reads += 1;
    }
    Ok(reads)
}
