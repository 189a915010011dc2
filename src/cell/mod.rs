//! A cell: one workload on one target of one engine (none for native) in one phase, as result
//! files name it; and one metric of a cell. Every table, chart and resume check keys its rows
//! by these.

mod engine_name;
mod phase;
mod place;
mod target;

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::metric::Metric;

pub use engine_name::{EngineName, DEFAULT_ENGINE};
pub use phase::Phase;
pub use place::Place;
pub use target::{Datasets, Store, TargetKind, TargetSpec};

/// One workload on one target of one engine in one phase. Ordered as result files name them
/// (summary.csv's and latency.csv's row order).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CellKey {
    pub workload: String,
    /// The engine (`default`, or as given with `--engine`); none for native. Absent in
    /// schema-1 files (read as the run's one engine).
    #[serde(default)]
    pub engine: EngineName,
    /// The target as written in result files: `bind`, `volume:ro`, …
    pub target: TargetSpec,
    pub phase: Phase,
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
    pub fn on(&self, target: TargetSpec) -> CellKey {
        CellKey {
            target,
            ..self.clone()
        }
    }

    /// The same workload and phase natively, on the host.
    pub fn native(&self) -> CellKey {
        CellKey {
            engine: EngineName::NONE,
            target: TargetSpec::NATIVE,
            ..self.clone()
        }
    }

    /// The target and its engine: `native`, `bind` (on the default engine), `bind@vm`.
    pub fn place(&self) -> Place {
        Place::new(self.engine.clone(), self.target)
    }
}

impl Ord for CellKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.workload, &self.engine)
            .cmp(&(&other.workload, &other.engine))
            .then_with(|| self.target.cmp_by_name(other.target))
            .then_with(|| self.phase.cmp(&other.phase))
    }
}

impl PartialOrd for CellKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// How names show a target of an engine given by names only (env.json's facts): as
/// [`Place`] shows it.
pub fn place(engine: &str, target: &str) -> String {
    if EngineName::from(engine).is_implicit() {
        target.to_string()
    } else {
        format!("{target}@{engine}")
    }
}

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
    pub fn on(&self, target: TargetSpec) -> MetricKey {
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

    fn cell(target: TargetSpec, phase: Phase) -> CellKey {
        CellKey {
            workload: "w".into(),
            engine: EngineName::default_engine(),
            target,
            phase,
        }
    }

    #[test]
    fn keys_sort_as_their_names_do() {
        let mut keys: Vec<MetricKey> = TargetSpec::all()
            .flat_map(|t| Phase::ALL.map(|p| cell(t, p)))
            .flat_map(|c| Metric::ALL.map(|m| c.metric(m)))
            .collect();
        keys.sort();
        let names = |k: &MetricKey| {
            let c = &k.cell;
            (
                c.workload.clone(),
                c.engine.to_string(),
                c.target.to_string(),
                c.phase.to_string(),
                k.metric.to_string(),
            )
        };
        let mut by_name: Vec<_> = keys.iter().map(names).collect();
        by_name.sort();
        assert_eq!(keys.iter().map(names).collect::<Vec<_>>(), by_name);
    }

    #[test]
    fn names_show_the_engine_only_when_not_the_default() {
        let bind = TargetSpec::new(TargetKind::Bind);
        assert_eq!(cell(bind, Phase::Cold).to_string(), "w/bind/cold");
        let native = cell(bind, Phase::Cold).native();
        assert_eq!(native.place().to_string(), "native");
        assert!(native.engine.is_none());
        let vm = CellKey {
            engine: "vm".into(),
            ..cell(bind, Phase::Warm)
        };
        assert_eq!(vm.to_string(), "w/bind@vm/warm");
        let volume_ro = TargetSpec::read_only(TargetKind::Volume);
        assert_eq!(vm.on(volume_ro).place().to_string(), "volume:ro@vm");
        assert_eq!(vm.on(volume_ro).place().slug(), "vm-volume-ro");
        assert_eq!(place("", "native"), "native");
        assert_eq!(place("vm", "bind"), "bind@vm");
    }

    #[test]
    fn every_target_reads_back_from_its_name() {
        for target in TargetSpec::all() {
            assert_eq!(target.to_string().parse::<TargetSpec>(), Ok(target));
        }
        for phase in Phase::ALL {
            assert_eq!(phase.to_string().parse::<Phase>(), Ok(phase));
        }
        assert!("tmpfs:ro".parse::<TargetSpec>().is_err());
        assert!("hot".parse::<Phase>().is_err());
    }
}
