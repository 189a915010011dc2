//! What every result file shares: its schema, the run's identity repeated in its rows, and
//! how CSV rows become bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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
    pub(crate) fn engine_label(&self, engine: &str) -> String {
        self.engine_labels
            .get(engine)
            .cloned()
            .unwrap_or_else(|| "none".to_string())
    }
}

/// The bytes of CSV file `file`: a header, then one line per row.
pub(crate) fn to_csv<T: Serialize>(
    file: &'static str,
    rows: impl IntoIterator<Item = T>,
) -> Result<Vec<u8>> {
    let csv = |source| Error::Csv { file, source };
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).map_err(csv)?;
    }
    writer
        .into_inner()
        .map_err(|e| csv(csv::Error::from(e.into_error())))
}
