//! Exporters: each turns the results and their analysis into one file of a result folder.

mod csv_files;
mod json_files;

use std::path::Path;

use crate::analysis::Analysis;
use crate::error::Result;
use crate::results::{write_atomic, Results};

pub use csv_files::{LatencyCsv, RepsCsv, SummaryCsv};
pub use json_files::HistogramsJson;

pub trait Exporter {
    fn file_name(&self) -> &'static str;
    fn serialize(&self, results: &Results, analysis: &Analysis) -> Result<Vec<u8>>;
}

/// The exporters that run after every rep.
pub fn standard() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(RepsCsv),
        Box::new(SummaryCsv),
        Box::new(LatencyCsv),
        Box::new(HistogramsJson),
    ]
}

/// Rewrite every standard file of `dir` atomically.
pub fn write_all(dir: &Path, results: &Results, analysis: &Analysis) -> Result<()> {
    for exporter in standard() {
        let bytes = exporter.serialize(results, analysis)?;
        write_atomic(&dir.join(exporter.file_name()), &bytes)?;
    }
    Ok(())
}
