//! One rep as a kind's run function sees it, and what it measured.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::measure::OpHistograms;
use crate::metric::Metric;
use crate::workload::dataset::Dataset;
use crate::workload::probe::Observation;
use crate::workload::{Phase, Timed, Workload};

/// One rep to measure, as the agent receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepSpec {
    pub workload: Workload,
    pub phase: Phase,
    /// The storage under test: a host folder (native) or the mount point in the container.
    pub root: PathBuf,
    /// Folder under `root/scratch/` for written files, unique per run and target.
    pub scratch: String,
    /// Sequence number of this rep in the run (warm-ups included); seeds the shuffle.
    pub seq: u64,
    /// The host folder for backup archives, as this agent sees it.
    #[serde(default)]
    pub backup: PathBuf,
    /// The part this agent plays in a two-party workload.
    #[serde(default)]
    pub role: Role,
    /// Where the kind's dataset lives when not under `root` (the `volume` target keeps it
    /// in a persistent volume of its own); set by the target.
    #[serde(default)]
    pub data_root: Option<PathBuf>,
}

impl RepSpec {
    /// The folder holding `datasets/<id>/`.
    pub fn data_root(&self) -> &std::path::Path {
        self.data_root.as_deref().unwrap_or(&self.root)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    #[default]
    Solo,
    Writer,
    Reader,
}

/// A rep being run: its spec and, for kinds that read one, its dataset with the cache phase
/// already set.
pub struct Rep<'a> {
    pub spec: &'a RepSpec,
    dataset: Option<&'a Dataset>,
}

impl<'a> Rep<'a> {
    pub fn new(spec: &'a RepSpec, dataset: Option<&'a Dataset>) -> Self {
        Rep { spec, dataset }
    }

    pub fn workload(&self) -> &Workload {
        &self.spec.workload
    }

    pub fn threads(&self) -> usize {
        self.spec.workload.threads as usize
    }

    pub fn direct(&self) -> bool {
        self.spec.workload.direct
    }

    /// The kind's dataset; an error for kinds without one.
    pub fn dataset(&self) -> Result<&Dataset> {
        self.dataset
            .ok_or_else(|| Error::Protocol("this workload kind has no dataset".into()))
    }

    /// Make the rep's passes over the data (`Workload::passes`), summed.
    pub fn passes(&self, mut pass: impl FnMut(u64) -> Result<Timed>) -> Result<Timed> {
        let mut total = pass(0)?;
        for n in 1..self.spec.workload.passes(self.spec.phase) as u64 {
            total.absorb(pass(n)?);
        }
        Ok(total)
    }

    /// A different order every rep, the same on every host and target.
    pub fn shuffle_seed(&self) -> u64 {
        self.spec.workload.seed ^ self.spec.seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    /// This workload's folder for written files on the target.
    pub fn scratch_dir(&self) -> PathBuf {
        self.spec
            .root
            .join("scratch")
            .join(&self.spec.scratch)
            .join(&self.spec.workload.name)
    }
}

/// One metric of a rep: bytes and ops done in `seconds` of wall time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricResult {
    pub metric: Metric,
    pub bytes: u64,
    pub ops: u64,
    pub seconds: f64,
    /// Accelerator utilisation (train-epoch): compute time over the steps' wall time.
    #[serde(default)]
    pub au: Option<f64>,
}

impl MetricResult {
    pub fn of(metric: Metric, bytes: u64, ops: u64, seconds: f64) -> MetricResult {
        MetricResult {
            metric,
            bytes,
            ops,
            seconds,
            au: None,
        }
    }

    pub fn timed(metric: Metric, t: &Timed) -> MetricResult {
        MetricResult::of(metric, t.bytes, t.ops, t.seconds)
    }
}

/// What a kind's run function measured in one rep.
pub struct Measured {
    /// One per metric the kind lists, in its order (none from a two-party rep's writer).
    pub metrics: Vec<MetricResult>,
    pub histograms: OpHistograms,
    /// The cache residency of data the kind wrote itself (a checkpoint) before reading it.
    pub residency: Option<f64>,
    /// What each semantics probe saw (empty for other kinds).
    pub observations: Vec<Observation>,
}

impl Measured {
    /// The one metric and the latencies of one timed section.
    pub fn timed(metric: Metric, t: Timed) -> Measured {
        Measured {
            metrics: vec![MetricResult::timed(metric, &t)],
            histograms: t.histograms,
            residency: None,
            observations: Vec::new(),
        }
    }
}
