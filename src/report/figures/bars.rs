//! Bars from summary rows, and the two bar panel layouts the charts share: cache phases as
//! groups (one host), hosts as groups (across hosts).

use crate::cell::Place;
use crate::report::figure::{Bar, BarPanel, BarSeries, Caveat, Panel, Scale};
use crate::report::flags::{flags, Flag};
use crate::report::palette::place_color;
use crate::report::select::{self, Comparison};
use crate::report::HostRun;
use crate::results::SummaryRow;

use super::MAX_PANELS;

/// A row's median rate in its metric's unit, with its CI.
pub(super) fn rate_bar(r: &SummaryRow) -> Option<Bar> {
    let rate = select::rate(r)?;
    Some(Bar {
        value: rate.median,
        lo: Some(rate.lo),
        hi: Some(rate.hi),
        caveat: caveat(r),
    })
}

/// The ratio to native of a row, with its CI; None where it does not compare (boundary).
pub(super) fn ratio_bar(r: &SummaryRow) -> Option<Bar> {
    if !select::compares(r) {
        return None;
    }
    Some(Bar {
        value: r.ratio_to_native?,
        lo: r.ratio_ci_low,
        hi: r.ratio_ci_high,
        caveat: caveat(r),
    })
}

/// A ratio panel: a group per compared cell, a series per place named by `label`, bars
/// from `bar`, on a log axis through the 1.0 line.
pub(super) fn ratio_panel(
    rows: &[&SummaryRow],
    bar: fn(&SummaryRow) -> Option<Bar>,
    label: impl Fn(&Place) -> String,
    (title, y_label): (&str, &str),
) -> BarPanel {
    let comparisons = select::comparisons(rows.iter().copied());
    let places = select::places(rows.iter().copied());
    let series = places
        .iter()
        .map(|t| BarSeries {
            color: place_color(t, &places),
            bars: comparisons
                .iter()
                .map(|c| c.row(rows.iter().copied(), t).and_then(bar))
                .collect(),
            label: label(t),
        })
        .collect();
    BarPanel {
        title: title.into(),
        y_label: y_label.into(),
        groups: comparisons
            .iter()
            .map(|c| format!("{}\n{} {}", c.workload, c.metric, c.phase))
            .collect(),
        scale: Scale::Ratio,
        series,
        reference: Some(1.0),
    }
}

/// A row's accelerator utilisation in percent, with its CI.
pub(super) fn au_bar(r: &SummaryRow) -> Option<Bar> {
    Some(Bar {
        value: r.au? * 100.0,
        lo: r.au_ci_low.map(|v| v * 100.0),
        hi: r.au_ci_high.map(|v| v * 100.0),
        caveat: None,
    })
}

/// Bind as a multiple of the same engine's volume, with its CI.
pub(super) fn volume_bar(r: &SummaryRow) -> Option<Bar> {
    if !select::compares(r) {
        return None;
    }
    Some(Bar {
        value: r.ratio_to_volume?,
        lo: r.volume_ci_low,
        hi: r.volume_ci_high,
        caveat: caveat(r),
    })
}

/// The gravest of a row's flags that a chart draws.
pub(super) fn caveat(r: &SummaryRow) -> Option<Caveat> {
    flags(r)
        .iter()
        .filter_map(|f| match f {
            Flag::Noisy => Some(Caveat::Noisy),
            Flag::CacheUnverified => Some(Caveat::Unverified),
            Flag::Capped => Some(Caveat::Capped),
            Flag::NotEvicted(_) => Some(Caveat::NotEvicted),
            Flag::Failed(_) | Flag::Unpaired | Flag::Open => None,
        })
        .max()
}

/// One metric's bars: cache phases as groups, one bar per target, each from `bar`.
pub(super) fn phase_panel(
    rows: &[&SummaryRow],
    title: String,
    y_label: &str,
    bar: &dyn Fn(&SummaryRow) -> Option<Bar>,
    reference: Option<f64>,
) -> Panel {
    let phases = select::phases(rows.iter().copied());
    let places = select::places(rows.iter().copied());
    let series = places
        .iter()
        .map(|p| BarSeries {
            color: place_color(p, &places),
            bars: phases
                .iter()
                .map(|ph| select::row_in(rows, p, *ph).and_then(bar))
                .collect(),
            label: p.to_string(),
        })
        .collect();
    Panel::Bars(BarPanel {
        title,
        y_label: y_label.into(),
        groups: phases.iter().map(|p| format!("{p} cache")).collect(),
        scale: Scale::Linear,
        series,
        reference,
    })
}

/// Across hosts: one panel per comparison that `bar` draws, hosts as groups, targets as bars.
pub(super) fn host_panels(
    runs: &[HostRun],
    bar: &dyn Fn(&SummaryRow) -> Option<Bar>,
    title: &dyn Fn(&Comparison) -> String,
    y_label: &str,
    (scale, reference): (Scale, Option<f64>),
) -> Vec<Panel> {
    let all: Vec<&SummaryRow> = runs
        .iter()
        .flat_map(|r| r.analysis.summary.iter())
        .filter(|r| bar(r).is_some())
        .collect();
    let labels: Vec<String> = runs
        .iter()
        .map(|r| r.label().replacen(" (", "\n(", 1))
        .collect();
    select::comparisons(all.iter().copied())
        .iter()
        .take(MAX_PANELS)
        .map(|cmp| {
            let places = select::places(all.iter().copied().filter(|r| cmp.holds(r)));
            let series = places
                .iter()
                .map(|p| BarSeries {
                    color: place_color(p, &places),
                    bars: runs
                        .iter()
                        .map(|run| cmp.row(&run.analysis.summary, p).and_then(bar))
                        .collect(),
                    label: p.to_string(),
                })
                .collect();
            Panel::Bars(BarPanel {
                title: title(cmp),
                y_label: y_label.into(),
                groups: labels.clone(),
                scale,
                series,
                reference,
            })
        })
        .collect()
}
