//! The rows of reps.csv, summary.csv, latency.csv and histograms.json. Targets, phases and
//! engines are typed; serde reads and writes them as the files spell them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::meta::RunMeta;
use crate::cell::{CellKey, EngineName, MetricKey, Phase, Place, TargetSpec};
use crate::measure::Op;
use crate::metric::Metric;
use crate::percent::Percent;
use crate::workload::cold::CacheCheck;

/// One row of reps.csv: one metric of one rep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepRow {
    pub schema: u32,
    pub run_id: String,
    pub host: String,
    pub os: String,
    /// The engine's name (empty for native).
    pub engine: EngineName,
    /// The engine's flavour and version ("native Linux 20.10.24"; "none" for native). Schema 1
    /// had it in `engine`.
    #[serde(default)]
    pub engine_label: String,
    pub workload: String,
    pub kind: String,
    pub target: TargetSpec,
    pub phase: Phase,
    pub metric: Metric,
    pub rep: u32,
    pub warmup: bool,
    pub bytes: u64,
    pub ops: u64,
    pub seconds: f64,
    pub mib_s: f64,
    pub ops_s: f64,
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub residency: Option<f64>,
    /// Seconds outside the agent's own measurement (process spawn or docker exec round trip).
    pub overhead_s: Option<f64>,
    pub ok: bool,
    pub error: String,
    /// Accelerator utilisation of a train-epoch rep, 0..=1.
    #[serde(default)]
    pub au: Option<f64>,
    /// Cold reps: `evicted` (≤ 5% cached when the clock started), `not-evicted` (more
    /// stayed cached) or `unverified` (the residency could not be measured).
    #[serde(default)]
    pub cache_check: Option<CacheCheck>,
}

/// How a ratio to native was estimated (analysis/paired.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RatioMethod {
    /// Median of per-round ratios: every round the target ran has both sides.
    Paired,
    /// Ratio of medians: some round the target ran lacks a successful rep on one side.
    Unpaired,
}

/// Where a summary row stands against the run's CI goal (analysis/goal.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CiStatus {
    /// Its CI half-width is within the target.
    Reached,
    /// It ran `max_reps` measured reps and its CI is still wider than the target.
    Capped,
    /// Neither yet: more rounds would run (or the run was interrupted).
    Open,
}

/// One row of summary.csv: one metric of one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub schema: u32,
    pub run_id: String,
    pub host: String,
    pub os: String,
    /// The engine's name (empty for native).
    pub engine: EngineName,
    /// The engine's flavour and version ("native Linux 20.10.24"; "none" for native). Schema 1
    /// had it in `engine`.
    #[serde(default)]
    pub engine_label: String,
    pub workload: String,
    pub kind: String,
    pub target: TargetSpec,
    pub phase: Phase,
    pub metric: Metric,
    pub reps: usize,
    pub failed: usize,
    pub median_mib_s: f64,
    pub mean_mib_s: f64,
    pub stdev_mib_s: f64,
    pub ci_low_mib_s: f64,
    pub ci_high_mib_s: f64,
    pub median_ops_s: f64,
    pub ci_low_ops_s: f64,
    pub ci_high_ops_s: f64,
    pub cv: f64,
    pub noisy: bool,
    pub ratio_to_native: Option<f64>,
    pub ratio_ci_low: Option<f64>,
    pub ratio_ci_high: Option<f64>,
    pub residency: Option<f64>,
    pub overhead_s: Option<f64>,
    /// The op whose latency stands for the metric (`Metric::main_op`).
    pub op: Op,
    pub p50_us: Option<f64>,
    pub p90_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub p999_us: Option<f64>,
    pub max_us: Option<f64>,
    /// train-epoch: median accelerator utilisation with its bootstrap 95% CI, and whether
    /// the median meets the MLPerf Storage rule (AU ≥ 90%).
    #[serde(default)]
    pub au: Option<f64>,
    #[serde(default)]
    pub au_ci_low: Option<f64>,
    #[serde(default)]
    pub au_ci_high: Option<f64>,
    #[serde(default)]
    pub au_pass: Option<bool>,
    /// A bind target's median as a multiple of the same engine's volume (`bind:ro` of
    /// `volume:ro`), with the bootstrap 95% CI of the paired ratio: should the dataset live
    /// in a volume? Empty on other targets (schema 2).
    #[serde(default)]
    pub ratio_to_volume: Option<f64>,
    #[serde(default)]
    pub volume_ci_low: Option<f64>,
    #[serde(default)]
    pub volume_ci_high: Option<f64>,
    /// How `ratio_to_native` was estimated: `paired` (median of per-round ratios) or
    /// `unpaired` (ratio of medians, where a round lacks a successful rep on one side).
    #[serde(default)]
    pub ratio_method: Option<RatioMethod>,
    /// Half-width of the 95% CI relative to the figure the CI goal judges: the ratio to
    /// native where there is one, else the median (0 for native as the baseline).
    #[serde(default)]
    pub ci_half_width: Option<f64>,
    /// The run's `target_ci`, when it had one.
    #[serde(default)]
    pub ci_target: Option<Percent>,
    /// `reached`, `capped` (stopped at `max_reps`) or `open`, when the run had a target.
    #[serde(default)]
    pub ci_status: Option<CiStatus>,
    /// Cold cells: the worst cache check of its measured reps (`evicted`, `unverified`,
    /// `not-evicted`), and how many reps were not evicted.
    #[serde(default)]
    pub cache_check: Option<CacheCheck>,
    #[serde(default)]
    pub not_evicted: Option<usize>,
}

impl RepRow {
    pub fn cell(&self) -> CellKey {
        CellKey {
            workload: self.workload.clone(),
            engine: self.engine.clone(),
            target: self.target,
            phase: self.phase,
        }
    }

    pub fn key(&self) -> MetricKey {
        self.cell().metric(self.metric)
    }

    /// The target and its engine (`bind@vm`).
    pub fn place(&self) -> Place {
        Place::new(self.engine.clone(), self.target)
    }

    /// Whether it was measured at `place`.
    pub fn is_at(&self, place: &Place) -> bool {
        self.engine == place.engine && self.target == place.target
    }
}

impl SummaryRow {
    /// Whether this metric moves bytes; metadata storms (create, stat, rename, unlink) only
    /// count operations, so their MiB/s columns are always 0.
    pub fn moves_bytes(&self) -> bool {
        self.metric.moves_bytes()
    }

    pub fn cell(&self) -> CellKey {
        CellKey {
            workload: self.workload.clone(),
            engine: self.engine.clone(),
            target: self.target,
            phase: self.phase,
        }
    }

    /// The target and its engine (`bind@vm`).
    pub fn place(&self) -> Place {
        Place::new(self.engine.clone(), self.target)
    }

    /// Whether it was measured at `place`.
    pub fn is_at(&self, place: &Place) -> bool {
        self.engine == place.engine && self.target == place.target
    }
}

/// One row of latency.csv: percentiles of one op type in one cell, merged over its reps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyRow {
    pub schema: u32,
    pub run_id: String,
    pub host: String,
    pub os: String,
    /// The engine's name (empty for native).
    pub engine: EngineName,
    /// The engine's flavour and version ("native Linux 20.10.24"; "none" for native). Schema 1
    /// had it in `engine`.
    #[serde(default)]
    pub engine_label: String,
    pub workload: String,
    pub target: TargetSpec,
    pub phase: Phase,
    pub op: Op,
    pub count: u64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CellHistograms {
    #[serde(flatten)]
    pub cell: CellKey,
    pub histograms: BTreeMap<Op, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct HistogramsFile {
    pub schema: u32,
    #[serde(flatten)]
    pub meta: RunMeta,
    pub cells: Vec<CellHistograms>,
}
