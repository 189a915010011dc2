//! semantics.csv: one row per probe per measured rep of a semantics cell: what the probe saw
//! there (the raw answer, so the file can be judged again) and its verdict against native's
//! answer on the same host, with the evidence a person reads.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::results::{RunMeta, SCHEMA};
use crate::workload::kinds::semantics::{judge, Observation, Outcome, Probe, Verdict};

pub const FILE: &str = "semantics.csv";

/// How a probe ended, as the `outcome` column names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ended {
    Saw,
    Failed,
    Skipped,
}

/// One row of semantics.csv.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeRow {
    pub schema: u32,
    pub run_id: String,
    pub host: String,
    pub os: String,
    /// The engine's name (empty for native).
    pub engine: String,
    pub engine_label: String,
    pub workload: String,
    pub target: String,
    pub rep: u32,
    pub probe: Probe,
    /// Against native on this host; empty until judged.
    pub verdict: Option<Verdict>,
    pub evidence: String,
    pub outcome: Ended,
    /// What it saw (compared with native), or the note of a skipped probe.
    pub facts: String,
    /// Figures shown but not compared (offsets, allocated bytes, latencies).
    pub detail: String,
    /// The step that failed and its errno.
    pub step: String,
    pub errno: String,
    /// Wall time of the probe, µs.
    pub micros: f64,
}

/// Where a row was measured: its meta, engine, workload, target and rep.
pub struct RowPlace<'a> {
    pub meta: &'a RunMeta,
    pub engine: &'a str,
    pub workload: &'a str,
    pub target: &'a str,
    pub rep: u32,
}

impl ProbeRow {
    pub fn of(at: &RowPlace, o: &Observation) -> ProbeRow {
        let (outcome, facts, detail, step, errno) = match &o.outcome {
            Outcome::Saw { facts, detail } => (Ended::Saw, facts, detail.as_str(), "", ""),
            Outcome::Failed { step, errno } => {
                (Ended::Failed, &String::new(), "", &**step, &**errno)
            }
            Outcome::Skipped { note } => (Ended::Skipped, note, "", "", ""),
        };
        ProbeRow {
            schema: SCHEMA,
            run_id: at.meta.run_id.clone(),
            host: at.meta.host.clone(),
            os: at.meta.os.clone(),
            engine: at.engine.to_string(),
            engine_label: at.meta.engine_label(at.engine),
            workload: at.workload.to_string(),
            target: at.target.to_string(),
            rep: at.rep,
            probe: o.probe,
            verdict: None,
            evidence: String::new(),
            outcome,
            facts: facts.clone(),
            detail: detail.to_string(),
            step: step.to_string(),
            errno: errno.to_string(),
            micros: o.micros,
        }
    }

    pub fn outcome(&self) -> Outcome {
        match self.outcome {
            Ended::Saw => Outcome::saw(&self.facts, &self.detail),
            Ended::Failed => Outcome::Failed {
                step: self.step.clone(),
                errno: self.errno.clone(),
            },
            Ended::Skipped => Outcome::Skipped {
                note: self.facts.clone(),
            },
        }
    }

    pub fn is_native(&self) -> bool {
        self.target == crate::cell::NATIVE
    }

    /// The target and its engine as names show them (`bind@vm`).
    pub fn place(&self) -> String {
        crate::cell::place(&self.engine, &self.target)
    }
}

/// Every row with its verdict against native's answer to the same probe of the same
/// workload on the same host: native's rep of the same number where there is one, else its
/// first. Native's own rows are the reference: `as-native` unless skipped.
pub fn judged(rows: &[ProbeRow]) -> Vec<ProbeRow> {
    let natives: Vec<&ProbeRow> = rows.iter().filter(|r| r.is_native()).collect();
    rows.iter()
        .map(|row| {
            let same = |n: &&&ProbeRow| {
                n.host == row.host && n.workload == row.workload && n.probe == row.probe
            };
            let native = natives
                .iter()
                .filter(same)
                .find(|n| n.rep == row.rep)
                .or_else(|| natives.iter().find(same))
                .map(|n| n.outcome());
            let (verdict, evidence) = judge(native.as_ref(), &row.outcome());
            ProbeRow {
                verdict: Some(verdict),
                evidence,
                ..row.clone()
            }
        })
        .collect()
}

/// semantics.csv's bytes: the rows judged.
pub fn to_csv(rows: &[ProbeRow]) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in judged(rows) {
        writer
            .serialize(row)
            .map_err(|e| Error::Agent(format!("csv: {e}")))?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::Agent(format!("csv: {e}")))
}

/// The rows of `dir/semantics.csv`; none when the folder has no such file.
pub fn load(dir: &Path) -> Result<Vec<ProbeRow>> {
    let path = dir.join(FILE);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let place = |line: usize| format!("{}:{line}", path.display());
    let text = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let mut reader = csv::Reader::from_reader(&text[..]);
    reader
        .deserialize::<ProbeRow>()
        .enumerate()
        .map(|(i, row)| {
            row.map_err(|e| Error::input(place(i + 2), format!("not a semantics.csv row: {e}")))
        })
        .collect()
}

#[cfg(test)]
#[path = "verdicts_tests.rs"]
mod tests;
