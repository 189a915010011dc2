//! The boundary workloads of a run (coherence, watch) cell by cell: how many changes one side
//! made over the measured reps, how many the other side saw (or got an event for), saw stale
//! or lost, and how soon it saw them. Counts and latencies, not rates: the boundary section
//! and chart show them instead of ratios to native.

use std::collections::BTreeMap;

use super::palette::sort_places;
use super::select;
use super::HostRun;
use crate::cell::{CellKey, EngineName, Phase, Place};
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
    pub phase: Phase,
    /// The target and its engine (`bind`, `bind@vm`).
    pub place: Place,
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

    /// The engine it ran on; none for native.
    pub(crate) fn engine(&self) -> &EngineName {
        &self.place.engine
    }

    /// "host → container": who made the changes and who looked for them.
    pub(crate) fn path(&self) -> String {
        let host_side = self.place.target.kind.has_host_side();
        let (changer, checker) = match (self.place.is_native(), self.sides) {
            (true, _) => ("host", "host"),
            (false, Some(Sides::HostToTarget)) => ("host", "container"),
            (false, Some(Sides::TargetToHost)) => ("container", "host"),
            (false, Some(Sides::OtherToTarget)) if host_side => ("host", "container"),
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

/// The cells of the boundary rows among `reps`, with the latency of each from `histograms`.
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
        let mut places = select::ordered(rows.iter().map(|r| r.place()));
        sort_places(&mut places);
        for phase in select::ordered(rows.iter().map(|r| r.phase)) {
            for place in &places {
                let of_cell: Vec<&RepRow> = rows
                    .iter()
                    .copied()
                    .filter(|r| r.is_at(place) && r.phase == phase)
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
    let key: CellKey = first.cell();
    let latency = histograms.get(&key).and_then(|h| h.get(look.op()));
    let at = |q: f64| latency.map(|h| h.value_at_quantile(q) as f64 / 1000.0);
    Some(Cell {
        workload: first.workload.clone(),
        phase: first.phase,
        place: first.place(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::TargetSpec;

    /// A reps.csv row of `metric` with `ops` at `place` (`bind@vm`).
    fn rep(workload: &str, place: &str, m: Metric, rep: u32, ops: u64) -> RepRow {
        let place: Place = place.parse().unwrap();
        serde_json::from_value(serde_json::json!({
            "schema": 2, "run_id": "r", "host": "h", "os": "Linux", "engine": place.engine,
            "workload": workload, "kind": "k", "target": place.target, "phase": "warm",
            "metric": m.name(), "rep": rep, "warmup": false, "bytes": 0, "ops": ops,
            "seconds": 0.1, "mib_s": 0.0, "ops_s": 0.0, "p50_us": null, "p99_us": null,
            "residency": null, "overhead_s": null, "ok": true, "error": "",
        }))
        .unwrap()
    }

    /// Rows of one coherence rep: (seen, stale, lost).
    fn coherence(place: &str, r: u32, counts: (u64, u64, u64)) -> Vec<RepRow> {
        let w = "coherence-in";
        vec![
            rep(w, place, Metric::Seen, r, counts.0),
            rep(w, place, Metric::Stale, r, counts.1),
            rep(w, place, Metric::Lost, r, counts.2),
        ]
    }

    fn watch(place: &str, r: u32, delivered: u64, missed: u64) -> Vec<RepRow> {
        vec![
            rep("watch", place, Metric::Delivered, r, delivered),
            rep("watch", place, Metric::Missed, r, missed),
        ]
    }

    fn sides(workload: &str) -> Option<Sides> {
        match workload {
            "coherence-in" => Some(Sides::HostToTarget),
            "watch" => Some(Sides::OtherToTarget),
            _ => None,
        }
    }

    #[test]
    fn counts_sum_the_measured_reps_that_succeeded() {
        let mut warmup = coherence("native", 0, (40, 9, 9));
        warmup.iter_mut().for_each(|r| r.warmup = true);
        let mut failed = coherence("bind@vm", 3, (0, 0, 0));
        failed.iter_mut().for_each(|r| r.ok = false);
        let rows: Vec<RepRow> = [
            warmup,
            coherence("native", 1, (40, 0, 0)),
            coherence("native", 2, (40, 0, 0)),
            coherence("bind@vm", 1, (38, 1, 2)),
            coherence("bind@vm", 2, (39, 2, 1)),
            failed,
            watch("volume", 1, 20, 0),
            watch("bind", 1, 19, 1),
            vec![rep("seq", "native", Metric::Read, 1, 5)],
        ]
        .concat();
        let found = cells(&rows, &BTreeMap::new(), &sides);
        let got: Vec<_> = found
            .iter()
            .map(|c| {
                let counts = (c.changes(), c.seen, c.stale, c.lost, c.reps, c.failed);
                (c.workload.as_str(), c.place.to_string(), c.look, counts)
            })
            .collect();
        let want = [
            (
                "coherence-in",
                "native".to_string(),
                Look::Reads,
                (80, 80, Some(0), 0, 2, 0),
            ),
            (
                "coherence-in",
                "bind@vm".to_string(),
                Look::Reads,
                (80, 77, Some(3), 3, 2, 1),
            ),
            (
                "watch",
                "bind".into(),
                Look::Inotify,
                (20, 19, None, 1, 1, 0),
            ),
            (
                "watch",
                "volume".into(),
                Look::Inotify,
                (20, 20, None, 0, 1, 0),
            ),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn latency_comes_from_the_cells_histogram_of_its_op() {
        let rows = [coherence("native", 1, (3, 0, 0)), watch("native", 1, 2, 1)].concat();
        let key = |workload: &str| CellKey {
            workload: workload.into(),
            engine: EngineName::NONE,
            target: TargetSpec::NATIVE,
            phase: Phase::Warm,
        };
        let mut seen = OpHistograms::default();
        for ns in [10_000, 20_000, 2_000_000] {
            seen.record(Op::Visible, ns);
        }
        let mut events = OpHistograms::default();
        events.record(Op::Visible, 1);
        let histograms = BTreeMap::from([(key("coherence-in"), seen), (key("watch"), events)]);
        let got: Vec<_> = cells(&rows, &histograms, &sides)
            .iter()
            .map(|c| {
                (
                    c.p50_us.map(|v| v.round()),
                    c.p99_us.map(|v| (v / 1000.0).round()),
                )
            })
            .collect();
        assert_eq!(
            got,
            [(Some(20.0), Some(2.0)), (None, None)],
            "watch has no event op"
        );
    }

    #[test]
    fn paths_name_who_changes_and_who_looks() {
        let cases = [
            ("native", Some(Sides::TargetToHost), "host → host"),
            ("bind", Some(Sides::HostToTarget), "host → container"),
            ("bind:ro@vm", Some(Sides::TargetToHost), "container → host"),
            ("bind@vm", Some(Sides::OtherToTarget), "host → container"),
            (
                "volume",
                Some(Sides::OtherToTarget),
                "2nd container → container",
            ),
            ("volume", None, "? → ?"),
        ];
        let base = &cells(&coherence("native", 1, (1, 0, 0)), &BTreeMap::new(), &sides)[0];
        for (place, sides, want) in cases {
            let c = Cell {
                place: place.parse().unwrap(),
                sides,
                ..base.clone()
            };
            assert_eq!(c.path(), want, "{place} {sides:?}");
        }
    }

    #[test]
    fn engines_come_native_first_then_default_then_by_name() {
        let rows = [
            watch("bind@vm", 1, 1, 0),
            watch("bind", 1, 1, 0),
            watch("native", 1, 1, 0),
            watch("bind@alpha", 1, 1, 0),
        ]
        .concat();
        let cells = cells(&rows, &BTreeMap::new(), &sides);
        let places: Vec<String> = cells.iter().map(|c| c.place.to_string()).collect();
        assert_eq!(places, ["native", "bind", "bind@alpha", "bind@vm"]);
        let engines = crate::report::boundary_table::engines(&cells);
        let engines: Vec<String> = engines.iter().map(|e| e.to_string()).collect();
        assert_eq!(engines, ["", "default", "alpha", "vm"]);
    }
}
