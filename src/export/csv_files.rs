use serde::Serialize;

use super::Exporter;
use crate::analysis::Analysis;
use crate::error::{Error, Result};
use crate::results::Results;

fn to_csv<T: Serialize>(rows: &[T]) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .serialize(row)
            .map_err(|e| Error::Agent(format!("csv: {e}")))?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::Agent(format!("csv: {e}")))
}

pub struct RepsCsv;

impl Exporter for RepsCsv {
    fn file_name(&self) -> &'static str {
        "reps.csv"
    }
    fn serialize(&self, results: &Results, _: &Analysis) -> Result<Vec<u8>> {
        to_csv(&results.reps)
    }
}

pub struct SummaryCsv;

impl Exporter for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }
    fn serialize(&self, _: &Results, analysis: &Analysis) -> Result<Vec<u8>> {
        to_csv(&analysis.summary)
    }
}

pub struct LatencyCsv;

impl Exporter for LatencyCsv {
    fn file_name(&self) -> &'static str {
        "latency.csv"
    }
    fn serialize(&self, _: &Results, analysis: &Analysis) -> Result<Vec<u8>> {
        to_csv(&analysis.latency)
    }
}

pub struct SemanticsCsv;

impl Exporter for SemanticsCsv {
    fn file_name(&self) -> &'static str {
        crate::results::verdicts::FILE
    }
    fn serialize(&self, results: &Results, _: &Analysis) -> Result<Vec<u8>> {
        crate::results::verdicts::to_csv(&results.probes)
    }
    fn wanted(&self, results: &Results) -> bool {
        !results.probes.is_empty()
    }
}
