//! Span panels: per column a bar up to its low percentile and a whisker up to its high one on
//! a log axis with both values written above, the engines' groups named at the top and
//! parted by dashed lines, and each column's notes under its label. Text shrinks with the
//! columns' width so that no two labels overlap.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{draw_ticks, log_ticks, Side};
use super::{
    bold, category_label, rgb, DrawResult, FONT, PANEL_MARGIN, PANEL_TITLE_HEIGHT, X_LABEL_AREA,
};
use crate::report::figure::{SpanColumn, SpanPanel};
use crate::report::human::{duration_tick, duration_us};

/// Its y axis runs in ln units (values through `ln`), ticks drawn by hand.
type SpanChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

const Y_LABEL_AREA: u32 = 90;
/// Pixels per line of notes under a column's label.
const NOTE_PX: u32 = 19;
/// Pixels kept free above the tallest whisker: two value lines and the group names.
const HEADROOM_PX: f64 = 2.0 * 18.0 + 26.0;
/// Width of a character against the font size (DejaVu Sans, digits and lower case).
const CHAR_EM: f64 = 0.62;
const NANOSECOND_US: f64 = 0.001;
/// Pixels a labelled tick needs along the y axis.
const TICK_PX: f64 = 34.0;
const ALARM: RGBColor = RGBColor(200, 30, 30);
const QUIET: RGBColor = RGBColor(80, 80, 80);

pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &SpanPanel,
) -> DrawResult<DB> {
    let n = p.columns.len().max(1);
    let notes = p.columns.iter().map(|c| c.notes.len()).max().unwrap_or(0) as u32;
    let x_area = X_LABEL_AREA + notes * NOTE_PX;
    let (width, height) = area.dim_in_pixel();
    let plot_w = width.saturating_sub(Y_LABEL_AREA + 2 * PANEL_MARGIN) as f64;
    let plot_h = height.saturating_sub(x_area + 2 * PANEL_MARGIN + PANEL_TITLE_HEIGHT) as f64;
    let font = text_size(p, plot_w / n as f64);
    let (lo, hi) = bounds(p, plot_h);
    let labels: Vec<String> = p.columns.iter().map(|c| c.label.clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, 19).into_font().style(FontStyle::Bold))
        .margin(PANEL_MARGIN)
        .x_label_area_size(x_area)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo.ln()..hi.ln())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n + 1)
        .x_label_formatter(&|x| category_label(&labels, *x))
        .x_label_style((FONT, font))
        .disable_y_mesh()
        .y_labels(0)
        .y_desc(&p.y_label)
        .axis_desc_style((FONT, 16))
        .draw()?;
    let base = area.get_base_pixel();
    let px = |x: f64, at: f64| {
        let (a, b) = chart.backend_coord(&(x, at));
        (a - base.0, b - base.1)
    };
    let (left, top) = px(-0.5, hi.ln());
    let (right, bottom) = px(n as f64 - 0.5, lo.ln());
    let mut ticks = log_ticks(lo, hi, (plot_h / TICK_PX) as usize, &duration_tick);
    // Latencies are recorded at 1 ns at least: below it there is nothing to read.
    ticks.retain(|t| t.at >= NANOSECOND_US.ln() - 1e-9);
    let plot = (left, top, right, bottom);
    draw_ticks(area, &ticks, Side::Left, plot, &|at| px(0.0, at).1)?;
    for (i, c) in p.columns.iter().enumerate() {
        draw_column(&mut chart, i as f64, c, lo, font, &p.missing)?;
    }
    draw_groups(&mut chart, &p.columns, lo, hi, font)?;
    draw_notes(area, &chart, &p.columns, lo, font)
}

/// The text size (px) at which the longest label, value or note fits its column.
fn text_size(p: &SpanPanel, column_px: f64) -> u32 {
    let longest = p
        .columns
        .iter()
        .flat_map(|c| {
            let values = [value_line("p99", c.high), value_line("p50", c.low)];
            let notes = c.notes.iter().map(|n| n.text.chars().count());
            values
                .into_iter()
                .map(|v| v.chars().count())
                .chain(notes)
                .chain([c.label.chars().count(), p.missing.chars().count()])
                .chain([c.group.chars().count()])
        })
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    ((column_px - 10.0) / (CHAR_EM * longest)).clamp(8.0, 15.0) as u32
}

/// The log axis' range: a decade below the lowest value, and room above the highest for the
/// value lines and group names (HEADROOM_PX of the plot's `plot_h` pixels).
fn bounds(p: &SpanPanel, plot_h: f64) -> (f64, f64) {
    let values = p.columns.iter().flat_map(|c| [c.low, c.high]).flatten();
    let (min, max) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, top) = if min > max {
        (0.1, 10.0)
    } else {
        (min / 10.0, max)
    };
    let share = (HEADROOM_PX / plot_h.max(1.0)).min(0.6);
    let hi = ((top.ln() - share * lo.ln()) / (1.0 - share)).exp();
    (lo, hi)
}

fn value_line(what: &str, v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{what} {}", duration_us(v)))
}

/// A column's bar, whisker and the two values above them, or what stands for a missing one.
fn draw_column<DB: DrawingBackend>(
    chart: &mut SpanChart<'_, DB>,
    x: f64,
    c: &SpanColumn,
    lo: f64,
    font: u32,
    missing: &str,
) -> DrawResult<DB> {
    let color = rgb(c.color);
    let style = TextStyle::from((FONT, font).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    let Some(low) = c.low else {
        let text = EmptyElement::at((x, lo.ln())) + Text::new(missing.to_string(), (0, -4), style);
        return chart.plotting_area().draw(&text);
    };
    chart.draw_series([Rectangle::new(
        [(x - 0.3, lo.ln()), (x + 0.3, low.ln())],
        color.filled(),
    )])?;
    let high = c.high.unwrap_or(low).max(low);
    if high > low {
        let whisker = BLACK.stroke_width(2);
        chart.draw_series([
            PathElement::new(vec![(x, low.ln()), (x, high.ln())], whisker),
            PathElement::new(vec![(x - 0.08, high.ln()), (x + 0.08, high.ln())], whisker),
        ])?;
    }
    let line = font as i32 + 3;
    let text = EmptyElement::at((x, high.ln()))
        + Text::new(value_line("p99", c.high), (0, -4 - line), style.clone())
        + Text::new(value_line("p50", Some(low)), (0, -4), style);
    chart.plotting_area().draw(&text)
}

/// Each run of columns on one engine named at the top, runs parted by dashed lines; nothing
/// when all columns share one.
fn draw_groups<DB: DrawingBackend>(
    chart: &mut SpanChart<'_, DB>,
    columns: &[SpanColumn],
    lo: f64,
    hi: f64,
    font: u32,
) -> DrawResult<DB> {
    let mut runs: Vec<(usize, usize, &str)> = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if run.2 == c.group => run.1 = i,
            _ => runs.push((i, i, &c.group)),
        }
    }
    if runs.len() < 2 {
        return Ok(());
    }
    let style = bold(font)
        .color(&QUIET)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (first, last, group) in runs {
        let middle = (first + last) as f64 / 2.0;
        let name = EmptyElement::at((middle, hi.ln()))
            + Text::new(group.to_string(), (0, 4), style.clone());
        chart.plotting_area().draw(&name)?;
        if first > 0 {
            let x = first as f64 - 0.5;
            chart.draw_series(DashedLineSeries::new(
                vec![(x, lo.ln()), (x, hi.ln())],
                6,
                5,
                QUIET.stroke_width(1),
            ))?;
        }
    }
    Ok(())
}

/// Each column's notes under its label, alarms in red.
fn draw_notes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &SpanChart<'_, DB>,
    columns: &[SpanColumn],
    lo: f64,
    font: u32,
) -> DrawResult<DB> {
    let base = area.get_base_pixel();
    for (i, c) in columns.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64, lo.ln()));
        for (k, note) in c.notes.iter().enumerate() {
            let (color, weight) = match note.alarm {
                true => (&ALARM, FontStyle::Bold),
                false => (&QUIET, FontStyle::Normal),
            };
            let style = TextStyle::from((FONT, font).into_font().style(weight))
                .color(color)
                .pos(Pos::new(HPos::Center, VPos::Top));
            let at = (x - base.0, y - base.1 + 26 + k as i32 * NOTE_PX as i32);
            area.draw(&Text::new(note.text.clone(), at, style))?;
        }
    }
    Ok(())
}
