//! Across hosts: latency CDFs of each workload's main op, one line per host and target.

use super::lines::cdf_points;
use super::MAX_PANELS;
use crate::cell::Phase;
use crate::measure::Op;
use crate::report::figure::{Figure, Line, LinePanel, Panel};
use crate::report::palette::place_color;
use crate::report::select;
use crate::report::HostRun;

pub(super) fn figure(runs: &[HostRun]) -> Option<Figure> {
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
        .filter_map(|(w, ph, op)| panel(runs, w, *ph, *op))
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
fn panel(runs: &[HostRun], workload: &str, phase: Phase, op: Op) -> Option<Panel> {
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
