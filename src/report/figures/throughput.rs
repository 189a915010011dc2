//! Throughput of every workload metric: one panel each, phases as groups, targets as bars.

use super::bars::{phase_panel, rate_bar};
use super::{name, title, NOISY_NOTE};
use crate::report::figure::{Figure, Panel};
use crate::report::select;
use crate::report::HostRun;

/// None when no metric's rate compares (a run of boundary workloads alone).
pub(super) fn figure(run: &HostRun) -> Option<Figure> {
    let rows = &run.analysis.summary;
    let panels: Vec<Panel> = select::workload_metrics(rows)
        .into_iter()
        .map(|(w, m)| {
            let unit = m.unit().label();
            phase_panel(
                &select::of_workload_metric(rows, &w, m),
                format!("{w} — {m} ({unit})"),
                unit,
                &rate_bar,
                None,
            )
        })
        .collect();
    (!panels.is_empty()).then(|| Figure {
        name: name(run, "throughput"),
        title: title("Throughput by workload and target", run),
        caption: NOISY_NOTE.into(),
        panels,
    })
}
