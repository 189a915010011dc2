//! report.md's ratio table: every metric's ratio to native per target, cold and warm side by
//! side, so a page-cache figure is never read for a cold one.

use std::fmt::Write as _;

use super::flags::{flags, Flag};
use super::select;
use super::HostRun;
use crate::cell::{Phase, Place};
use crate::results::SummaryRow;

/// One line per (workload, metric), a column per target and phase.
pub(crate) fn render(md: &mut String, run: &HostRun) {
    let rows = select::ratios(&run.analysis.summary);
    if rows.is_empty() {
        return;
    }
    let places = select::places(rows.iter().copied());
    let phases = select::phases(rows.iter().copied());
    let columns: Vec<(Place, Phase)> = places
        .iter()
        .flat_map(|t| phases.iter().map(move |p| (t.clone(), *p)))
        .collect();
    let _ = writeln!(
        md,
        "\nRatios to native (median of per-round ratios [95% CI]; † unpaired, ‡ CI wider than the target at max reps, § not evicted):\n"
    );
    let heads: Vec<String> = columns.iter().map(|(t, p)| format!("{t} {p}")).collect();
    let _ = writeln!(md, "| workload | metric | {} |", heads.join(" | "));
    let _ = writeln!(md, "|---|---|{}", "---:|".repeat(columns.len()));
    let mut lines: Vec<(String, String)> = Vec::new();
    for r in &rows {
        let key = (r.workload.clone(), r.metric.to_string());
        if !lines.contains(&key) {
            lines.push(key);
        }
    }
    for (workload, metric) in lines {
        let cells: Vec<String> = columns
            .iter()
            .map(|(t, p)| {
                rows.iter()
                    .find(|r| {
                        r.workload == workload
                            && r.metric.to_string() == metric
                            && r.is_at(t)
                            && r.phase == *p
                    })
                    .map_or_else(|| "".into(), |r| cell(r))
            })
            .collect();
        let _ = writeln!(md, "| {workload} | {metric} | {} |", cells.join(" | "));
    }
}

fn cell(r: &SummaryRow) -> String {
    let (Some(v), Some(lo), Some(hi)) = (r.ratio_to_native, r.ratio_ci_low, r.ratio_ci_high) else {
        return "-".into();
    };
    let marks: String = flags(r)
        .iter()
        .filter_map(|f| match f {
            Flag::Unpaired => Some('†'),
            Flag::Capped | Flag::Open => Some('‡'),
            Flag::NotEvicted(_) => Some('§'),
            Flag::Noisy | Flag::Failed(_) | Flag::CacheUnverified => None,
        })
        .collect();
    format!("{v:.2} [{lo:.2}–{hi:.2}]{marks}")
}
