//! Line panels: percentiles over categories with a log y axis, and CDFs with a log x axis.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    category_label, draw_legend, format_value, rgb, DrawResult, FONT, PANEL_MARGIN, X_LABEL_AREA,
};
use crate::report::figure::{Line, LinePanel};

fn log_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        (0.1, 10.0)
    } else {
        (lo / 1.6, hi * 1.6)
    }
}

pub(super) fn draw_percentiles<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &LinePanel,
) -> DrawResult<DB> {
    let cats = p.categories.clone().unwrap_or_default();
    let (lo, hi) = log_bounds(p.lines.iter().flat_map(|l| l.points.iter().map(|pt| pt.1)));
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, 19).into_font().style(FontStyle::Bold))
        .margin(PANEL_MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.3f64..(cats.len() as f64 - 0.7), (lo..hi).log_scale())?;
    chart
        .configure_mesh()
        .x_labels(cats.len() + 1)
        .x_label_formatter(&|x| category_label(&cats, *x))
        .x_desc(&p.x_label)
        .y_desc(&p.y_label)
        .y_label_formatter(&|y| format_value(*y))
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()?;
    draw_lines(&mut chart, &p.lines)?;
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 15)
}

pub(super) fn draw_cdf<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &LinePanel,
) -> DrawResult<DB> {
    let (lo, hi) = log_bounds(p.lines.iter().flat_map(|l| l.points.iter().map(|pt| pt.0)));
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, 19).into_font().style(FontStyle::Bold))
        .margin(PANEL_MARGIN)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((lo..hi).log_scale(), 0f64..1.0)?;
    chart
        .configure_mesh()
        .x_desc(&p.x_label)
        .y_desc(&p.y_label)
        .x_label_formatter(&|x| format_value(*x))
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()?;
    draw_lines(&mut chart, &p.lines)?;
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight, 14)
}

fn draw_lines<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<DB, Cartesian2d<X, Y>>,
    lines: &[Line],
) -> DrawResult<DB>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for line in lines {
        let color = rgb(line.color);
        let style = color.stroke_width(3);
        let dashed = line.dashed;
        let anno = if dashed {
            chart.draw_series(DashedLineSeries::new(line.points.clone(), 12, 8, style))?
        } else {
            chart.draw_series(LineSeries::new(line.points.clone(), style))?
        };
        let mark = if dashed { 8 } else { 20 };
        anno.label(line.label.clone()).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + mark, y)], color.stroke_width(3))
        });
        if line.points.len() <= 12 {
            chart.draw_series(
                line.points
                    .iter()
                    .map(|pt| Circle::new(*pt, 4, color.filled())),
            )?;
        }
    }
    Ok(())
}
