//! Line panels: percentiles over categories with a log y axis, and CDFs with a log x axis.
//! Log axes are drawn in ln units with ticks at 1-2-5 steps or decades (minor ones
//! unlabelled) read as durations; the legend sits above the plot, clear of the lines.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::{draw_ticks, log_range, log_ticks, number, Side};
use super::legend::{self, Entry};
use super::marks::Swatch;
use super::{category_label, panel_builder, rgb, DrawResult, FONT, PANEL_MARGIN, X_LABEL_AREA};
use crate::report::figure::{Line, LinePanel};
use crate::report::human::duration_tick;

const Y_LABEL_AREA: u32 = 80;
/// Pixels a labelled tick needs along a y axis, and along an x axis.
const Y_TICK_PX: f64 = 34.0;
const X_TICK_PX: f64 = 80.0;

/// The positive values' range on a log axis, snapped out to 1-2-5 steps.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    log_range(lo, hi)
}

fn entries(lines: &[Line]) -> Vec<Entry> {
    lines
        .iter()
        .map(|l| Entry {
            label: l.label.clone(),
            swatch: Swatch::Line {
                color: rgb(l.color),
                dashed: l.dashed,
            },
        })
        .collect()
}

/// The panel's (plot width, legend height) in pixels.
fn legend_room<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, e: &[Entry]) -> (f64, u32) {
    let plot_w = f64::from(area.dim_in_pixel().0) - f64::from(Y_LABEL_AREA + 2 * PANEL_MARGIN);
    (plot_w, legend::height(e, plot_w))
}

pub(super) fn draw_percentiles<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &LinePanel,
    own_legend: bool,
) -> DrawResult<DB> {
    let cats = p.categories.clone().unwrap_or_default();
    let (lo, hi) = bounds(p.lines.iter().flat_map(|l| l.points.iter().map(|pt| pt.1)));
    let entries = if own_legend {
        entries(&p.lines)
    } else {
        Vec::new()
    };
    let (plot_w, legend_px) = legend_room(area, &entries);
    let mut chart = panel_builder(area, &p.title, legend_px)?
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(-0.3f64..(cats.len() as f64 - 0.7), lo.ln()..hi.ln())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(cats.len() + 1)
        .x_label_formatter(&|x| category_label(&cats, *x))
        .x_desc(&p.x_label)
        .y_desc(&p.y_label)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()?;
    let plot = plot_box(area, &chart);
    let most = (f64::from(plot.3 - plot.1) / Y_TICK_PX) as usize;
    let ticks = log_ticks(lo, hi, most, &duration_tick);
    let base = area.get_base_pixel();
    draw_ticks(area, &ticks, Side::Left, plot, &|at| {
        chart.backend_coord(&(0.0, at)).1 - base.1
    })?;
    draw_lines(&mut chart, &p.lines, &|(x, y)| (x, y.ln()))?;
    legend::draw(area, &entries, (plot.0, plot.1 - legend_px as i32), plot_w)
}

pub(super) fn draw_cdf<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &LinePanel,
    own_legend: bool,
) -> DrawResult<DB> {
    let (lo, hi) = bounds(p.lines.iter().flat_map(|l| l.points.iter().map(|pt| pt.0)));
    let entries = if own_legend {
        entries(&p.lines)
    } else {
        Vec::new()
    };
    let (plot_w, legend_px) = legend_room(area, &entries);
    let mut chart = panel_builder(area, &p.title, legend_px)?
        .x_label_area_size(X_LABEL_AREA + 8)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(lo.ln()..hi.ln(), 0f64..1.0)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(((f64::from(area.dim_in_pixel().1) - 150.0) / Y_TICK_PX).clamp(2.0, 6.0) as usize)
        .y_label_formatter(&|y| number(*y))
        .x_desc(&p.x_label)
        .y_desc(&p.y_label)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()?;
    let plot = plot_box(area, &chart);
    let most = (f64::from(plot.2 - plot.0) / X_TICK_PX) as usize;
    let ticks = log_ticks(lo, hi, most, &duration_tick);
    let base = area.get_base_pixel();
    draw_ticks(area, &ticks, Side::Bottom, plot, &|at| {
        chart.backend_coord(&(at, 0.0)).0 - base.0
    })?;
    draw_lines(&mut chart, &p.lines, &|(x, y)| (x.ln(), y))?;
    legend::draw(area, &entries, (plot.0, plot.1 - legend_px as i32), plot_w)
}

/// The plot's (left, top, right, bottom) in `area`'s pixels.
fn plot_box<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, Shift>,
    chart: &ChartContext<DB, CT>,
) -> (i32, i32, i32, i32) {
    let base = area.get_base_pixel();
    let plot = chart.plotting_area();
    let (x, y) = plot.get_base_pixel();
    let (w, h) = plot.dim_in_pixel();
    let (left, top) = (x - base.0, y - base.1);
    (left, top, left + w as i32, top + h as i32)
}

/// Each line through its points placed on the axes by `at`; points off a log axis (zero)
/// are left out.
fn draw_lines<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    lines: &[Line],
    at: &dyn Fn((f64, f64)) -> (f64, f64),
) -> DrawResult<DB> {
    for line in lines {
        let color = rgb(line.color);
        let style = color.stroke_width(3);
        let points: Vec<(f64, f64)> = line
            .points
            .iter()
            .map(|pt| at(*pt))
            .filter(|pt| pt.0.is_finite() && pt.1.is_finite())
            .collect();
        if line.dashed {
            chart.draw_series(DashedLineSeries::new(points.clone(), 12, 8, style))?;
        } else {
            chart.draw_series(LineSeries::new(points.clone(), style))?;
        }
        if points.len() <= 12 {
            chart.draw_series(points.iter().map(|pt| Circle::new(*pt, 4, color.filled())))?;
        }
    }
    Ok(())
}
