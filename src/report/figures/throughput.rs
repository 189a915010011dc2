//! Rates as bars, phases as groups, targets as bars: every workload metric, and the
//! small-file scan rate.

use super::bars::{phase_panel, rate_bar};
use super::{name, title, NOISY_NOTE};
use crate::metric::Metric;
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

/// small-files: files per second per target and phase.
pub(super) fn small_files_figure(run: &HostRun) -> Option<Figure> {
    let rows = select::of_metric(&run.analysis.summary, Metric::Scan);
    if rows.is_empty() {
        return None;
    }
    let panels = select::workloads(rows.iter().copied())
        .iter()
        .map(|w| {
            phase_panel(
                &select::of_workload(&rows, w),
                format!("{w} — files per second (stat + open + read + close)"),
                Metric::Scan.unit().label(),
                &rate_bar,
                None,
            )
        })
        .collect();
    Some(Figure {
        name: name(run, "small-files"),
        title: title("Small-file scan rate", run),
        caption: NOISY_NOTE.into(),
        panels,
    })
}
