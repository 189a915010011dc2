//! Bar panels: groups along x, one bar per series in each, whiskers, value labels, an
//! optional reference line and the legend kept clear of the bars.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    category_label, draw_legend, format_value, rgb, DrawResult, FONT, PANEL_MARGIN,
    PANEL_TITLE_HEIGHT, X_LABEL_AREA,
};
use crate::report::figure::{Bar, BarPanel, BarSeries};

type BarChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn nice_max(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    v * 1.15
}

/// The share of a bar panel's plot height that its legend box (upper right) takes, kept free
/// of bars so that no bar or value label hides behind it.
fn legend_share<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: usize) -> f64 {
    const ENTRY_PX: f64 = 21.0;
    const FRAME_PX: f64 = 14.0;
    let chrome = PANEL_MARGIN * 2 + X_LABEL_AREA + PANEL_TITLE_HEIGHT;
    let (_, height) = area.dim_in_pixel();
    let plot = (height.saturating_sub(chrome) as f64).max(1.0);
    ((entries as f64 * ENTRY_PX + FRAME_PX) / plot).min(0.5)
}

pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &BarPanel,
) -> DrawResult<DB> {
    let groups = p.groups.len().max(1);
    let y_max = p
        .series
        .iter()
        .flat_map(|s| s.bars.iter().flatten())
        .map(Bar::top)
        .chain(p.reference)
        .fold(0.0f64, f64::max);
    let y_max = nice_max(y_max) / (1.0 - legend_share(area, p.series.len()));
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, 19).into_font().style(FontStyle::Bold))
        .margin(PANEL_MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..(groups as f64 - 0.5), 0f64..y_max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(groups + 1)
        .x_label_formatter(&|x| category_label(&p.groups, *x))
        .y_desc(&p.y_label)
        .y_label_formatter(&|y| format_value(*y))
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()?;
    let width = 0.8 / p.series.len().max(1) as f64;
    for (si, series) in p.series.iter().enumerate() {
        let x0 = |g: usize| g as f64 - 0.4 + si as f64 * width;
        draw_series(&mut chart, series, &x0, width)?;
    }
    if let Some(r) = p.reference {
        chart.draw_series(DashedLineSeries::new(
            vec![(-0.5, r), (groups as f64 - 0.5, r)],
            10,
            6,
            BLACK.stroke_width(2),
        ))?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 15)
}

/// One series' bars, whiskers and value labels; `x0` is where its bar in a group starts.
fn draw_series<DB: DrawingBackend>(
    chart: &mut BarChart<'_, DB>,
    series: &BarSeries,
    x0: &dyn Fn(usize) -> f64,
    width: f64,
) -> DrawResult<DB> {
    let color = rgb(series.color);
    let bars: Vec<(usize, Bar)> = series
        .bars
        .iter()
        .enumerate()
        .filter_map(|(g, b)| b.map(|b| (g, b)))
        .collect();
    chart
        .draw_series(bars.iter().map(|(g, b)| {
            Rectangle::new(
                [
                    (x0(*g) + width * 0.06, 0.0),
                    (x0(*g) + width * 0.94, b.value),
                ],
                color.filled(),
            )
        }))?
        .label(series.label.clone())
        .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 16, y + 7)], color.filled()));
    chart.draw_series(bars.iter().filter_map(|(g, b)| {
        let (lo, hi) = (b.lo?, b.hi?);
        let x = x0(*g) + width / 2.0;
        Some(ErrorBar::new_vertical(
            x,
            lo,
            b.value,
            hi,
            BLACK.stroke_width(2),
            10,
        ))
    }))?;
    chart.draw_series(bars.iter().map(|(g, b)| {
        Text::new(
            value_label(b),
            (x0(*g) + width / 2.0, b.top()),
            TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )
    }))?;
    Ok(())
}

/// A bar's value, with " *" when it is noisy.
fn value_label(b: &Bar) -> String {
    if b.noisy {
        format!("{} *", format_value(b.value))
    } else {
        format_value(b.value)
    }
}
