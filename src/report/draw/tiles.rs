//! Grid panels: a coloured tile per row × column with a short text in it, row names on the
//! left, column names above (their groups above those, parted by lines), and a legend of
//! the colours under the grid. Text shrinks with the tiles' width so none overflows.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{bold, rgb, DrawResult, FONT, PANEL_MARGIN, PANEL_TITLE_HEIGHT};
use crate::report::figure::GridPanel;

const ROW_LABEL_PX: i32 = 150;
/// Height of the groups' line and of the columns' line above the tiles.
const HEAD_LINE_PX: i32 = 24;
const LEGEND_PX: i32 = 34;
const MAX_ROW_PX: i32 = 44;
/// Width of a character against the font size (DejaVu Sans).
const CHAR_EM: f64 = 0.62;

pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &GridPanel,
) -> DrawResult<DB> {
    let (width, height) = area.dim_in_pixel();
    let (w, h) = (width as i32, height as i32);
    let m = PANEL_MARGIN as i32;
    area.draw(&Text::new(
        p.title.clone(),
        (w / 2, m),
        bold(19).pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let cols = p.columns.len().max(1) as i32;
    let rows = p.rows.len().max(1) as i32;
    let col_w = (w - ROW_LABEL_PX - 2 * m) / cols;
    let top = m + PANEL_TITLE_HEIGHT as i32 + 2 * HEAD_LINE_PX;
    let row_h = ((h - top - LEGEND_PX - m) / rows).clamp(8, MAX_ROW_PX);
    let font = fit(p, col_w);
    let x0 = m + ROW_LABEL_PX;
    draw_heads(area, p, x0, top, col_w, font)?;
    for (r, name) in p.rows.iter().enumerate() {
        let y = top + r as i32 * row_h;
        area.draw(&Text::new(
            name.clone(),
            (x0 - 8, y + row_h / 2),
            text(15).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        for (c, cell) in p.cells[r].iter().enumerate() {
            let x = x0 + c as i32 * col_w;
            let Some(cell) = cell else { continue };
            area.draw(&Rectangle::new(
                [(x + 1, y + 1), (x + col_w - 1, y + row_h - 1)],
                rgb(cell.color).filled(),
            ))?;
            area.draw(&Text::new(
                cell.text.clone(),
                (x + col_w / 2, y + row_h / 2),
                text(font).pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
    }
    draw_legend(area, p, x0, top + rows * row_h + 10)
}

/// Group names over their runs of columns, a line before each new group, column names.
fn draw_heads<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &GridPanel,
    x0: i32,
    top: i32,
    col_w: i32,
    font: u32,
) -> DrawResult<DB> {
    let mut start = 0;
    for c in 0..=p.columns.len() {
        let ends = c == p.columns.len() || p.groups[c] != p.groups[start];
        if !ends {
            continue;
        }
        let mid = x0 + (start + c) as i32 * col_w / 2;
        area.draw(&Text::new(
            p.groups[start].clone(),
            (mid, top - 2 * HEAD_LINE_PX + 4),
            bold(15).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        let x = x0 + start as i32 * col_w;
        let line = [(x, top - 2 * HEAD_LINE_PX), (x, top)];
        area.draw(&PathElement::new(line, BLACK.mix(0.4)))?;
        start = c;
    }
    for (c, name) in p.columns.iter().enumerate() {
        area.draw(&Text::new(
            name.clone(),
            (x0 + c as i32 * col_w + col_w / 2, top - HEAD_LINE_PX + 4),
            text(font).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &GridPanel,
    x0: i32,
    y: i32,
) -> DrawResult<DB> {
    let mut x = x0;
    for (label, color) in &p.legend {
        area.draw(&Rectangle::new(
            [(x, y), (x + 18, y + 18)],
            rgb(*color).filled(),
        ))?;
        area.draw(&Text::new(
            label.clone(),
            (x + 24, y + 9),
            text(15).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += 24 + (label.chars().count() as f64 * 15.0 * CHAR_EM) as i32 + 28;
    }
    Ok(())
}

/// The text size (px, 9 to 15) at which the longest tile text or column name fits a tile.
fn fit(p: &GridPanel, col_w: i32) -> u32 {
    let tiles = p
        .cells
        .iter()
        .flatten()
        .flatten()
        .map(|c| c.text.chars().count());
    let longest = tiles
        .chain(p.columns.iter().map(|c| c.chars().count()))
        .max()
        .unwrap_or(1)
        .max(1);
    let size = (col_w - 6) as f64 / (longest as f64 * CHAR_EM);
    size.clamp(9.0, 15.0) as u32
}

fn text(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).color(&BLACK)
}
