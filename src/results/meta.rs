//! What every result file shares: its schema, and the run's identity repeated in its rows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
