//! `train-epoch`: one epoch of a training loop over a small-files dataset, in the spirit of
//! DLIO / MLPerf Storage. Reader threads read shuffled samples into batches and queue them
//! (`prefetch` deep); the trainer takes one batch per step and emulates the accelerator's
//! compute by sleeping `compute_time`. Accelerator utilisation AU = compute / wall.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Barrier};
use std::time::{Duration, Instant};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use serde::{Deserialize, Serialize};

use crate::duration::HumanDuration;
use crate::error::{Error, IoContext, Result};
use crate::measure::{Lap, Op, OpHistograms};
use crate::metric::Metric;
use crate::size::ByteSize;
use crate::workload::cache::{self, AlignedBuffer};
use crate::workload::check::Check;
use crate::workload::dataset::{Dataset, DatasetSpec};
use crate::workload::kinds::{FileSet, Kind, Scale};
use crate::workload::read_timed;
use crate::workload::rep::{Measured, MetricResult, Rep};

/// MLPerf Storage counts a run as passing when AU stays at or above this.
pub(crate) const AU_PASS: f64 = 0.90;

/// Reader threads (`threads`) fill a prefetch queue of batches; the trainer takes one per
/// step and "computes" for `compute_time`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainEpoch {
    pub dirs: u32,
    pub files_per_dir: u32,
    pub median_size: ByteSize,
    pub sigma: f64,
    pub block_size: ByteSize,
    pub batch_size: u32,
    pub prefetch: u32,
    pub compute_time: HumanDuration,
}

impl Default for TrainEpoch {
    fn default() -> Self {
        let set = FileSet::DEFAULT;
        TrainEpoch {
            dirs: set.dirs,
            files_per_dir: set.files_per_dir,
            median_size: set.median_size,
            sigma: set.sigma,
            block_size: ByteSize(1 << 20),
            batch_size: 32,
            prefetch: 2,
            compute_time: HumanDuration(Duration::from_millis(10)),
        }
    }
}

impl TrainEpoch {
    fn set(&self) -> FileSet {
        FileSet {
            dirs: self.dirs,
            files_per_dir: self.files_per_dir,
            median_size: self.median_size,
            sigma: self.sigma,
        }
    }
}

impl Kind for TrainEpoch {
    fn check(&self, c: &Check) -> Result<()> {
        self.set().check(c)?;
        c.buffer("block_size", self.block_size)?;
        c.positive("batch_size", self.batch_size as u64)?;
        c.positive("prefetch", self.prefetch as u64)?;
        if self.compute_time.0 > Duration::from_secs(60) {
            return Err(c.error(
                "compute_time",
                format!("{} is more than a minute per step", self.compute_time),
            ));
        }
        Ok(())
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
        &[Metric::Epoch]
    }

    fn run(&self, rep: &Rep) -> Result<Measured> {
        let done = epoch(
            rep.dataset()?,
            &EpochConfig {
                readers: rep.threads(),
                block: self.block_size.0 as usize,
                batch_size: self.batch_size as usize,
                prefetch: self.prefetch as usize,
                compute: self.compute_time.0,
                direct: rep.direct(),
                shuffle_seed: rep.shuffle_seed(),
            },
        )?;
        let result = MetricResult {
            au: Some(done.clock.au()),
            ..MetricResult::of(Metric::Epoch, done.bytes, done.samples, done.seconds)
        };
        Ok(Measured {
            metrics: vec![result],
            histograms: done.histograms,
            residency: None,
            observations: Vec::new(),
        })
    }

    fn scaled(&self, scale: Scale) -> Self {
        let (dirs, files_per_dir) = self.set().scaled_tree(scale);
        TrainEpoch {
            dirs,
            files_per_dir,
            ..self.clone()
        }
    }

    fn read_only(&self) -> bool {
        true
    }
}

/// What the trainer saw, step by step: how long it waited for data and how long it
/// computed. AU is compute over the steps' wall time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct StepClock {
    pub steps: u64,
    pub wait: Duration,
    pub compute: Duration,
}

impl StepClock {
    pub(crate) fn record(&mut self, wait: Duration, compute: Duration) {
        self.steps += 1;
        self.wait += wait;
        self.compute += compute;
    }

    /// Accelerator utilisation in 0..=1: the share of the steps' time spent computing.
    pub(crate) fn au(&self) -> f64 {
        let total = (self.wait + self.compute).as_secs_f64();
        if total == 0.0 {
            0.0
        } else {
            self.compute.as_secs_f64() / total
        }
    }
}

pub(crate) struct EpochConfig {
    pub readers: usize,
    pub block: usize,
    pub batch_size: usize,
    pub prefetch: usize,
    pub compute: Duration,
    pub direct: bool,
    pub shuffle_seed: u64,
}

pub(crate) struct Epoch {
    pub bytes: u64,
    pub samples: u64,
    /// From the first step's wait to the last step's compute.
    pub seconds: f64,
    pub clock: StepClock,
    pub histograms: OpHistograms,
}

/// One epoch: every sample once, in batches, in an order shuffled by `shuffle_seed`.
pub(crate) fn epoch(dataset: &Dataset, config: &EpochConfig) -> Result<Epoch> {
    let mut order: Vec<u32> = (0..dataset.sizes.len() as u32).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(config.shuffle_seed));
    let batches: Vec<&[u32]> = order.chunks(config.batch_size.max(1)).collect();
    let next = AtomicUsize::new(0);
    let readers = config.readers.max(1);
    let barrier = Barrier::new(readers + 1);
    let (tx, rx) = mpsc::sync_channel::<u64>(config.prefetch.max(1));
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..readers)
            .map(|_| {
                let (tx, barrier, next, batches) = (tx.clone(), &barrier, &next, &batches);
                s.spawn(move || {
                    read_batches(dataset, config, (batches.as_slice(), next), barrier, &tx)
                })
            })
            .collect();
        drop(tx);
        barrier.wait();
        let (mut epoch, steps) = train(config, batches.len(), &rx);
        drop(rx);
        for w in workers {
            let reader = w
                .join()
                .map_err(|_| Error::Panicked { thread: "reader" })??;
            epoch.histograms.merge(&reader);
        }
        if steps < batches.len() {
            return Err(Error::Unfinished {
                work: "the epoch's readers".into(),
                done: steps as u64,
                total: batches.len() as u64,
                unit: "batches",
                why: "the batch queue closed early".into(),
            });
        }
        epoch.samples = order.len() as u64;
        Ok(epoch)
    })
}

/// The trainer: one batch per step, waiting for it then computing; returns the epoch so far
/// and the steps made (fewer than `batches` when a reader failed).
fn train(config: &EpochConfig, batches: usize, rx: &mpsc::Receiver<u64>) -> (Epoch, usize) {
    let mut hist = OpHistograms::with_ops(&[Op::Wait]);
    let mut clock = StepClock::default();
    let (mut bytes, mut steps) = (0u64, 0usize);
    let start = Instant::now();
    while steps < batches {
        let asked = Instant::now();
        let Ok(batch_bytes) = rx.recv() else {
            break; // a reader failed; its error is collected by the caller
        };
        let wait = asked.elapsed();
        hist.record(Op::Wait, wait.as_nanos() as u64);
        let computing = Instant::now();
        std::thread::sleep(config.compute);
        clock.record(wait, computing.elapsed());
        bytes += batch_bytes;
        steps += 1;
    }
    let epoch = Epoch {
        bytes,
        samples: 0,
        seconds: start.elapsed().as_secs_f64(),
        clock,
        histograms: hist,
    };
    (epoch, steps)
}

/// A reader: once set up and everyone is ready, takes the next batch, reads its samples
/// and queues the batch's bytes, until no batch is left or the trainer has stopped.
fn read_batches(
    dataset: &Dataset,
    config: &EpochConfig,
    (batches, next): (&[&[u32]], &AtomicUsize),
    ready: &Barrier,
    tx: &mpsc::SyncSender<u64>,
) -> Result<OpHistograms> {
    let mut hist = OpHistograms::with_ops(&[Op::Open, Op::Read, Op::Close, Op::File]);
    let mut buf = AlignedBuffer::new(config.block);
    buf.fill(1);
    let (mut path, mut rel) = (PathBuf::with_capacity(512), String::new());
    ready.wait();
    loop {
        let Some(batch) = batches.get(next.fetch_add(1, Ordering::Relaxed)) else {
            return Ok(hist);
        };
        let mut bytes = 0;
        for &index in *batch {
            let index = index as usize;
            rel.clear();
            dataset.spec.write_rel_path(index, &mut rel);
            path.clear();
            path.push(&dataset.dir);
            path.push(&rel);
            let mut lap = Lap::start();
            let mut file = cache::open_read(&path, config.direct).at(&path)?;
            lap.split(&mut hist, Op::Open);
            let size = dataset.sizes[index];
            read_timed(
                Op::Read,
                &mut file,
                &path,
                size,
                &mut buf,
                config.direct,
                &mut lap,
                &mut hist,
            )?;
            drop(file);
            lap.split(&mut hist, Op::Close);
            hist.record(Op::File, lap.total().as_nanos() as u64);
            bytes += size;
        }
        if tx.send(bytes).is_err() {
            return Ok(hist);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn au_is_compute_over_wait_plus_compute() {
        let ms = Duration::from_millis;
        // (wait, compute) per step → AU.
        let cases: [(&[(u64, u64)], f64); 4] = [
            (&[(0, 10), (0, 10)], 1.0),
            (&[(10, 10), (10, 10)], 0.5),
            (&[(30, 10), (0, 10), (0, 10), (0, 10)], 40.0 / 70.0),
            (&[(1, 9); 10], 0.9),
        ];
        for (steps, want) in cases {
            let mut clock = StepClock::default();
            for (wait, compute) in steps {
                clock.record(ms(*wait), ms(*compute));
            }
            assert!(
                (clock.au() - want).abs() < 1e-9,
                "{steps:?}: {}",
                clock.au()
            );
            assert_eq!(clock.steps, steps.len() as u64);
        }
        assert_eq!(StepClock::default().au(), 0.0);
        let mut edge = StepClock::default();
        edge.record(ms(1), ms(19));
        assert!(edge.au() >= AU_PASS);
    }

    #[test]
    fn an_epoch_reads_every_sample_once_and_accounts_its_time() {
        let root = tempfile::tempdir().unwrap();
        let spec = DatasetSpec::SmallFiles {
            dirs: 2,
            files_per_dir: 25,
            median_size: 4096,
            sigma: 0.3,
            seed: 3,
        };
        Dataset::prepare(root.path(), &spec, 2).unwrap();
        let dataset = Dataset::open(root.path(), &spec).unwrap();
        let epoch = epoch(
            &dataset,
            &EpochConfig {
                readers: 2,
                block: 1 << 20,
                batch_size: 8,
                prefetch: 2,
                compute: Duration::from_millis(1),
                direct: false,
                shuffle_seed: 9,
            },
        )
        .unwrap();
        assert_eq!(epoch.samples, 50);
        assert_eq!(epoch.bytes, dataset.total_bytes());
        assert_eq!(epoch.clock.steps, 7, "50 samples in batches of 8");
        assert_eq!(epoch.histograms.get(Op::File).unwrap().len(), 50);
        assert_eq!(epoch.histograms.get(Op::Wait).unwrap().len(), 7);
        // The steps account for the epoch's wall time (the loop itself adds next to nothing).
        let stepped = (epoch.clock.wait + epoch.clock.compute).as_secs_f64();
        assert!(stepped <= epoch.seconds && stepped > 0.9 * epoch.seconds);
        assert!(epoch.clock.compute >= Duration::from_millis(7));
    }
}
