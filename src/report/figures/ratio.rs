//! The headline: each container target's median as a multiple of native, per cell.

use super::bars::{ratio_bar, ratio_panel};
use super::{name, title};
use crate::cell::Place;
use crate::report::figure::{Figure, Panel};
use crate::report::select;
use crate::report::HostRun;

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
