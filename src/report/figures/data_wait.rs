//! train-epoch: how long each training step waited for its batch, percentiles and CDF.

use hdrhistogram::Histogram;

use super::lines::{cdf_points, percentile_names, percentile_points};
use super::{name, title};
use crate::cell::Phase;
use crate::measure::Op;
use crate::report::figure::{Figure, Line, LinePanel, Panel};
use crate::report::palette::place_color;
use crate::report::select;
use crate::report::HostRun;

pub(super) fn figure(run: &HostRun) -> Option<Figure> {
    let panels: Vec<Panel> = select::histogram_workload_phases(run, Op::Wait)
        .iter()
        .flat_map(|(w, ph)| panels(run, w, *ph))
        .collect();
    (!panels.is_empty()).then(|| Figure {
        name: name(run, "data-wait"),
        title: title("Data wait per training step", run),
        caption: "time the trainer waited for its next batch (0 when the prefetch queue kept up); lower is better".into(),
        panels,
    })
}

/// One workload and phase: the percentiles, then the CDF, a line per target.
fn panels(run: &HostRun, workload: &str, phase: Phase) -> [Panel; 2] {
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
