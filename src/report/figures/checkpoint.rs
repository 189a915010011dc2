//! checkpoint: milliseconds per checkpoint spent writing, in fsync and restoring, side by side.

use super::{name, title};
use crate::cell::Phase;
use crate::measure::Op;
use crate::metric::Metric;
use crate::report::figure::{Bar, BarPanel, BarSeries, Figure, Panel, Scale};
use crate::report::palette::place_color;
use crate::report::select;
use crate::report::HostRun;
use crate::results::SummaryRow;

/// The parts of one checkpoint, as groups.
const PARTS: [(Op, &str); 5] = [
    (Op::Write, "write"),
    (Op::Fsync, "fsync"),
    (Op::Rename, "rename"),
    (Op::FsyncDir, "fsync-dir"),
    (Op::Restore, "restore"),
];

pub(super) fn figure(run: &HostRun) -> Option<Figure> {
    let rows = select::of_metric(&run.analysis.summary, Metric::Save);
    if rows.is_empty() {
        return None;
    }
    let panels = select::workload_phases(&rows)
        .iter()
        .map(|(w, ph)| panel(run, &select::of_workload_phase(&rows, w, *ph), w, *ph))
        .collect();
    Some(Figure {
        name: name(run, "checkpoint"),
        title: title("Checkpoint write, fsync, rename and restore time", run),
        caption:
            "time summed over the ops of one checkpoint (from the op histograms), lower is better"
                .into(),
        panels,
    })
}

/// One workload and phase: the parts as groups, a bar per target.
fn panel(run: &HostRun, rows: &[&SummaryRow], workload: &str, phase: Phase) -> Panel {
    let places = select::places(rows.iter().copied());
    let series = places
        .iter()
        .map(|p| {
            let reps = select::row_in(rows, p, phase)
                .map(|r| r.reps)
                .unwrap_or(0)
                .max(1);
            let bars = PARTS
                .iter()
                .map(|(op, _)| {
                    let h = select::histogram(run, workload, p, phase, *op)?;
                    let total_ms = h.mean() * h.len() as f64 / 1e6;
                    Some(Bar::plain(total_ms / reps as f64))
                })
                .collect();
            BarSeries {
                color: place_color(p, &places),
                bars,
                label: p.to_string(),
            }
        })
        .collect();
    Panel::Bars(BarPanel {
        title: format!("{workload} ({phase} restore) — ms per checkpoint"),
        y_label: "ms (mean per checkpoint)".into(),
        groups: PARTS.iter().map(|p| p.1.to_string()).collect(),
        scale: Scale::Linear,
        series,
        reference: None,
    })
}
