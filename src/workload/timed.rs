//! The timed section of a workload: threads that start together, and what they measured.

use std::sync::Barrier;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::measure::{Op, OpHistograms};

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
    pub(crate) fn absorb(&mut self, pass: Timed) {
        self.bytes += pass.bytes;
        self.ops += pass.ops;
        self.seconds += pass.seconds;
        self.histograms.merge(&pass.histograms);
    }
}

/// Run `work` on `threads` threads that start together. `setup` runs first on each thread,
/// untimed (buffers, histograms); the wall time spans the earliest start to the latest end.
/// `work` returns (bytes, ops) done by that thread.
pub(crate) fn run_threads<S, Setup, Work>(
    threads: usize,
    ops: &[Op],
    setup: Setup,
    work: Work,
) -> Result<Timed>
where
    Setup: Fn(usize) -> S + Sync,
    Work: Fn(usize, &mut S, &mut OpHistograms) -> Result<(u64, u64)> + Sync,
{
    run_threads_then(threads, ops, setup, work, |_, _| {})
}

/// As `run_threads`, and `finish` runs on each thread after its timed work, untimed (to
/// record latencies kept aside during it).
pub(crate) fn run_threads_then<S, Setup, Work, Finish>(
    threads: usize,
    ops: &[Op],
    setup: Setup,
    work: Work,
    finish: Finish,
) -> Result<Timed>
where
    Setup: Fn(usize) -> S + Sync,
    Work: Fn(usize, &mut S, &mut OpHistograms) -> Result<(u64, u64)> + Sync,
    Finish: Fn(&mut S, &mut OpHistograms) + Sync,
{
    let barrier = Barrier::new(threads);
    let outcomes = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, setup, work, finish) = (&barrier, &setup, &work, &finish);
                s.spawn(move || {
                    let mut state = setup(t);
                    let mut hist = OpHistograms::with_ops(ops);
                    barrier.wait();
                    let start = Instant::now();
                    let done = work(t, &mut state, &mut hist);
                    let end = Instant::now();
                    finish(&mut state, &mut hist);
                    done.map(|(bytes, ops)| (start, end, bytes, ops, hist))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| Error::Panicked { thread: "worker" })?)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_that_panics_fails_the_section_with_a_one_line_error() {
        let work = |t: usize, _: &mut (), _: &mut OpHistograms| -> Result<(u64, u64)> {
            assert!(t == 0, "worker {t} gives up");
            Ok((1, 1))
        };
        let err = run_threads(2, &[Op::Read], |_| (), work).unwrap_err();
        assert!(matches!(err, Error::Panicked { thread: "worker" }), "{err}");
        assert_eq!(err.to_string(), "the worker thread panicked");
    }
}
