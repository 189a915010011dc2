//! Across hosts: AU per train-epoch cell.

use super::bars::{au_bar, host_panels};
use super::AU_CAPTION;
use crate::report::figure::{Figure, Scale};
use crate::report::HostRun;
use crate::workload::kinds::train_epoch::AU_PASS;

pub(super) fn figure(runs: &[HostRun]) -> Option<Figure> {
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
