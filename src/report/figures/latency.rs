//! Latency from the merged histograms, as lines: percentiles of the main op types per
//! comparison, train-epoch's data wait per step, and CDFs across hosts.

use hdrhistogram::Histogram;

use super::{name, title, MAX_PANELS};
use crate::cell::Phase;
use crate::measure::Op;
use crate::report::figure::{Figure, Line, LinePanel, Panel};
use crate::report::palette::place_color;
use crate::report::select::{self, Comparison};
use crate::report::HostRun;

const PERCENTILES: [(f64, &str); 4] = [(0.5, "p50"), (0.9, "p90"), (0.99, "p99"), (0.999, "p99.9")];

/// The percentile panels' categories.
fn percentile_names() -> Vec<String> {
    PERCENTILES.iter().map(|p| p.1.to_string()).collect()
}

/// (category index, µs) at each of PERCENTILES.
fn percentile_points(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    PERCENTILES
        .iter()
        .enumerate()
        .map(|(i, (q, _))| (i as f64, h.value_at_quantile(*q) as f64 / 1000.0))
        .collect()
}

/// (µs, fraction of ops at or below it), two steps per halving of the remaining ops.
fn cdf_points(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    h.iter_quantiles(2)
        .map(|v| {
            (
                v.value_iterated_to() as f64 / 1000.0,
                v.quantile_iterated_to(),
            )
        })
        .collect()
}

pub(super) fn figure(run: &HostRun) -> Option<Figure> {
    let rows = &run.analysis.summary;
    let panels: Vec<Panel> = select::comparisons(rows.iter())
        .iter()
        .flat_map(|cmp| {
            select::latency_ops(cmp.metric)
                .into_iter()
                .filter_map(move |op| panel(run, cmp, op))
        })
        .take(MAX_PANELS)
        .collect();
    (!panels.is_empty()).then(|| Figure {
        name: name(run, "latency"),
        title: title("Per-operation latency percentiles", run),
        caption: "HdrHistogram of every op, merged over measured reps; lower is better".into(),
        panels,
    })
}

/// The percentiles of `op` in one comparison, a line per target; None if no target recorded it.
fn panel(run: &HostRun, cmp: &Comparison, op: Op) -> Option<Panel> {
    let places = select::places(run.analysis.summary.iter().filter(|r| cmp.holds(r)));
    let lines: Vec<Line> = places
        .iter()
        .filter_map(|p| {
            let h = select::histogram(run, &cmp.workload, p, cmp.phase, op)?;
            Some(Line {
                label: p.to_string(),
                color: place_color(p, &places),
                dashed: false,
                points: percentile_points(h),
            })
        })
        .collect();
    (!lines.is_empty()).then(|| {
        Panel::Percentiles(LinePanel {
            title: format!("{} {} — {} latency", cmp.workload, cmp.phase, op.as_str()),
            x_label: "percentile".into(),
            y_label: "latency (log scale)".into(),
            categories: Some(percentile_names()),
            lines,
        })
    })
}

/// train-epoch: how long each training step waited for its batch, percentiles and CDF.
pub(super) fn data_wait_figure(run: &HostRun) -> Option<Figure> {
    let panels: Vec<Panel> = select::histogram_workload_phases(run, Op::Wait)
        .iter()
        .flat_map(|(w, ph)| data_wait_panels(run, w, *ph))
        .collect();
    (!panels.is_empty()).then(|| Figure {
        name: name(run, "data-wait"),
        title: title("Data wait per training step", run),
        caption: "time the trainer waited for its next batch (0 when the prefetch queue kept up); lower is better".into(),
        panels,
    })
}

/// One workload and phase: the percentiles, then the CDF, a line per target.
fn data_wait_panels(run: &HostRun, workload: &str, phase: Phase) -> [Panel; 2] {
    let lines = |points: fn(&Histogram<u64>) -> Vec<(f64, f64)>| -> Vec<Line> {
        let places = select::histogram_places(run, workload, phase);
        places
            .iter()
            .filter_map(|p| {
                let h = select::histogram(run, workload, p, phase, Op::Wait)?;
                Some(Line {
                    label: p.to_string(),
                    color: place_color(p, &places),
                    dashed: false,
                    points: points(h),
                })
            })
            .collect()
    };
    [
        Panel::Percentiles(LinePanel {
            title: format!("{workload} {phase} — data wait per step"),
            x_label: "percentile".into(),
            y_label: "latency (log scale)".into(),
            categories: Some(percentile_names()),
            lines: lines(percentile_points),
        }),
        Panel::Cdf(LinePanel {
            title: format!("{workload} {phase} — data wait CDF"),
            x_label: "latency (log scale)".into(),
            y_label: "fraction of steps".into(),
            categories: None,
            lines: lines(cdf_points),
        }),
    ]
}

/// Across hosts: latency CDFs of each workload's main op, one line per host and target.
pub(super) fn hosts_figure(runs: &[HostRun]) -> Option<Figure> {
    let keys = select::ordered(runs.iter().flat_map(|run| {
        run.analysis
            .summary
            .iter()
            .filter(|r| select::compares(r))
            .map(|r| (r.workload.clone(), r.phase, r.metric.main_op()))
    }));
    let panels: Vec<Panel> = keys
        .iter()
        .take(MAX_PANELS)
        .filter_map(|(w, ph, op)| hosts_panel(runs, w, *ph, *op))
        .collect();
    let hosts: Vec<String> = runs.iter().map(HostRun::label).collect();
    (!panels.is_empty()).then(|| Figure {
        name: "hosts-latency-cdf".into(),
        title: format!("Latency CDFs across hosts: {}", hosts.join(" vs ")),
        caption: "solid: first host, dashed: second host; colour: target".into(),
        panels,
    })
}

/// The CDF of `op` in one workload and phase: a line per host and target, solid for the
/// first host, dashed for the second; None if none recorded it.
fn hosts_panel(runs: &[HostRun], workload: &str, phase: Phase, op: Op) -> Option<Panel> {
    let mut lines = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let places = select::histogram_places(run, workload, phase);
        for p in &places {
            let Some(h) = select::histogram(run, workload, p, phase, op) else {
                continue;
            };
            lines.push(Line {
                label: format!("{p} — {}", run.name()),
                color: place_color(p, &places),
                dashed: i % 2 == 1,
                points: cdf_points(h),
            });
        }
    }
    (!lines.is_empty()).then(|| {
        Panel::Cdf(LinePanel {
            title: format!("{workload} {phase} — {} latency CDF", op.as_str()),
            x_label: "latency (log scale)".into(),
            y_label: "fraction of ops".into(),
            categories: None,
            lines,
        })
    })
}
