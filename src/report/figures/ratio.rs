//! The headline: each container target's median as a multiple of native, per cell.

use super::bars::ratio_bar;
use super::{name, title};
use crate::report::figure::{BarPanel, BarSeries, Figure, Panel, Scale};
use crate::report::palette::place_color;
use crate::report::select;
use crate::report::HostRun;

pub(super) fn figure(run: &HostRun) -> Option<Figure> {
    let rows = select::ratios(&run.analysis.summary);
    if rows.is_empty() {
        return None;
    }
    let comparisons = select::comparisons(rows.iter().copied());
    let targets = select::targets(rows.iter().copied());
    let series = targets
        .clone()
        .into_iter()
        .map(|t| BarSeries {
            color: place_color(&t, &targets),
            bars: comparisons
                .iter()
                .map(|c| c.row(rows.iter().copied(), &t).and_then(ratio_bar))
                .collect(),
            label: t,
        })
        .collect();
    Some(Figure {
        name: name(run, "ratio"),
        title: title("Container storage vs native (1.0 = as fast as the bare host)", run),
        caption: "bars: ratio of medians (target / native), log scale; whiskers: bootstrap 95% CI of the ratio".into(),
        panels: vec![Panel::Bars(BarPanel {
            title: "throughput relative to native (higher is better)".into(),
            y_label: "× native".into(),
            groups: comparisons
                .iter()
                .map(|c| format!("{}\n{} {}", c.workload, c.metric, c.phase))
                .collect(),
            scale: Scale::Ratio,
            series,
            reference: Some(1.0),
        })],
    })
}
