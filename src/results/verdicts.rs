//! semantics.csv: one row per probe per measured rep of a semantics cell: what the probe saw
//! there (the raw answer, so the file can be judged again) and its verdict against native's
//! answer on the same host, with the evidence a person reads.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::meta::{RunMeta, SCHEMA};
use crate::cell::{EngineName, Place, TargetSpec};
use crate::error::{Error, Result};
use crate::workload::kinds::semantics::{judge, Observation, Outcome, Probe, Verdict};

pub(crate) const FILE: &str = "semantics.csv";

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
    pub engine: EngineName,
    pub engine_label: String,
    pub workload: String,
    pub target: TargetSpec,
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
pub(crate) struct RowPlace<'a> {
    pub meta: &'a RunMeta,
    pub engine: &'a EngineName,
    pub workload: &'a str,
    pub target: TargetSpec,
    pub rep: u32,
}

impl ProbeRow {
    pub(crate) fn of(at: &RowPlace, o: &Observation) -> ProbeRow {
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
            engine: at.engine.clone(),
            engine_label: at.meta.engine_label(at.engine),
            workload: at.workload.to_string(),
            target: at.target,
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
        self.target.is_native()
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

/// Every row with its verdict against native's answer to the same probe of the same
/// workload on the same host: native's rep of the same number where there is one, else its
/// first. Native's own rows are the reference: `as-native` unless skipped.
pub(crate) fn judged(rows: &[ProbeRow]) -> Vec<ProbeRow> {
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
pub(crate) fn to_csv(rows: &[ProbeRow]) -> Result<Vec<u8>> {
    super::meta::to_csv(FILE, judged(rows))
}

/// The rows of `dir/semantics.csv`; none when the folder has no such file.
pub(crate) fn load(dir: &Path) -> Result<Vec<ProbeRow>> {
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
mod tests {
    use std::io;

    use super::*;

    fn meta(host: &str) -> RunMeta {
        RunMeta {
            run_id: "r1".into(),
            host: host.into(),
            os: "Linux".into(),
            engine_labels: [("default".to_string(), "native Linux 20.10".to_string())].into(),
        }
    }

    fn row(host: &str, engine: &str, target: &str, probe: Probe, outcome: Outcome) -> ProbeRow {
        let meta = meta(host);
        let engine = EngineName::from(engine);
        let at = RowPlace {
            meta: &meta,
            engine: &engine,
            workload: "semantics",
            target: target.parse().unwrap(),
            rep: 0,
        };
        ProbeRow::of(
            &at,
            &Observation {
                probe,
                outcome,
                micros: 12.5,
            },
        )
    }

    fn rows() -> Vec<ProbeRow> {
        let enotsup = io::Error::from_raw_os_error(libc::EOPNOTSUPP);
        vec![
            row("a", "", "native", Probe::Case, Outcome::saw("2 files", "")),
            row(
                "a",
                "default",
                "bind",
                Probe::Case,
                Outcome::saw("1 file", ""),
            ),
            row("a", "", "native", Probe::Xattr, Outcome::saw("ok", "")),
            row(
                "a",
                "default",
                "tmpfs",
                Probe::Xattr,
                Outcome::failed("setxattr", &enotsup),
            ),
            row(
                "b",
                "default",
                "bind",
                Probe::Case,
                Outcome::saw("2 files", ""),
            ),
        ]
    }

    #[test]
    fn each_row_is_judged_against_native_on_its_own_host() {
        let judged = judged(&rows());
        let verdicts: Vec<(String, Option<Verdict>)> = judged
            .iter()
            .map(|r| {
                (
                    format!("{}/{}/{}", r.host, r.place(), r.probe.name()),
                    r.verdict,
                )
            })
            .collect();
        assert_eq!(
            verdicts,
            [
                ("a/native/case".into(), Some(Verdict::AsNative)),
                ("a/bind/case".into(), Some(Verdict::Differs)),
                ("a/native/xattr".into(), Some(Verdict::AsNative)),
                ("a/tmpfs/xattr".into(), Some(Verdict::Fails)),
                ("b/bind/case".into(), Some(Verdict::Skipped)),
            ]
        );
        assert_eq!(judged[1].evidence, "1 file (native: 2 files)");
        assert!(judged[3].evidence.starts_with("setxattr: EOPNOTSUPP"));
        assert!(judged[4].evidence.starts_with("no native answer"));
        assert_eq!(judged[1].engine_label, "native Linux 20.10");
    }

    #[test]
    fn semantics_csv_reads_back_as_written_judged() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = to_csv(&rows()).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let header = text.lines().next().unwrap();
        assert!(header.starts_with(
            "schema,run_id,host,os,engine,engine_label,workload,target,rep,probe,verdict,evidence,"
        ));
        std::fs::write(dir.path().join(FILE), bytes).unwrap();
        let back = load(dir.path()).unwrap();
        assert_eq!(back, judged(&rows()));
        assert_eq!(judged(&back), back, "judging again changes nothing");
        for r in &back {
            assert_eq!(
                r.outcome(),
                rows()
                    .iter()
                    .find(|o| o.place() == r.place() && o.host == r.host && o.probe == r.probe)
                    .unwrap()
                    .outcome()
            );
        }
    }

    #[test]
    fn a_folder_without_semantics_has_no_rows_and_a_bad_row_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
        let mut text = String::from_utf8(to_csv(&rows()).unwrap()).unwrap();
        text.push_str("2,r1,a,Linux,,none,semantics,native,0,flok,,,saw,,,,,1\n");
        std::fs::write(dir.path().join(FILE), text).unwrap();
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("semantics.csv:7: not a semantics.csv row"),
            "{err}"
        );
    }
}
