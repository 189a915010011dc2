//! Across hosts: each container target's ratio to its own host's native, per cell.

use super::bars::{host_panels, ratio_bar};
use crate::report::figure::{Figure, Scale};
use crate::report::select;
use crate::report::HostRun;

pub(super) fn figure(runs: &[HostRun]) -> Option<Figure> {
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
