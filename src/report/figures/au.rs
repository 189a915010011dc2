//! train-epoch: accelerator utilisation per target, phases as groups, with the 90% line.

use super::bars::{au_bar, phase_panel};
use super::{name, title, AU_CAPTION};
use crate::report::figure::Figure;
use crate::report::select;
use crate::report::HostRun;
use crate::workload::kinds::train_epoch::AU_PASS;

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
