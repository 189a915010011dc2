use super::Exporter;
use crate::analysis::Analysis;
use crate::error::Result;
use crate::results::{to_csv, Results};

pub(crate) struct RepsCsv;

impl Exporter for RepsCsv {
    fn file_name(&self) -> &'static str {
        "reps.csv"
    }
    fn serialize(&self, results: &Results, _: &Analysis) -> Result<Vec<u8>> {
        to_csv(self.file_name(), &results.reps)
    }
}

pub(crate) struct SummaryCsv;

impl Exporter for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }
    fn serialize(&self, _: &Results, analysis: &Analysis) -> Result<Vec<u8>> {
        to_csv(self.file_name(), &analysis.summary)
    }
}

pub(crate) struct LatencyCsv;

impl Exporter for LatencyCsv {
    fn file_name(&self) -> &'static str {
        "latency.csv"
    }
    fn serialize(&self, _: &Results, analysis: &Analysis) -> Result<Vec<u8>> {
        to_csv(self.file_name(), &analysis.latency)
    }
}

pub(crate) struct SemanticsCsv;

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
