//! Boundary workloads (coherence, watch): per workload, engine by engine, how soon the other
//! side saw each change (p50 bar, whisker to p99, log scale) and, under each target, how
//! many changes it saw stale, lost or missed.

use super::{name, title, MAX_PANELS};
use crate::cell::Place;
use crate::report::boundary::{Cell, Look};
use crate::report::figure::{Figure, Note, Panel, SpanColumn, SpanPanel};
use crate::report::palette::place_color;
use crate::report::select;
use crate::report::HostRun;

/// The last part of its file name.
pub(super) const WHAT: &str = "boundary";

const CAPTION: &str = "bars: p50 of the time from each change to its being seen (read back, or its inotify event), whiskers up to p99, log scale; under each target: changes seen stale, lost or missed over all measured reps (red when any)";

pub(super) fn figure(run: &HostRun) -> Option<Figure> {
    let cells = &run.boundary;
    if cells.is_empty() {
        return None;
    }
    let keys = select::ordered(cells.iter().map(|c| (&c.workload, &c.phase)));
    let phased = select::ordered(keys.iter().map(|k| k.1)).len() > 1;
    let panels = keys
        .iter()
        .take(MAX_PANELS)
        .map(|(w, ph)| {
            let of: Vec<&Cell> = cells
                .iter()
                .filter(|c| &&c.workload == w && &&c.phase == ph)
                .collect();
            panel(&of, phased)
        })
        .collect();
    Some(Figure {
        name: name(run, WHAT),
        title: title(
            "Across the boundary: how soon the other side sees a change",
            run,
        ),
        caption: CAPTION.into(),
        panels,
    })
}

/// One workload (and phase): a column per place, engine by engine.
fn panel(cells: &[&Cell], phased: bool) -> Panel {
    let places: Vec<Place> = cells.iter().map(|c| c.place.clone()).collect();
    let grouped = select::ordered(cells.iter().map(|c| c.engine())).len() > 1;
    let first = cells[0];
    let workload = match phased {
        true => format!("{} {}", first.workload, first.phase),
        false => first.workload.clone(),
    };
    let paths = select::ordered(
        cells
            .iter()
            .filter(|c| !c.place.is_native())
            .map(|c| c.path()),
    );
    let path = match paths.as_slice() {
        [one] => format!("{one}, "),
        _ => String::new(),
    };
    let until = match first.look {
        Look::Reads => "until read back",
        Look::Inotify => "until its inotify event",
    };
    Panel::Spans(SpanPanel {
        title: format!("{workload}: {path}time {until}"),
        y_label: "latency (log scale)".into(),
        columns: cells
            .iter()
            .map(|c| SpanColumn {
                // Grouped columns have their engine named above them.
                label: match grouped {
                    true => c.place.target.to_string(),
                    false => c.place.to_string(),
                },
                color: place_color(&c.place, &places),
                group: if c.engine().is_none() {
                    "host".into()
                } else {
                    format!("engine {}", c.engine())
                },
                low: c.p50_us,
                high: c.p99_us,
                notes: notes(c),
            })
            .collect(),
        missing: "none seen".into(),
    })
}

/// "stale 0/80", "lost 2/80" (watch: "missed 2/80"), alarms when above zero.
fn notes(c: &Cell) -> Vec<Note> {
    let note = |word: &str, n: u64| Note {
        text: format!("{word} {n}/{}", c.changes()),
        alarm: n > 0,
    };
    let mut notes: Vec<Note> = c.stale.map(|n| note("stale", n)).into_iter().collect();
    notes.push(match c.look {
        Look::Reads => note("lost", c.lost),
        Look::Inotify => note("missed", c.lost),
    });
    notes
}
