//! The datasets a plan reads.

use super::Plan;
use crate::workload::dataset::DatasetSpec;

impl Plan {
    /// The ids of the datasets the cells read, each once, in the plan's order.
    pub fn dataset_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for id in self
            .cells
            .iter()
            .filter_map(|c| DatasetSpec::of(&c.workload))
            .map(|d| d.id())
        {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }
}
