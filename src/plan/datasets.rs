//! The datasets a plan reads.

use super::{Cell, Plan};
use crate::workload::dataset::DatasetSpec;

impl Plan {
    /// The ids of the datasets the cells read, each once, in the plan's order.
    pub fn dataset_ids(&self) -> Vec<String> {
        self.datasets(|_| true).iter().map(|d| d.id()).collect()
    }

    /// The datasets the image targets read, each once: what their data image holds.
    pub fn image_datasets(&self) -> Vec<DatasetSpec> {
        self.datasets(|c| c.target.kind.from_image())
    }

    fn datasets(&self, of: impl Fn(&Cell) -> bool) -> Vec<DatasetSpec> {
        let mut datasets: Vec<DatasetSpec> = Vec::new();
        for dataset in self
            .cells
            .iter()
            .filter(|c| of(c))
            .filter_map(|c| DatasetSpec::of(&c.workload))
        {
            if !datasets.contains(&dataset) {
                datasets.push(dataset);
            }
        }
        datasets
    }
}
