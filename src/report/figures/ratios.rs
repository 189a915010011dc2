//! Ratios as bars on a log axis through 1.0: each container target against native, per host
//! and host by host, and bind against the same engine's volume.

use super::bars::{host_panels, ratio_bar, ratio_panel, volume_bar};
use super::{name, title};
use crate::cell::Place;
use crate::report::figure::{Figure, Panel, Scale};
use crate::report::select;
use crate::report::HostRun;
use crate::results::SummaryRow;

pub(super) fn figure(run: &HostRun) -> Option<Figure> {
    let rows = select::ratios(&run.analysis.summary);
    if rows.is_empty() {
        return None;
    }
    Some(Figure {
        name: name(run, "ratio"),
        title: title("Container storage vs native (1.0 = as fast as the bare host)", run),
        caption: "bars: ratio of medians (target / native), log scale; whiskers: bootstrap 95% CI of the ratio".into(),
        panels: vec![Panel::Bars(ratio_panel(
            &rows,
            ratio_bar,
            Place::to_string,
            (
                "throughput relative to native (higher is better)",
                "× native",
            ),
        ))],
    })
}

const VOLUME_CAPTION: &str = "bars: bind / volume on the same engine, the median of per-round paired ratios, log scale; whiskers: bootstrap 95% CI; below 1 the volume is faster";

pub(super) fn volume_figure(run: &HostRun) -> Option<Figure> {
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
        caption: VOLUME_CAPTION.into(),
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

/// Across hosts: each container target's ratio to its own host's native, per cell.
pub(super) fn hosts_figure(runs: &[HostRun]) -> Option<Figure> {
    let panels = host_panels(
        runs,
        &|r| ratio_bar(r).filter(|_| !select::is_native(r)),
        &|c| format!("{} {}, {} cache — × native", c.workload, c.metric, c.phase),
        "× native",
        (Scale::Ratio, Some(1.0)),
    );
    (!panels.is_empty()).then(|| Figure {
        name: "hosts-ratio".into(),
        title: "Container storage vs native, host by host".into(),
        caption: "each host compared with its own native baseline; whiskers: bootstrap 95% CI of the ratio; log scale".into(),
        panels,
    })
}
