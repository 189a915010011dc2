//! train-epoch: accelerator utilisation per target, phases as groups, and host by host;
//! with the MLPerf Storage pass line (90%).

use super::bars::{au_bar, host_panels, phase_panel};
use super::{name, title};
use crate::report::figure::{Figure, Scale};
use crate::report::select;
use crate::report::HostRun;
use crate::workload::kinds::train_epoch::AU_PASS;

const AU_CAPTION: &str = "AU = emulated compute time / step time; bars: median over reps, whiskers: bootstrap 95% CI; line: the MLPerf Storage pass mark (90%)";

pub(super) fn figure(run: &HostRun) -> Option<Figure> {
    let rows = select::trained(&run.analysis.summary);
    if rows.is_empty() {
        return None;
    }
    let panels = select::workloads(rows.iter().copied())
        .iter()
        .map(|w| {
            phase_panel(
                &select::of_workload(&rows, w),
                format!("{w} — accelerator utilisation (higher is better)"),
                "AU %",
                &au_bar,
                Some(AU_PASS * 100.0),
            )
        })
        .collect();
    Some(Figure {
        name: name(run, "au"),
        title: title("Would the accelerator starve? AU% per target", run),
        caption: AU_CAPTION.into(),
        panels,
    })
}

/// Across hosts: AU per train-epoch cell.
pub(super) fn hosts_figure(runs: &[HostRun]) -> Option<Figure> {
    let panels = host_panels(
        runs,
        &au_bar,
        &|c| format!("{}, {} cache — AU %", c.workload, c.phase),
        "AU %",
        (Scale::Linear, Some(AU_PASS * 100.0)),
    );
    (!panels.is_empty()).then(|| Figure {
        name: "hosts-au".into(),
        title: "Accelerator utilisation, host by host".into(),
        caption: AU_CAPTION.into(),
        panels,
    })
}
