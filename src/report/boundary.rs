//! The boundary workloads of a run (coherence, watch) cell by cell: how many changes one side
//! made over the measured reps, how many the other side saw (or got an event for), saw stale
//! or lost, and how soon it saw them. Counts and latencies, not rates: the boundary section
//! and chart show them instead of ratios to native.

use std::collections::BTreeMap;

use super::palette::sort_targets;
use super::select::{self, has_host_side};
use super::HostRun;
use crate::cell::{CellKey, DEFAULT_ENGINE, NO_ENGINE};
use crate::measure::{Op, OpHistograms};
use crate::metric::Metric;
use crate::results::RepRow;
use crate::workload::party::Sides;

/// How the checking side looks for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Look {
    /// coherence: reads the file back byte for byte.
    Reads,
    /// watch: waits for its inotify event.
    Inotify,
}

impl Look {
    fn of(metric: Metric) -> Option<Look> {
        match metric {
            Metric::Seen | Metric::Stale | Metric::Lost => Some(Look::Reads),
            Metric::Delivered | Metric::Missed => Some(Look::Inotify),
            _ => None,
        }
    }

    /// The op whose histogram holds the latency of each change seen.
    pub(crate) fn op(self) -> Op {
        match self {
            Look::Reads => Metric::Seen.main_op(),
            Look::Inotify => Metric::Delivered.main_op(),
        }
    }

    pub(crate) fn word(self) -> &'static str {
        match self {
            Look::Reads => "reads",
            Look::Inotify => "inotify",
        }
    }
}

/// One boundary cell: its counts summed over the measured reps that succeeded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cell {
    pub workload: String,
    pub phase: String,
    /// The engine's name; empty for native.
    pub engine: String,
    /// The target as names show it (`bind`, `bind@vm`).
    pub place: String,
    pub look: Look,
    /// Who changes and who looks, from the workload's definition; None if unknown.
    pub sides: Option<Sides>,
    /// Changes made back to back before any was looked for (1: one at a time).
    pub burst: u32,
    pub reps: usize,
    pub failed: usize,
    /// Changes seen (coherence) or events delivered (watch).
    pub seen: u64,
    /// Changes whose first look still found the old state; None for watch.
    pub stale: Option<u64>,
    /// Changes never seen (coherence) or events never delivered (watch) within the limit.
    pub lost: u64,
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    /// The largest uncertainty of the two sides' clock offset over its reps (0 on one
    /// kernel): its latencies hold only to within it.
    pub slack_us: Option<f64>,
}

impl Cell {
    /// The changes made: each was seen or lost.
    pub(crate) fn changes(&self) -> u64 {
        self.seen + self.lost
    }

    /// "host → container": who made the changes and who looked for them.
    pub(crate) fn path(&self) -> String {
        let (changer, checker) = match (select::is_native_place(&self.place), self.sides) {
            (true, _) => ("host", "host"),
            (false, Some(Sides::HostToTarget)) => ("host", "container"),
            (false, Some(Sides::TargetToHost)) => ("container", "host"),
            (false, Some(Sides::OtherToTarget)) if has_host_side(&self.place) => {
                ("host", "container")
            }
            (false, Some(Sides::OtherToTarget)) => ("2nd container", "container"),
            (false, None) => ("?", "?"),
        };
        format!("{changer} → {checker}")
    }

    /// "host → container, inotify, bursts of 400": the path, how the checker looks, and the
    /// changes' bursts.
    pub(crate) fn how(&self) -> String {
        let how = format!("{}, {}", self.path(), self.look.word());
        match self.burst {
            0 | 1 => how,
            n => format!("{how}, bursts of {n}"),
        }
    }
}

/// Every boundary cell of a run, workload by workload in the workload file's order, places
/// in chart order.
pub(crate) fn of_run(run: &HostRun) -> Vec<Cell> {
    let driven = driven_workloads(run);
    let of = |w: &str| driven.iter().find(|d| d.0 == w);
    let mut cells = cells(&run.results.reps, &run.results.histograms, &|w| {
        of(w).map(|d| d.1)
    });
    for c in &mut cells {
        c.burst = of(&c.workload).map_or(1, |d| d.2);
    }
    cells.sort_by_key(|c| driven.iter().position(|d| d.0 == c.workload));
    cells
}

/// The driven workloads of the run's workload file, in its order, with who changes and who
/// looks in each and their bursts (at the run's scale); none if the file no longer parses.
fn driven_workloads(run: &HostRun) -> Vec<(String, Sides, u32)> {
    let Ok(parsed) = super::workload_file(run) else {
        return Vec::new();
    };
    parsed
        .workloads
        .iter()
        .filter_map(|w| {
            let params = match run.env.scale {
                Some(scale) => w.params.scaled(scale),
                None => w.params.clone(),
            };
            let driven = params.driven()?;
            Some((w.name.clone(), driven.sides(), driven.burst()))
        })
        .collect()
}

/// The cells of the boundary rows among `reps` (targets already named by place), with the
/// latency of each from `histograms` (keyed by place, no engine).
pub(crate) fn cells(
    reps: &[RepRow],
    histograms: &BTreeMap<CellKey, OpHistograms>,
    sides: &dyn Fn(&str) -> Option<Sides>,
) -> Vec<Cell> {
    let measured: Vec<&RepRow> = reps
        .iter()
        .filter(|r| !r.warmup && r.metric.is_boundary())
        .collect();
    let workloads = select::ordered(measured.iter().map(|r| r.workload.clone()));
    let mut out = Vec::new();
    for workload in workloads {
        let rows: Vec<&RepRow> = measured
            .iter()
            .copied()
            .filter(|r| r.workload == workload)
            .collect();
        let mut places = select::ordered(rows.iter().map(|r| r.target.clone()));
        sort_targets(&mut places);
        for phase in select::ordered(rows.iter().map(|r| r.phase.clone())) {
            for place in &places {
                let of_cell: Vec<&RepRow> = rows
                    .iter()
                    .copied()
                    .filter(|r| &r.target == place && r.phase == phase)
                    .collect();
                out.extend(cell(&of_cell, histograms, sides));
            }
        }
    }
    out
}

/// One cell from its rows (one per metric per rep); None without rows.
fn cell(
    rows: &[&RepRow],
    histograms: &BTreeMap<CellKey, OpHistograms>,
    sides: &dyn Fn(&str) -> Option<Sides>,
) -> Option<Cell> {
    let first = rows.first()?;
    let look = Look::of(first.metric)?;
    let ok = |r: &&&RepRow| r.ok;
    let sum = |ms: &[Metric]| -> u64 {
        rows.iter()
            .filter(ok)
            .filter(|r| ms.contains(&r.metric))
            .map(|r| r.ops)
            .sum()
    };
    let reps_where =
        |want: bool| select::ordered(rows.iter().filter(|r| r.ok == want).map(|r| r.rep)).len();
    let (seen, lost) = (
        sum(&[Metric::Seen, Metric::Delivered]),
        sum(&[Metric::Lost, Metric::Missed]),
    );
    let key = CellKey {
        workload: first.workload.clone(),
        engine: String::new(),
        target: first.target.clone(),
        phase: first.phase.clone(),
    };
    let latency = histograms.get(&key).and_then(|h| h.get(look.op()));
    let at = |q: f64| latency.map(|h| h.value_at_quantile(q) as f64 / 1000.0);
    Some(Cell {
        workload: first.workload.clone(),
        phase: first.phase.clone(),
        engine: first.engine.clone(),
        place: first.target.clone(),
        look,
        sides: sides(&first.workload),
        burst: 1,
        reps: reps_where(true),
        failed: reps_where(false),
        seen,
        stale: (look == Look::Reads).then(|| sum(&[Metric::Stale])),
        lost,
        p50_us: at(0.5),
        p99_us: at(0.99),
        slack_us: histograms
            .get(&key)
            .and_then(|h| h.get(Op::ClockSlack))
            .map(|h| h.max() as f64 / 1000.0),
    })
}

/// The engines of these cells as charts order them: native's (none) first, then the
/// default engine, then the others by name.
pub(crate) fn engines(cells: &[Cell]) -> Vec<String> {
    let mut engines = select::ordered(cells.iter().map(|c| c.engine.clone()));
    engines.sort_by_key(|e| (e != NO_ENGINE, e != DEFAULT_ENGINE, e.clone()));
    engines
}

#[cfg(test)]
#[path = "boundary_tests.rs"]
mod tests;
