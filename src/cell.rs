//! A cell: one workload on one target of one engine (none for native) in one phase, as result
//! files name it; and one metric of a cell. Every table, chart and resume check keys its rows
//! by these.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::metric::Metric;

/// The engine a cell's target runs on, by its name in mountbench; native cells have none.
pub const NO_ENGINE: &str = "";

/// The target every container target is compared with; it runs on the host, on no engine.
pub const NATIVE: &str = "native";

/// One workload on one target of one engine in one phase, by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CellKey {
    pub workload: String,
    /// The engine's name (`default`, or as given with `--engine`); empty for native. Absent
    /// in schema-1 files (read as the run's one engine).
    #[serde(default)]
    pub engine: String,
    /// The target as written in result files: `bind`, `volume:ro`, …
    pub target: String,
    pub phase: String,
}

impl CellKey {
    /// The same metric of this cell: a key for one summary row.
    pub fn metric(&self, metric: Metric) -> MetricKey {
        MetricKey {
            cell: self.clone(),
            metric,
        }
    }

    /// The same workload and phase on another target of the same engine.
    pub fn on(&self, target: &str) -> CellKey {
        CellKey {
            target: target.to_string(),
            ..self.clone()
        }
    }

    /// The same workload and phase natively, on the host.
    pub fn native(&self) -> CellKey {
        CellKey {
            engine: NO_ENGINE.to_string(),
            target: NATIVE.to_string(),
            ..self.clone()
        }
    }

    /// The target and its engine: `native`, `bind` (on the default engine), `bind@vm`.
    pub fn place(&self) -> String {
        place(&self.engine, &self.target)
    }
}

/// How names show a target of an engine: the default engine is implicit (`bind`), another
/// one follows an `@` (`bind@vm`, `volume:ro@mac`); native has no engine.
pub fn place(engine: &str, target: &str) -> String {
    if engine == NO_ENGINE || engine == DEFAULT_ENGINE {
        target.to_string()
    } else {
        format!("{target}@{engine}")
    }
}

/// The engine's name when none is given.
pub const DEFAULT_ENGINE: &str = "default";

impl fmt::Display for CellKey {
    /// "workload/place/phase", the place as `place` writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.workload, self.place(), self.phase)
    }
}

/// One metric of one cell. Ordered by cell, then by the metric's name (summary.csv's row
/// order).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MetricKey {
    pub cell: CellKey,
    pub metric: Metric,
}

impl MetricKey {
    /// The same metric of the same workload and phase on another target of the same engine.
    pub fn on(&self, target: &str) -> MetricKey {
        self.cell.on(target).metric(self.metric)
    }

    /// The same metric of the same workload and phase natively.
    pub fn native(&self) -> MetricKey {
        self.cell.native().metric(self.metric)
    }

    /// A seed for this metric's bootstrap, the same on every host and run.
    pub fn seed(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(self.to_string().as_bytes())
    }
}

impl fmt::Display for MetricKey {
    /// "workload/target/phase/metric".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.cell, self.metric)
    }
}

impl Ord for MetricKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.cell, self.metric.name()).cmp(&(&other.cell, other.metric.name()))
    }
}

impl PartialOrd for MetricKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_as_their_names_do() {
        let cell = |phase: &str| CellKey {
            workload: "w".into(),
            engine: "default".into(),
            target: "bind".into(),
            phase: phase.into(),
        };
        let mut keys: Vec<MetricKey> = ["warm", "cold"]
            .into_iter()
            .flat_map(|p| Metric::ALL.map(|m| cell(p).metric(m)))
            .collect();
        keys.sort();
        let names = |k: &MetricKey| {
            let c = &k.cell;
            (
                c.workload.clone(),
                c.engine.clone(),
                c.target.clone(),
                c.phase.clone(),
                k.metric.to_string(),
            )
        };
        let mut by_name: Vec<_> = keys.iter().map(names).collect();
        by_name.sort();
        assert_eq!(keys.iter().map(names).collect::<Vec<_>>(), by_name);
        assert_eq!(cell("cold").to_string(), "w/bind/cold");
        assert_eq!(keys[0].native().cell.target, "native");
        assert_eq!(keys[0].native().cell.engine, "");
        let vm = CellKey {
            engine: "vm".into(),
            ..cell("warm")
        };
        assert_eq!(vm.to_string(), "w/bind@vm/warm");
        assert_eq!(vm.on("volume").place(), "volume@vm");
    }
}
