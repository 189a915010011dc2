//! Result files: the row types of reps.csv, summary.csv, latency.csv, histograms.json and
//! semantics.csv, and reading a result folder back (written atomically: [`write_atomic`]).

mod meta;
mod rows;
pub mod verdicts;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

pub use crate::atomic::write_atomic;
pub use crate::cell::CellKey;
use crate::cell::{EngineName, TargetSpec};
use crate::error::{Error, IoContext, Result};
use crate::measure::OpHistograms;
pub(crate) use meta::to_csv;
pub use meta::{RunMeta, READS, SCHEMA};
pub(crate) use rows::{CellHistograms, HistogramsFile};
pub use rows::{CiStatus, LatencyRow, RatioMethod, RepRow, SummaryRow};
use verdicts::ProbeRow;

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
    pub(crate) fn new(meta: RunMeta) -> Self {
        Results {
            meta,
            ..Default::default()
        }
    }

    /// A step's rows, its histograms (none for a warm-up or a failure) and its probes'
    /// answers.
    pub(crate) fn record(
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

    pub(crate) fn histograms_file(&self) -> HistogramsFile {
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
                cell.cell.engine = schema1_engine(cell.cell.target);
            }
            histograms.insert(cell.cell, h);
        }
        Ok(Results {
            meta: file.meta,
            reps,
            histograms,
            probes: verdicts::load(dir)?,
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
            row.engine_label = std::mem::take(&mut row.engine).into_string();
            row.engine = schema1_engine(row.target);
            row.schema = SCHEMA;
        }
        reps.push(row);
    }
    Ok(reps)
}

/// The engine of a schema-1 cell: none for native, else the run's one engine.
fn schema1_engine(target: TargetSpec) -> EngineName {
    if target.is_native() {
        EngineName::NONE
    } else {
        EngineName::default_engine()
    }
}
