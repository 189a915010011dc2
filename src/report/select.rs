//! Which rows, comparisons and histograms a chart or table shows, by workload, place and
//! phase.

use hdrhistogram::Histogram;

use super::palette::sort_places;
use super::HostRun;
use crate::cell::{Phase, Place};
use crate::measure::Op;
use crate::metric::{Metric, Unit};
use crate::results::{CellKey, SummaryRow};

/// Whether the row is native's, the baseline every container target is compared with.
pub(crate) fn is_native(row: &SummaryRow) -> bool {
    row.target.is_native()
}

/// Whether a row's rate and ratio compare with native's: every metric but a boundary
/// workload's (coherence, watch), whose counts and latencies the boundary section shows.
pub(crate) fn compares(row: &SummaryRow) -> bool {
    !row.metric.is_boundary()
}

/// Rows of the metric `m`.
pub(crate) fn of_metric(rows: &[SummaryRow], m: Metric) -> Vec<&SummaryRow> {
    rows.iter().filter(|r| r.metric == m).collect()
}

/// Rows of container targets that have a ratio to native worth comparing.
pub(crate) fn ratios(rows: &[SummaryRow]) -> Vec<&SummaryRow> {
    rows.iter()
        .filter(|r| !is_native(r) && r.ratio_to_native.is_some() && compares(r))
        .collect()
}

/// Rows with an accelerator utilisation (train-epoch).
pub(crate) fn trained(rows: &[SummaryRow]) -> Vec<&SummaryRow> {
    rows.iter().filter(|r| r.au.is_some()).collect()
}

pub(crate) fn of_workload<'a>(rows: &[&'a SummaryRow], workload: &str) -> Vec<&'a SummaryRow> {
    rows.iter()
        .copied()
        .filter(|r| r.workload == workload)
        .collect()
}

pub(crate) fn of_workload_metric<'a>(
    rows: &'a [SummaryRow],
    workload: &str,
    m: Metric,
) -> Vec<&'a SummaryRow> {
    rows.iter()
        .filter(|r| r.workload == workload && r.metric == m)
        .collect()
}

pub(crate) fn of_workload_phase<'a>(
    rows: &[&'a SummaryRow],
    workload: &str,
    phase: Phase,
) -> Vec<&'a SummaryRow> {
    rows.iter()
        .copied()
        .filter(|r| r.workload == workload && r.phase == phase)
        .collect()
}

/// The row of `place` in `phase` among rows of one workload and metric.
pub(crate) fn row_in<'a>(
    rows: &[&'a SummaryRow],
    place: &Place,
    phase: Phase,
) -> Option<&'a SummaryRow> {
    rows.iter()
        .copied()
        .find(|r| r.is_at(place) && r.phase == phase)
}

/// A median with its 95% CI.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Estimate {
    pub median: f64,
    pub lo: f64,
    pub hi: f64,
}

/// A row's median rate and CI in its metric's unit; None without measured reps or for a
/// count (stale, lost, missed), which is not a rate.
pub(crate) fn rate(row: &SummaryRow) -> Option<Estimate> {
    if row.reps == 0 {
        return None;
    }
    let estimate = match row.metric.unit() {
        Unit::MibPerSec => Estimate {
            median: row.median_mib_s,
            lo: row.ci_low_mib_s,
            hi: row.ci_high_mib_s,
        },
        Unit::FilesPerSec | Unit::OpsPerSec => Estimate {
            median: row.median_ops_s,
            lo: row.ci_low_ops_s,
            hi: row.ci_high_ops_s,
        },
        Unit::Count => return None,
    };
    Some(estimate)
}

/// Whether a row's MiB/s means something: its metric moves bytes and some rep measured it.
pub(crate) fn shows_mib_s(row: &SummaryRow) -> bool {
    row.reps > 0 && row.metric.moves_bytes()
}

/// The ops whose latency a metric's panels show (none for boundary metrics: the boundary
/// chart shows theirs).
pub(crate) fn latency_ops(m: Metric) -> Vec<Op> {
    match m {
        m if m.is_boundary() => Vec::new(),
        Metric::Save => vec![Op::Write, Op::Fsync],
        // Their ops are the save's, shown there already.
        Metric::WriteFsync | Metric::Write => Vec::new(),
        Metric::SaveFullFsync => vec![Op::FullFsync],
        other => vec![other.main_op()],
    }
}

/// Items in the order they first appear, each once.
pub(crate) fn ordered<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// The places of these rows, each once, in chart order.
pub(crate) fn places<'a>(rows: impl Iterator<Item = &'a SummaryRow>) -> Vec<Place> {
    let mut p = ordered(rows.map(SummaryRow::place));
    sort_places(&mut p);
    p
}

pub(crate) fn workloads<'a>(rows: impl Iterator<Item = &'a SummaryRow>) -> Vec<String> {
    ordered(rows.map(|r| r.workload.clone()))
}

/// The (workload, metric) pairs of these rows whose rates compare, in the order they first
/// appear.
pub(crate) fn workload_metrics(rows: &[SummaryRow]) -> Vec<(String, Metric)> {
    ordered(
        rows.iter()
            .filter(|r| compares(r))
            .map(|r| (r.workload.clone(), r.metric)),
    )
}

/// The (workload, phase) pairs of these rows in the order they first appear.
pub(crate) fn workload_phases(rows: &[&SummaryRow]) -> Vec<(String, Phase)> {
    ordered(rows.iter().map(|r| (r.workload.clone(), r.phase)))
}

pub(crate) fn phases<'a>(rows: impl Iterator<Item = &'a SummaryRow>) -> Vec<Phase> {
    ordered(rows.map(|r| r.phase))
}

/// One metric of one workload in one cache phase, across targets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    pub workload: String,
    pub metric: Metric,
    pub phase: Phase,
}

impl Comparison {
    pub(crate) fn of(row: &SummaryRow) -> Comparison {
        Comparison {
            workload: row.workload.clone(),
            metric: row.metric,
            phase: row.phase,
        }
    }

    pub(crate) fn holds(&self, row: &SummaryRow) -> bool {
        row.workload == self.workload && row.metric == self.metric && row.phase == self.phase
    }

    /// Its row of `place` among `rows`.
    pub(crate) fn row<'a>(
        &self,
        rows: impl IntoIterator<Item = &'a SummaryRow>,
        place: &Place,
    ) -> Option<&'a SummaryRow> {
        rows.into_iter().find(|r| r.is_at(place) && self.holds(r))
    }
}

/// The comparisons of these rows in the order they first appear.
pub(crate) fn comparisons<'a>(rows: impl Iterator<Item = &'a SummaryRow>) -> Vec<Comparison> {
    ordered(rows.map(Comparison::of))
}

/// The histogram of `op` in one cell (workload, place, phase) of a run, if it recorded any.
pub(crate) fn histogram<'a>(
    run: &'a HostRun,
    workload: &str,
    place: &Place,
    phase: Phase,
    op: Op,
) -> Option<&'a Histogram<u64>> {
    let key = CellKey {
        workload: workload.to_string(),
        engine: place.engine.clone(),
        target: place.target,
        phase,
    };
    run.results.histograms.get(&key)?.get(op)
}

/// The places with histograms for a workload and phase of a run, in chart order.
pub(crate) fn histogram_places(run: &HostRun, workload: &str, phase: Phase) -> Vec<Place> {
    let mut places = ordered(
        run.results
            .histograms
            .keys()
            .filter(|k| k.workload == workload && k.phase == phase)
            .map(CellKey::place),
    );
    sort_places(&mut places);
    places
}

/// The (workload, phase) pairs of a run with a histogram of `op`, in the order of their
/// cells' names (workload, place, phase).
pub(crate) fn histogram_workload_phases(run: &HostRun, op: Op) -> Vec<(String, Phase)> {
    let mut cells: Vec<&CellKey> = run
        .results
        .histograms
        .iter()
        .filter(|(_, h)| h.get(op).is_some())
        .map(|(k, _)| k)
        .collect();
    cells.sort_by_cached_key(|k| (k.workload.clone(), k.place().to_string(), k.phase));
    ordered(cells.into_iter().map(|k| (k.workload.clone(), k.phase)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A summary row of `metric` for `target` with `reps` reps, 10 MiB/s and 40 ops/s.
    pub(crate) fn row(target: &str, metric: &str, reps: usize) -> SummaryRow {
        let place: Place = target.parse().unwrap();
        serde_json::from_value(serde_json::json!({
            "schema": 1, "run_id": "r", "host": "h", "os": "Linux", "engine": place.engine,
            "workload": "w", "kind": "k", "target": place.target, "phase": "warm",
            "metric": metric, "reps": reps, "failed": 0,
            "median_mib_s": 10.0, "mean_mib_s": 10.0, "stdev_mib_s": 0.0,
            "ci_low_mib_s": 9.0, "ci_high_mib_s": 11.0,
            "median_ops_s": 40.0, "ci_low_ops_s": 36.0, "ci_high_ops_s": 44.0,
            "cv": 0.0, "noisy": false, "ratio_to_native": null, "ratio_ci_low": null,
            "ratio_ci_high": null, "residency": null, "overhead_s": null, "op": "read",
            "p50_us": null, "p90_us": null, "p99_us": null, "p999_us": null, "max_us": null,
        }))
        .unwrap()
    }

    #[test]
    fn rates_are_read_in_the_metric_unit() {
        let cases = [
            ("read", Some(10.0)),
            ("scan", Some(40.0)),
            ("stat", Some(40.0)),
        ];
        for (m, want) in cases {
            assert_eq!(rate(&row("native", m, 3)).map(|r| r.median), want, "{m}");
        }
        assert!(rate(&row("native", "read", 0)).is_none(), "no reps, no bar");
    }

    #[test]
    fn mib_s_shows_only_for_measured_bytes() {
        assert!(shows_mib_s(&row("native", "read", 3)));
        assert!(shows_mib_s(&row("native", "scan", 3)));
        assert!(!shows_mib_s(&row("native", "unlink", 3)));
        assert!(!shows_mib_s(&row("native", "read", 0)));
    }

    #[test]
    fn checkpoint_latency_shows_on_save_only() {
        assert_eq!(latency_ops(Metric::Save), [Op::Write, Op::Fsync]);
        assert!(latency_ops(Metric::WriteFsync).is_empty());
        assert!(latency_ops(Metric::Write).is_empty());
        assert_eq!(latency_ops(Metric::Epoch), [Op::Wait]);
    }

    #[test]
    fn boundary_rows_leave_rates_ratios_and_latency_panels() {
        let with_ratio = |target: &str, metric: &str| SummaryRow {
            ratio_to_native: Some(0.5),
            ratio_ci_low: Some(0.4),
            ratio_ci_high: Some(0.6),
            ..row(target, metric, 3)
        };
        let rows = [
            with_ratio("bind", "read"),
            with_ratio("bind", "seen"),
            with_ratio("bind", "stale"),
            with_ratio("bind", "delivered"),
            with_ratio("bind", "missed"),
        ];
        let compared: Vec<Metric> = ratios(&rows).iter().map(|r| r.metric).collect();
        assert_eq!(compared, [Metric::Read]);
        let panels: Vec<Metric> = workload_metrics(&rows).into_iter().map(|p| p.1).collect();
        assert_eq!(panels, [Metric::Read]);
        for m in [
            Metric::Seen,
            Metric::Lost,
            Metric::Delivered,
            Metric::Missed,
        ] {
            assert!(latency_ops(m).is_empty(), "{m}");
        }
        assert_eq!(
            latency_ops(Metric::Visible),
            [Op::Visible],
            "shared-volume stays"
        );
        let places = [
            ("native", true),
            ("bind:ro@vm", true),
            ("volume", false),
            ("tmpfs@vm", false),
        ];
        for (place, host_side) in places {
            let place: Place = place.parse().unwrap();
            assert_eq!(place.target.kind.has_host_side(), host_side, "{place}");
        }
    }

    #[test]
    fn comparisons_and_targets_keep_chart_order() {
        let rows = [
            row("volume", "read", 3),
            row("native", "read", 3),
            row("bind:ro", "read", 3),
            row("bind", "stat", 3),
        ];
        let metrics: Vec<Metric> = comparisons(rows.iter()).iter().map(|c| c.metric).collect();
        assert_eq!(metrics, [Metric::Read, Metric::Stat]);
        let places: Vec<String> = places(rows.iter()).iter().map(Place::to_string).collect();
        assert_eq!(places, ["native", "bind", "bind:ro", "volume"]);
        assert_eq!(ratios(&rows).len(), 0, "no row has a ratio");
        assert!(is_native(&rows[1]) && !is_native(&rows[0]));
    }
}
