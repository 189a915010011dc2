//! Semantics: per workload a coloured grid of probes × places, engines side by side: the
//! native reference, as native, differs, fails (with its errno) or skipped.

use super::{name, title, MAX_PANELS};
use crate::cell::Place;
use crate::report::figure::{Figure, GridCell, GridPanel, Panel, Rgb};
use crate::report::semantics::{matrices, Cell, Matrix};
use crate::report::HostRun;
use crate::workload::kinds::semantics::Verdict;

/// The last part of its file name.
pub(super) const WHAT: &str = "semantics";

const CAPTION: &str = "each probe's answer on each place against native's on this host; red cells name the errno of the step that failed (report.md has every answer in full)";

const REFERENCE: Rgb = Rgb(120, 160, 215);

fn color(v: Verdict) -> Rgb {
    match v {
        Verdict::AsNative => Rgb(120, 190, 120),
        Verdict::Differs => Rgb(240, 180, 60),
        Verdict::Fails => Rgb(220, 80, 70),
        Verdict::Skipped => Rgb(190, 190, 190),
    }
}

pub(super) fn figure(run: &HostRun) -> Option<Figure> {
    let matrices = matrices(run);
    if matrices.is_empty() {
        return None;
    }
    let panels = matrices.iter().take(MAX_PANELS).map(panel).collect();
    Some(Figure {
        name: name(run, WHAT),
        title: title("Semantics: what each place does, against native", run),
        caption: CAPTION.into(),
        panels,
    })
}

fn panel(m: &Matrix) -> Panel {
    let cells = m
        .probes
        .iter()
        .map(|p| {
            m.places
                .iter()
                .map(|place| m.cells.get(&(*p, place.clone())).map(|c| tile(place, c)))
                .collect()
        })
        .collect();
    let mut legend = vec![("native: the reference".to_string(), REFERENCE)];
    legend.extend(Verdict::ALL.map(|v| (v.name().to_string(), color(v))));
    Panel::Grid(GridPanel {
        title: format!("{}: probes × places", m.workload),
        rows: m.probes.iter().map(|p| p.name().to_string()).collect(),
        columns: m.places.iter().map(|p| p.target.to_string()).collect(),
        groups: m.places.iter().map(group).collect(),
        cells,
        legend,
    })
}

fn tile(place: &Place, c: &Cell) -> GridCell {
    if place.is_native() && c.verdict == Verdict::AsNative {
        return GridCell {
            color: REFERENCE,
            text: "reference".into(),
        };
    }
    let text = match (c.verdict, &c.errno) {
        (Verdict::Fails, Some(errno)) => format!("fails {errno}"),
        (v, _) => v.name().replace('-', " "),
    };
    GridCell {
        color: color(c.verdict),
        text,
    }
}

/// "host" for native, "engine NAME" for the rest (the default engine too).
fn group(place: &Place) -> String {
    match place.is_native() {
        true => "host".into(),
        false => format!("engine {}", place.engine),
    }
}
