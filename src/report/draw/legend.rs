//! Legends above the plot, outside the data: entries laid out left to right in as many rows
//! as the plot's width needs, and the figure's key to its bars' caveats.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::text_px;
use super::marks::Swatch;
use super::rgb;
use super::{DrawResult, FONT};
use crate::report::figure::{Caveat, Figure, Panel};

const FONT_PX: u32 = 14;
pub(super) const ROW_PX: u32 = 22;
const SWATCH_PX: i32 = 16;
const GAP_PX: f64 = 22.0;

/// One entry: what it names and how it shows.
#[derive(PartialEq)]
pub(super) struct Entry {
    pub label: String,
    pub swatch: Swatch,
}

/// What a panel's legend lists: its series or lines (a span panel names its columns).
pub(super) fn of_panel(panel: &Panel) -> Vec<Entry> {
    match panel {
        Panel::Bars(p) => p
            .series
            .iter()
            .map(|s| Entry {
                label: s.label.clone(),
                swatch: Swatch::Bar(rgb(s.color), None),
            })
            .collect(),
        Panel::Percentiles(p) | Panel::Cdf(p) => p
            .lines
            .iter()
            .map(|l| Entry {
                label: l.label.clone(),
                swatch: Swatch::Line {
                    color: rgb(l.color),
                    dashed: l.dashed,
                },
            })
            .collect(),
        Panel::Spans(_) | Panel::Grid(_) => Vec::new(),
    }
}

/// One legend for the whole figure when its panels have several and every label shows the
/// same way in each: their entries, each once.
pub(super) fn shared(figure: &Figure) -> Option<Vec<Entry>> {
    let panels: Vec<Vec<Entry>> = figure.panels.iter().map(of_panel).collect();
    if panels.iter().filter(|e| !e.is_empty()).count() < 2 {
        return None;
    }
    let mut all: Vec<Entry> = Vec::new();
    for entry in panels.into_iter().flatten() {
        match all.iter().find(|e| e.label == entry.label) {
            Some(seen) if *seen != entry => return None,
            Some(_) => {}
            None => all.push(entry),
        }
    }
    Some(all)
}

/// Each entry's (row, x offset), rows `width` pixels wide.
fn layout(entries: &[Entry], width: f64) -> Vec<(u32, f64)> {
    let mut at = Vec::new();
    let (mut row, mut x) = (0, 0.0);
    for e in entries {
        let w = entry_px(e);
        if x > 0.0 && x + w > width {
            row += 1;
            x = 0.0;
        }
        at.push((row, x));
        x += w + GAP_PX;
    }
    at
}

fn entry_px(e: &Entry) -> f64 {
    f64::from(SWATCH_PX) + 6.0 + text_px(&e.label, f64::from(FONT_PX))
}

/// How many pixels the entries take above a plot `width` pixels wide (none without entries).
pub(super) fn height(entries: &[Entry], width: f64) -> u32 {
    layout(entries, width)
        .last()
        .map_or(0, |(row, _)| (row + 1) * ROW_PX + 4)
}

/// The entries in rows from (`left`, `top`) of `area`.
pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    (left, top): (i32, i32),
    width: f64,
) -> DrawResult<DB> {
    let style =
        TextStyle::from((FONT, FONT_PX).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (e, (row, x)) in entries.iter().zip(layout(entries, width)) {
        let x = left + x as i32;
        let y = top + (row * ROW_PX) as i32 + ROW_PX as i32 / 2;
        e.swatch.draw(area, (x, y - 7), (x + SWATCH_PX, y + 7))?;
        area.draw(&Text::new(
            e.label.clone(),
            (x + SWATCH_PX + 6, y),
            style.clone(),
        ))?;
    }
    Ok(())
}

/// The key to the caveats drawn in a figure: a grey swatch in each one's style and what it
/// means.
pub(super) fn key(caveats: &[Caveat]) -> Vec<Entry> {
    caveats
        .iter()
        .map(|c| Entry {
            label: c.meaning().to_string(),
            swatch: Swatch::Bar(KEY_GREY, Some(*c)),
        })
        .collect()
}

/// Entries in rows centred across `area`.
pub(super) fn draw_centred<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    margin: u32,
) -> DrawResult<DB> {
    let width = f64::from(area.dim_in_pixel().0.saturating_sub(2 * margin));
    let total: f64 = entries.iter().map(|e| entry_px(e) + GAP_PX).sum::<f64>() - GAP_PX;
    let left = margin as i32 + ((width - total) / 2.0).max(0.0) as i32;
    draw(area, entries, (left, 0), width)
}

const KEY_GREY: RGBColor = RGBColor(110, 110, 110);
