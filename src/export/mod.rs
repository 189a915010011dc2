//! Exporters: each turns the results and their analysis into one file of a result folder.

mod csv_files;
mod json_files;

use std::path::Path;

use crate::analysis::Analysis;
use crate::error::Result;
use crate::results::{write_atomic, Results};

pub(crate) use csv_files::{LatencyCsv, RepsCsv, SemanticsCsv, SummaryCsv};
pub(crate) use json_files::HistogramsJson;

pub(crate) trait Exporter {
    fn file_name(&self) -> &'static str;
    fn serialize(&self, results: &Results, analysis: &Analysis) -> Result<Vec<u8>>;
    /// Whether the run has anything for this file (semantics.csv only with probes).
    fn wanted(&self, _results: &Results) -> bool {
        true
    }
}

/// The exporters that run after every rep.
pub(crate) fn standard() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(RepsCsv),
        Box::new(SummaryCsv),
        Box::new(LatencyCsv),
        Box::new(HistogramsJson),
        Box::new(SemanticsCsv),
    ]
}

/// Rewrite every standard file of `dir` atomically.
pub fn write_all(dir: &Path, results: &Results, analysis: &Analysis) -> Result<()> {
    for exporter in standard().into_iter().filter(|e| e.wanted(results)) {
        let bytes = exporter.serialize(results, analysis)?;
        write_atomic(&dir.join(exporter.file_name()), &bytes)?;
    }
    Ok(())
}
