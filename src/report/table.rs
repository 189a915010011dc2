//! The terminal table after a run and after `cargo bench`: per row the rate with its CI,
//! the CV, the ratio to native with its CI and half-width, whether the CI target was
//! reached, and the flags.

use std::fmt::Write as _;

use super::flags::flag_text;
use crate::analysis::Analysis;
use crate::results::{CiStatus, SummaryRow};
use crate::workload::kinds::train_epoch::AU_PASS;

/// The whole table, a header line and one line per summary row, then a count of the rows
/// that reached the CI target when the run had one.
pub fn render(analysis: &Analysis) -> String {
    let mut out = String::new();
    if analysis.summary.iter().all(|s| s.metric.is_boundary()) {
        return out;
    }
    let _ = writeln!(
        out,
        "{:<14} {:<12} {:<5} {:<11} {:>10} {:>21} {:>11} {:>6} {:>19} {:>6} {:<7}",
        "workload",
        "target",
        "phase",
        "metric",
        "MiB/s",
        "95% CI",
        "ops/s",
        "CV",
        "× native [95% CI]",
        "±CI",
        "target"
    );
    // Boundary counts are not rates: `boundary_lines` prints them on their own.
    for s in analysis.summary.iter().filter(|s| !s.metric.is_boundary()) {
        let _ = writeln!(out, "{}", line(s));
    }
    if let Some(count) = reached(analysis) {
        let _ = writeln!(out, "{count}");
    }
    out
}

fn line(s: &SummaryRow) -> String {
    let ratio = match (s.ratio_to_native, s.ratio_ci_low, s.ratio_ci_high) {
        _ if !super::select::compares(s) => "-".into(),
        (Some(r), Some(lo), Some(hi)) => format!("{r:.2} [{lo:.2}-{hi:.2}]"),
        _ => "-".into(),
    };
    // Metadata storms move no bytes: their rate is ops/s alone.
    let (mib_s, ci) = if s.moves_bytes() {
        (
            format!("{:.1}", s.median_mib_s),
            format!("[{:.1}, {:.1}]", s.ci_low_mib_s, s.ci_high_mib_s),
        )
    } else {
        ("-".into(), "-".into())
    };
    let width = s
        .ci_half_width
        .map_or_else(|| "-".into(), |w| format!("{:.1}%", w * 100.0));
    let flags = flag_text(s);
    format!(
        "{:<14} {:<12} {:<5} {:<11} {:>10} {:>21} {:>11.0} {:>5.1}% {:>19} {:>6} {:<7}{}{}",
        s.workload,
        s.place(),
        s.phase,
        s.metric.name(),
        mib_s,
        ci,
        s.median_ops_s,
        s.cv * 100.0,
        ratio,
        width,
        status(s.ci_status),
        if flags.is_empty() {
            String::new()
        } else {
            format!(" {flags}")
        },
        au(s)
    )
}

fn status(status: Option<CiStatus>) -> &'static str {
    match status {
        Some(CiStatus::Reached) => "reached",
        Some(CiStatus::Capped) => "CAPPED",
        Some(CiStatus::Open) => "open",
        None => "-",
    }
}

fn au(s: &SummaryRow) -> String {
    match (s.au, s.au_ci_low, s.au_ci_high) {
        (Some(au), Some(lo), Some(hi)) => format!(
            " AU {:.1}% [{:.1}-{:.1}]{}",
            au * 100.0,
            lo * 100.0,
            hi * 100.0,
            if au >= AU_PASS { "" } else { " <90%" }
        ),
        _ => String::new(),
    }
}

/// "N of M rows reached the ±3% CI target; K stopped at max reps", with a target.
fn reached(analysis: &Analysis) -> Option<String> {
    let rows = &analysis.summary;
    let target = rows.iter().find_map(|r| r.ci_target)?;
    let count = |want: CiStatus| rows.iter().filter(|r| r.ci_status == Some(want)).count();
    Some(format!(
        "{} of {} rows reached the ±{target} CI target; {} stopped at max reps (CAPPED), {} open",
        count(CiStatus::Reached),
        rows.len(),
        count(CiStatus::Capped),
        count(CiStatus::Open)
    ))
}
