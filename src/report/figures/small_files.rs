//! small-files: files per second per target and phase.

use super::bars::{phase_panel, rate_bar};
use super::{name, title, NOISY_NOTE};
use crate::metric::Metric;
use crate::report::figure::Figure;
use crate::report::select;
use crate::report::HostRun;

pub(super) fn figure(run: &HostRun) -> Option<Figure> {
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
