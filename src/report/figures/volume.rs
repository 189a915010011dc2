//! Bind against the same engine's volume, per cell, engine by engine: on a VM-backed engine
//! the bind mount crosses the VM boundary and the volume does not, so this is the VM's story
//! in one look. Drawn for runs with several engines or a VM-backed one.

use super::bars::{ratio_panel, volume_bar};
use super::{name, title};
use crate::report::figure::{Figure, Panel};
use crate::report::HostRun;
use crate::results::SummaryRow;

const CAPTION: &str = "bars: bind / volume on the same engine, the median of per-round paired ratios, log scale; whiskers: bootstrap 95% CI; below 1 the volume is faster";

pub(super) fn figure(run: &HostRun) -> Option<Figure> {
    let engines = &run.env.engines;
    if engines.len() < 2 && !engines.values().any(|e| e.is_vm_backed()) {
        return None;
    }
    let rows: Vec<&SummaryRow> = run
        .analysis
        .summary
        .iter()
        .filter(|r| volume_bar(r).is_some())
        .collect();
    if rows.is_empty() {
        return None;
    }
    Some(Figure {
        name: name(run, "bind-vs-volume"),
        title: title(
            "Bind mount vs the same engine's volume (1.0 = as fast)",
            run,
        ),
        caption: CAPTION.into(),
        panels: vec![Panel::Bars(ratio_panel(
            &rows,
            volume_bar,
            |t| format!("{t} / its volume"),
            (
                "bind throughput relative to the volume (higher is better)",
                "× volume",
            ),
        ))],
    })
}
