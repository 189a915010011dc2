//! Bar panels: groups along x with their labels on as many lines as they have, one bar per
//! series in each, whiskers, value labels beyond each bar's end (upright where they fit the
//! bar's width, turned where not, so none overlap), the legend above the plot, and an axis
//! from 0 or, for ratios, a log axis around 1.0 with bars growing up or down from it.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use super::axis::{self, draw_ticks, number, ratio_ticks, text_px, Side};
use super::legend::{self, Entry};
use super::marks::{draw_bar, Swatch};
use super::{format_value, panel_builder, rgb, DrawResult, FONT, PANEL_MARGIN, PANEL_TITLE_HEIGHT};
use crate::report::figure::{Bar, BarPanel, Scale};

const Y_LABEL_AREA: u32 = 80;
const VALUE_FONT: f64 = 13.0;
/// Bars narrower than this many pixels go without value labels.
const THINNEST_LABELLED: f64 = 9.0;
/// Pixels per tick label a log axis keeps free.
const TICK_SPACING_PX: f64 = 40.0;

/// Where things go in a panel, in pixels, worked out before plotters lays it out.
struct Layout {
    legend_px: u32,
    x_font: f64,
    x_lines: usize,
    plot_h: f64,
    bar_px: f64,
}

impl Layout {
    fn of(size: (u32, u32), p: &BarPanel, legend: &[Entry]) -> Layout {
        let (width, height) = (f64::from(size.0), f64::from(size.1));
        let plot_w = width - f64::from(Y_LABEL_AREA + 2 * PANEL_MARGIN);
        let legend_px = legend::height(legend, plot_w);
        let slot = plot_w / p.groups.len().max(1) as f64;
        let lines = p.groups.iter().flat_map(|g| g.split('\n'));
        let widest = lines.map(|l| text_px(l, 1.0)).fold(1.0, f64::max);
        let x_font = (slot * 0.94 / widest).clamp(9.0, 15.0).floor();
        let x_lines = p
            .groups
            .iter()
            .map(|g| g.split('\n').count())
            .max()
            .unwrap_or(1);
        let chrome = 2 * PANEL_MARGIN + PANEL_TITLE_HEIGHT + legend_px;
        let plot_h = (height - f64::from(chrome) - x_label_px(x_font, x_lines)).max(40.0);
        Layout {
            legend_px,
            x_font,
            x_lines,
            plot_h,
            bar_px: slot * 0.8 / p.series.len().max(1) as f64,
        }
    }
}

fn x_label_px(font: f64, lines: usize) -> f64 {
    lines as f64 * (font + 3.0) + 12.0
}

/// A value label: its text, and whether it is turned to fit over a narrow bar.
struct Label {
    text: String,
    turned: bool,
}

impl Label {
    fn of(b: &Bar, scale: Scale, bar_px: f64, off_scale: bool) -> Option<Label> {
        if bar_px < THINNEST_LABELLED {
            return None;
        }
        let mut text = format_value(b.value);
        if off_scale {
            text.push_str(if b.value >= 1.0 { " ↑" } else { " ↓" });
        } else if scale == Scale::Ratio {
            text.push('×');
        }
        let turned = text_px(&text, VALUE_FONT) > bar_px - 2.0;
        Some(Label { text, turned })
    }

    /// Pixels it takes beyond the bar's end.
    fn reach(&self) -> f64 {
        match self.turned {
            true => text_px(&self.text, VALUE_FONT) + 8.0,
            false => VALUE_FONT + 6.0,
        }
    }
}

/// The value axis: where values sit on it, and its range.
struct ValueAxis {
    scale: Scale,
    lo: f64,
    hi: f64,
}

impl ValueAxis {
    /// Room for every scaling bar's end and label; bars that do not compare are clipped.
    fn of(p: &BarPanel, room: f64) -> ValueAxis {
        let scaling = p
            .series
            .iter()
            .flat_map(|s| s.bars.iter().flatten())
            .filter(|b| b.scales());
        match p.scale {
            Scale::Linear => {
                let top = scaling
                    .map(|b| b.hi.unwrap_or(b.value).max(b.value))
                    .chain(p.reference)
                    .fold(0.0f64, f64::max);
                let top = if top > 0.0 && top.is_finite() {
                    top
                } else {
                    1.0
                };
                ValueAxis {
                    scale: p.scale,
                    lo: 0.0,
                    hi: top / (1.0 - room).max(0.3),
                }
            }
            Scale::Ratio => {
                let ends = scaling.flat_map(|b| [Some(b.value), b.lo, b.hi]).flatten();
                let (down, up) = axis::ratio_reach(ends, room);
                ValueAxis {
                    scale: p.scale,
                    lo: -down.ln(),
                    hi: up.ln(),
                }
            }
        }
    }

    fn at(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Linear => v,
            Scale::Ratio => v.max(1e-9).ln(),
        }
    }

    /// Where bars start.
    fn base(&self) -> f64 {
        match self.scale {
            Scale::Linear => 0.0,
            Scale::Ratio => 1.0,
        }
    }

    /// `v` held inside the range less `room` at either end, and whether it had to be.
    fn clip(&self, v: f64, room: f64) -> (f64, bool) {
        let span = self.hi - self.lo;
        let (lo, hi) = (self.lo + span * room, self.hi - span * room);
        let at = self.at(v);
        let held = at.clamp(lo.min(self.base()), hi);
        let value = match self.scale {
            Scale::Linear => held,
            Scale::Ratio => held.exp(),
        };
        (value, (held - at).abs() > 1e-9)
    }
}

/// The panel, with its own legend above it unless the figure has one for all.
pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &BarPanel,
    own_legend: bool,
) -> DrawResult<DB> {
    let groups = p.groups.len().max(1);
    let entries: Vec<Entry> = p
        .series
        .iter()
        .filter(|_| own_legend)
        .map(|s| Entry {
            label: s.label.clone(),
            swatch: Swatch::Bar(rgb(s.color), None),
        })
        .collect();
    let layout = Layout::of(area.dim_in_pixel(), p, &entries);
    let reach = p
        .series
        .iter()
        .flat_map(|s| s.bars.iter().flatten())
        .filter_map(|b| Label::of(b, p.scale, layout.bar_px, !b.scales()))
        .map(|l| l.reach())
        .fold(0.0f64, f64::max);
    let room = (reach / layout.plot_h).min(0.35);
    let value_axis = ValueAxis::of(p, room);
    let mut chart = panel_builder(area, &p.title, layout.legend_px)?
        .x_label_area_size(x_label_px(layout.x_font, layout.x_lines) as u32)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(-0.5f64..(groups as f64 - 0.5), value_axis.lo..value_axis.hi)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .x_labels(0)
        .y_desc(&p.y_label)
        .y_label_formatter(&|y| number(*y))
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16));
    if p.scale == Scale::Ratio {
        mesh.disable_y_mesh().y_labels(0);
    }
    mesh.draw()?;
    let base = area.get_base_pixel();
    let to_px = |x: f64, at: f64| {
        let (a, b) = chart.backend_coord(&(x, at));
        (a - base.0, b - base.1)
    };
    let px = |x: f64, v: f64| to_px(x, value_axis.at(v));
    let (left, top) = to_px(-0.5, value_axis.hi);
    let (right, bottom) = to_px(groups as f64 - 0.5, value_axis.lo);
    if p.scale == Scale::Ratio {
        let most = (layout.plot_h / TICK_SPACING_PX) as usize;
        let reach = ((-value_axis.lo).exp(), value_axis.hi.exp());
        let ticks = ratio_ticks(reach, most);
        let plot = (left, top, right, bottom);
        draw_ticks(area, &ticks, Side::Left, plot, &|at| to_px(0.0, at).1)?;
    }
    let width = 0.8 / p.series.len().max(1) as f64;
    for (si, series) in p.series.iter().enumerate() {
        for (g, bar) in series.bars.iter().enumerate() {
            let Some(bar) = bar else { continue };
            let x0 = g as f64 - 0.4 + si as f64 * width;
            let column = Column {
                x0: x0 + width * 0.06,
                x1: x0 + width * 0.94,
                color: rgb(series.color),
            };
            draw_one(area, &px, &value_axis, room, &column, bar, layout.bar_px)?;
        }
    }
    if let Some(r) = p.reference {
        let (a, b) = (px(-0.5, r), px(groups as f64 - 0.5, r));
        dashed(area, a, b, BLACK.stroke_width(2))?;
    }
    let font = layout.x_font;
    for (g, label) in p.groups.iter().enumerate() {
        let (x, _) = to_px(g as f64, value_axis.lo);
        let style =
            TextStyle::from((FONT, font).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
        for (i, line) in label.split('\n').enumerate() {
            let y = bottom + 8 + (i as f64 * (font + 3.0)) as i32;
            area.draw(&Text::new(line.to_string(), (x, y), style.clone()))?;
        }
    }
    let legend_top = top - layout.legend_px as i32;
    legend::draw(
        area,
        &entries,
        (left, legend_top),
        f64::from((right - left).max(1)),
    )
}

/// Where one bar goes along x, in group units, and its colour.
struct Column {
    x0: f64,
    x1: f64,
    color: RGBColor,
}

/// One bar from the axis' base, its whisker and its value label beyond its end; a bar that
/// does not compare is clipped where the scale ends and its label says so with an arrow.
fn draw_one<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    px: &dyn Fn(f64, f64) -> (i32, i32),
    value_axis: &ValueAxis,
    room: f64,
    c: &Column,
    b: &Bar,
    bar_px: f64,
) -> DrawResult<DB> {
    let base = value_axis.base();
    let (value, clipped) = value_axis.clip(b.value, room);
    draw_bar(area, c.color, b.caveat, px(c.x0, base), px(c.x1, value))?;
    let middle = (c.x0 + c.x1) / 2.0;
    let up = b.value >= base;
    let mut end = px(middle, value).1;
    if let (Some(lo), Some(hi)) = (b.lo, b.hi) {
        let (lo, _) = value_axis.clip(lo, room);
        let (hi, _) = value_axis.clip(hi, room);
        let (x, y_lo) = px(middle, lo);
        let y_hi = px(middle, hi).1;
        let cap = ((px(c.x1, lo).0 - px(c.x0, lo).0) / 4).clamp(1, 10);
        let (xa, xb) = (x - cap, x + cap);
        let whisker = BLACK.stroke_width(2);
        area.draw(&PathElement::new(vec![(x, y_lo), (x, y_hi)], whisker))?;
        for y in [y_lo, y_hi] {
            area.draw(&PathElement::new(vec![(xa, y), (xb, y)], whisker))?;
        }
        end = if up { end.min(y_hi) } else { end.max(y_lo) };
    }
    let Some(label) = Label::of(b, value_axis.scale, bar_px, clipped) else {
        return Ok(());
    };
    let x = px(middle, value).0;
    let (at, pos) = match (up, label.turned) {
        (true, false) => ((x, end - 3), Pos::new(HPos::Center, VPos::Bottom)),
        (false, false) => ((x, end + 3), Pos::new(HPos::Center, VPos::Top)),
        (true, true) => ((x, end - 4), Pos::new(HPos::Left, VPos::Center)),
        (false, true) => ((x, end + 4), Pos::new(HPos::Right, VPos::Center)),
    };
    let mut font = (FONT, VALUE_FONT).into_font();
    if label.turned {
        font = font.transform(FontTransform::Rotate270);
    }
    area.draw(&Text::new(label.text, at, TextStyle::from(font).pos(pos)))
}

/// A dashed line between two pixels of `area`.
fn dashed<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    from: (i32, i32),
    to: (i32, i32),
    style: ShapeStyle,
) -> DrawResult<DB> {
    const DASH: i32 = 10;
    const GAP: i32 = 6;
    let mut x = from.0;
    while x < to.0 {
        let end = (x + DASH).min(to.0);
        area.draw(&PathElement::new(vec![(x, from.1), (end, to.1)], style))?;
        x += DASH + GAP;
    }
    Ok(())
}
