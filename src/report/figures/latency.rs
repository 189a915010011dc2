//! Latency percentiles of the main op types, per comparison, from the merged histograms.

use super::lines::{percentile_names, percentile_points};
use super::{name, title, MAX_PANELS};
use crate::measure::Op;
use crate::report::figure::{Figure, Line, LinePanel, Panel};
use crate::report::palette::place_color;
use crate::report::select::{self, Comparison};
use crate::report::HostRun;

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
