use super::Exporter;
use crate::analysis::Analysis;
use crate::error::Result;
use crate::results::Results;

pub(crate) struct HistogramsJson;

impl Exporter for HistogramsJson {
    fn file_name(&self) -> &'static str {
        "histograms.json"
    }
    fn serialize(&self, results: &Results, _: &Analysis) -> Result<Vec<u8>> {
        Ok(serde_json::to_vec_pretty(&results.histograms_file()).expect("histograms serialize"))
    }
}
