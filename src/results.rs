//! Result files: the row types of reps.csv, summary.csv, latency.csv and histograms.json,
//! and reading a result folder back (written atomically: [`write_atomic`]).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use crate::atomic::write_atomic;
pub use crate::cell::CellKey;
use crate::cell::MetricKey;
use crate::error::{Error, IoContext, Result};
use crate::measure::{Op, OpHistograms};
use crate::metric::Metric;
use crate::percent::Percent;
use crate::verdicts::ProbeRow;
use crate::workload::cold::CacheCheck;

/// Version of every result file; bumped when a column or field changes meaning. Schema 2:
/// cells carry their engine (`engine` is its name, the old label moved to `engine_label`);
/// env.json records every engine by name.
pub const SCHEMA: u32 = 2;

/// The schemas this mountbench reads; older ones are upgraded on load.
pub const READS: [u32; 2] = [1, 2];

/// Identity of a run, repeated in every row so files from many hosts can be concatenated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunMeta {
    pub run_id: String,
    pub host: String,
    pub os: String,
    /// Each engine's row label by name ("native Linux 20.10.24", "test VM 20.10.24"), from
    /// env.json; not written in histograms.json.
    #[serde(skip)]
    pub engine_labels: BTreeMap<String, String>,
}

impl RunMeta {
    /// The label rows of this engine carry; "none" for native.
    pub fn engine_label(&self, engine: &str) -> String {
        self.engine_labels
            .get(engine)
            .cloned()
            .unwrap_or_else(|| "none".to_string())
    }
}

/// One row of reps.csv: one metric of one rep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepRow {
    pub schema: u32,
    pub run_id: String,
    pub host: String,
    pub os: String,
    /// The engine's name (empty for native).
    pub engine: String,
    /// The engine's flavour and version ("native Linux 20.10.24"; "none" for native). Schema 1
    /// had it in `engine`.
    #[serde(default)]
    pub engine_label: String,
    pub workload: String,
    pub kind: String,
    pub target: String,
    pub phase: String,
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
    pub engine: String,
    /// The engine's flavour and version ("native Linux 20.10.24"; "none" for native). Schema 1
    /// had it in `engine`.
    #[serde(default)]
    pub engine_label: String,
    pub workload: String,
    pub kind: String,
    pub target: String,
    pub phase: String,
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
            target: self.target.clone(),
            phase: self.phase.clone(),
        }
    }

    pub fn key(&self) -> MetricKey {
        self.cell().metric(self.metric)
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
            target: self.target.clone(),
            phase: self.phase.clone(),
        }
    }

    /// The target and its engine as names show them (`bind@vm`).
    pub fn place(&self) -> String {
        crate::cell::place(&self.engine, &self.target)
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
    pub engine: String,
    /// The engine's flavour and version ("native Linux 20.10.24"; "none" for native). Schema 1
    /// had it in `engine`.
    #[serde(default)]
    pub engine_label: String,
    pub workload: String,
    pub target: String,
    pub phase: String,
    pub op: Op,
    pub count: u64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellHistograms {
    #[serde(flatten)]
    pub cell: CellKey,
    pub histograms: BTreeMap<Op, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistogramsFile {
    pub schema: u32,
    #[serde(flatten)]
    pub meta: RunMeta,
    pub cells: Vec<CellHistograms>,
}

/// What a run has measured so far: every rep row and, per cell, the op histograms merged
/// over its measured (not warm-up) successful reps.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub meta: RunMeta,
    pub reps: Vec<RepRow>,
    pub histograms: BTreeMap<CellKey, OpHistograms>,
    /// What each semantics probe saw, per measured rep (semantics.csv).
    pub probes: Vec<ProbeRow>,
}

impl Results {
    pub fn new(meta: RunMeta) -> Self {
        Results {
            meta,
            ..Default::default()
        }
    }

    /// A step's rows, its histograms (none for a warm-up or a failure) and its probes'
    /// answers.
    pub fn record(
        &mut self,
        rows: Vec<RepRow>,
        cell: CellKey,
        histograms: Option<OpHistograms>,
        probes: Vec<ProbeRow>,
    ) {
        self.reps.extend(rows);
        self.probes.extend(probes);
        if let Some(h) = histograms {
            self.histograms.entry(cell).or_default().merge(&h);
        }
    }

    pub fn histograms_file(&self) -> HistogramsFile {
        HistogramsFile {
            schema: SCHEMA,
            meta: self.meta.clone(),
            cells: self
                .histograms
                .iter()
                .map(|(cell, h)| CellHistograms {
                    cell: cell.clone(),
                    histograms: h.encode(),
                })
                .collect(),
        }
    }

    /// Read reps.csv, histograms.json and semantics.csv (if any) of a result folder (schema 1 upgraded: its cells
    /// ran on the run's one engine, `default`).
    pub fn load(dir: &Path) -> Result<Self> {
        let place = dir.display().to_string();
        let reps_path = dir.join("reps.csv");
        if !reps_path.is_file() {
            return Err(Error::input(
                &place,
                "not a mountbench result folder (no reps.csv)",
            ));
        }
        let reps = load_reps(&reps_path)?;
        let hist_path = dir.join("histograms.json");
        let text = fs::read_to_string(&hist_path).at(&hist_path)?;
        let file: HistogramsFile = serde_json::from_str(&text)
            .map_err(|e| Error::input(hist_path.display().to_string(), e.to_string()))?;
        check_schema(&hist_path, file.schema)?;
        let mut histograms = BTreeMap::new();
        for mut cell in file.cells {
            let h = OpHistograms::decode(&cell.histograms)
                .map_err(|e| Error::input(hist_path.display().to_string(), e))?;
            if file.schema == 1 {
                cell.cell.engine = schema1_engine(&cell.cell.target);
            }
            histograms.insert(cell.cell, h);
        }
        Ok(Results {
            meta: file.meta,
            reps,
            histograms,
            probes: crate::verdicts::load(dir)?,
        })
    }
}

fn check_schema(path: &Path, schema: u32) -> Result<()> {
    if READS.contains(&schema) {
        return Ok(());
    }
    Err(Error::input(
        path.display().to_string(),
        format!("schema {schema} (this mountbench reads schemas 1 and {SCHEMA})"),
    ))
}

/// reps.csv's rows, schema-1 rows upgraded to schema 2.
fn load_reps(path: &Path) -> Result<Vec<RepRow>> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| Error::input(path.display().to_string(), e.to_string()))?;
    let mut reps = Vec::new();
    for (line, row) in reader.deserialize::<RepRow>().enumerate() {
        let mut row: RepRow = row.map_err(|e| {
            Error::input(
                format!("{}:{}", path.display(), line + 2),
                format!("not a mountbench reps.csv row: {e}"),
            )
        })?;
        check_schema(path, row.schema)?;
        if row.schema == 1 {
            row.engine_label = std::mem::take(&mut row.engine);
            row.engine = schema1_engine(&row.target);
            row.schema = SCHEMA;
        }
        reps.push(row);
    }
    Ok(reps)
}

/// The engine of a schema-1 cell: none for native, else the run's one engine.
fn schema1_engine(target: &str) -> String {
    if target == crate::cell::NATIVE {
        crate::cell::NO_ENGINE.to_string()
    } else {
        crate::cell::DEFAULT_ENGINE.to_string()
    }
}
