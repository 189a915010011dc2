//! Charts with plotters, each as PNG and SVG at 1600×900, drawn by one generic function per
//! panel kind so both backends show the same thing. The font is bundled (assets/fonts).

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::palette::{sort_targets, target_color};
use super::HostRun;
use crate::error::{Error, Result};
use crate::measure::Op;
use crate::metric::{Metric, Unit};
use crate::results::{CellKey, SummaryRow};
use crate::workload::kinds::train_epoch::AU_PASS;

pub const WIDTH: u32 = 1600;
pub const HEIGHT: u32 = 900;
const FONT: &str = "sans-serif";
const TITLE_HEIGHT: u32 = 68;
const CAPTION_HEIGHT: u32 = 30;
const PANEL_MARGIN: u32 = 12;
const X_LABEL_AREA: u32 = 36;
/// Height of a panel's title (19 px bold) with the space plotters leaves under it.
const PANEL_TITLE_HEIGHT: u32 = 30;
/// Each row of panels gets at least this many pixels: a figure with more than three rows
/// grows taller instead of squeezing its panels.
pub const PANEL_ROW_HEIGHT: u32 = (HEIGHT - TITLE_HEIGHT - CAPTION_HEIGHT) / 3;

static FONTS: Once = Once::new();

/// Register the bundled DejaVu Sans as "sans-serif" (criterion's plots use it too).
pub fn register_fonts() {
    FONTS.call_once(|| {
        let regular: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        let bold: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, regular);
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, bold);
    });
}

/// One bar: median with its 95% CI; noisy bars get a mark.
#[derive(Debug, Clone, Copy)]
pub struct Bar {
    pub value: f64,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    pub noisy: bool,
}

pub struct BarSeries {
    pub label: String,
    pub color: RGBColor,
    /// One entry per group; None where the series has no value.
    pub bars: Vec<Option<Bar>>,
}

pub struct BarPanel {
    pub title: String,
    pub y_label: String,
    pub groups: Vec<String>,
    pub series: Vec<BarSeries>,
    pub reference: Option<f64>,
}

pub struct Line {
    pub label: String,
    pub color: RGBColor,
    pub dashed: bool,
    pub points: Vec<(f64, f64)>,
}

/// Lines over categories (percentiles) with a log y axis, or a CDF with a log x axis.
pub struct LinePanel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub categories: Option<Vec<String>>,
    pub lines: Vec<Line>,
}

pub enum Panel {
    Bars(BarPanel),
    Percentiles(LinePanel),
    Cdf(LinePanel),
}

pub struct Figure {
    pub name: String,
    pub title: String,
    pub caption: String,
    pub panels: Vec<Panel>,
}

/// A chart written to disk.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub name: String,
    pub title: String,
    pub caption: String,
    pub png: PathBuf,
    pub svg: PathBuf,
}

type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn chart_error(e: impl std::fmt::Display) -> Error {
    Error::Report(format!("drawing a chart: {e}"))
}

pub fn render(figure: &Figure, dir: &Path) -> Result<Rendered> {
    register_fonts();
    let png = dir.join(format!("{}.png", figure.name));
    let svg = dir.join(format!("{}.svg", figure.name));
    let size = (WIDTH, figure_height(figure.panels.len()));
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        draw_figure(&root, figure).map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    {
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        draw_figure(&root, figure).map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(Rendered {
        name: figure.name.clone(),
        title: figure.title.clone(),
        caption: figure.caption.clone(),
        png,
        svg,
    })
}

fn draw_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    figure: &Figure,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (title_area, rest) = root.split_vertically(TITLE_HEIGHT);
    // "What — on which host": the what in bold, the host and engine on a second line.
    let (head, host) = figure
        .title
        .split_once(" — ")
        .unwrap_or((figure.title.as_str(), ""));
    title_area.draw(&Text::new(
        head.to_string(),
        (WIDTH as i32 / 2, 8),
        TextStyle::from((FONT, 24).into_font().style(FontStyle::Bold))
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    title_area.draw(&Text::new(
        host.to_string(),
        (WIDTH as i32 / 2, 40),
        TextStyle::from((FONT, 17).into_font())
            .color(&RGBColor(60, 60, 60))
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let (_, height) = root.dim_in_pixel();
    let (body, caption_area) = rest.split_vertically(height - TITLE_HEIGHT - CAPTION_HEIGHT);
    caption_area.draw(&Text::new(
        figure.caption.clone(),
        (WIDTH as i32 / 2, 4),
        TextStyle::from((FONT, 15).into_font())
            .color(&RGBColor(90, 90, 90))
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let (rows, cols) = grid(figure.panels.len());
    let areas = body.split_evenly((rows, cols));
    for (panel, area) in figure.panels.iter().zip(areas.iter()) {
        match panel {
            Panel::Bars(p) => draw_bars(area, p)?,
            Panel::Percentiles(p) => draw_percentiles(area, p)?,
            Panel::Cdf(p) => draw_cdf(area, p)?,
        }
    }
    Ok(())
}

/// Rows and columns of panels for a figure of `n` panels.
fn grid(n: usize) -> (usize, usize) {
    let n = n.max(1);
    let cols = match n {
        1 => 1,
        2..=4 => 2,
        _ => 3,
    };
    (n.div_ceil(cols), cols)
}

/// The pixel height of a figure of `panels` panels: HEIGHT up to three rows, then one
/// PANEL_ROW_HEIGHT more per row.
pub fn figure_height(panels: usize) -> u32 {
    let (rows, _) = grid(panels);
    HEIGHT.max(TITLE_HEIGHT + CAPTION_HEIGHT + rows as u32 * PANEL_ROW_HEIGHT)
}

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

fn format_value(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn draw_bars<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &BarPanel) -> DrawResult<DB> {
    let groups = p.groups.len().max(1);
    let y_max = p
        .series
        .iter()
        .flat_map(|s| s.bars.iter().flatten())
        .map(|b| b.hi.unwrap_or(b.value).max(b.value))
        .chain(p.reference)
        .fold(0.0f64, f64::max);
    let y_max = nice_max(y_max) / (1.0 - legend_share(area, p.series.len()));
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, 19).into_font().style(FontStyle::Bold))
        .margin(PANEL_MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(80)
        .build_cartesian_2d(-0.5f64..(groups as f64 - 0.5), 0f64..y_max)?;
    let names = p.groups.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(groups + 1)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc(&p.y_label)
        .y_label_formatter(&|y| format_value(*y))
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()?;
    let n = p.series.len().max(1) as f64;
    let width = 0.8 / n;
    for (si, series) in p.series.iter().enumerate() {
        let color = series.color;
        let bars: Vec<(usize, Bar)> = series
            .bars
            .iter()
            .enumerate()
            .filter_map(|(g, b)| b.map(|b| (g, b)))
            .collect();
        let x0 = |g: usize| g as f64 - 0.4 + si as f64 * width;
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
            let x = x0(*g) + width / 2.0;
            let top = b.hi.unwrap_or(b.value).max(b.value);
            let label = if b.noisy {
                format!("{} *", format_value(b.value))
            } else {
                format_value(b.value)
            };
            Text::new(
                label,
                (x, top),
                TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom)),
            )
        }))?;
    }
    if let Some(r) = p.reference {
        chart.draw_series(DashedLineSeries::new(
            vec![(-0.5, r), (groups as f64 - 0.5, r)],
            10,
            6,
            BLACK.stroke_width(2),
        ))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 15))
        .draw()?;
    Ok(())
}

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

fn draw_percentiles<DB: DrawingBackend>(
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
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                cats.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_desc(&p.x_label)
        .y_desc(&p.y_label)
        .y_label_formatter(&|y| format_value(*y))
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .draw()?;
    draw_lines(&mut chart, &p.lines)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 15))
        .draw()?;
    Ok(())
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
        let color = line.color;
        let style = color.stroke_width(3);
        let dashed = line.dashed;
        let anno = if dashed {
            chart.draw_series(DashedLineSeries::new(line.points.clone(), 12, 8, style))?
        } else {
            chart.draw_series(LineSeries::new(line.points.clone(), style))?
        };
        anno.label(line.label.clone()).legend(move |(x, y)| {
            if dashed {
                PathElement::new(vec![(x, y), (x + 8, y)], color.stroke_width(3))
            } else {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
            }
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

fn draw_cdf<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &LinePanel) -> DrawResult<DB> {
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
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, 14))
        .draw()?;
    Ok(())
}

// ---- building figures from result folders ----

fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn ordered<T: Clone + PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn targets_of<'a>(rows: impl Iterator<Item = &'a SummaryRow>) -> Vec<String> {
    let mut t = ordered(rows.map(|r| r.target.clone()));
    sort_targets(&mut t);
    t
}

fn unit(metric: Metric) -> &'static str {
    metric.unit().label()
}

/// Whether a metric's bars show ops/s rather than MiB/s.
fn counts_ops(metric: Metric) -> bool {
    metric.unit() != Unit::MibPerSec
}

fn bar_of(s: &SummaryRow, ops: bool) -> Option<Bar> {
    if s.reps == 0 {
        return None;
    }
    let (value, lo, hi) = if ops {
        (s.median_ops_s, s.ci_low_ops_s, s.ci_high_ops_s)
    } else {
        (s.median_mib_s, s.ci_low_mib_s, s.ci_high_mib_s)
    };
    Some(Bar {
        value,
        lo: Some(lo),
        hi: Some(hi),
        noisy: s.noisy,
    })
}

fn host_header(run: &HostRun) -> String {
    let engine = run
        .env
        .engine
        .as_ref()
        .map(|e| {
            format!(
                "{} {} ({} storage driver)",
                e.flavour, e.server_version, e.storage_driver
            )
        })
        .unwrap_or_else(|| "no container engine".into());
    format!("{} — {}", run.label(), engine)
}

const NOISY_NOTE: &str =
    "bars: median of reps, whiskers: bootstrap 95% CI of the median; * noisy (CV > 5%)";

/// One metric's bars: cache phases as groups, one bar per target, each from `bar`.
fn phase_panel(
    rows: &[&SummaryRow],
    title: String,
    y_label: &str,
    bar: &dyn Fn(&SummaryRow) -> Option<Bar>,
    reference: Option<f64>,
) -> Panel {
    let phases = ordered(rows.iter().map(|r| r.phase.clone()));
    let series = targets_of(rows.iter().copied())
        .into_iter()
        .map(|t| BarSeries {
            color: target_color(&t),
            bars: phases
                .iter()
                .map(|ph| {
                    rows.iter()
                        .find(|r| r.target == t && &r.phase == ph)
                        .and_then(|r| bar(r))
                })
                .collect(),
            label: t,
        })
        .collect();
    Panel::Bars(BarPanel {
        title,
        y_label: y_label.into(),
        groups: phases.iter().map(|p| format!("{p} cache")).collect(),
        series,
        reference,
    })
}

/// Throughput of every workload metric: one panel each, phases as groups, targets as bars.
fn throughput(run: &HostRun) -> Figure {
    let rows = &run.analysis.summary;
    let metrics = ordered(rows.iter().map(|r| (r.workload.clone(), r.metric)));
    let panels = metrics
        .iter()
        .map(|(w, m)| {
            let cell_rows: Vec<&SummaryRow> = rows
                .iter()
                .filter(|r| &r.workload == w && &r.metric == m)
                .collect();
            phase_panel(
                &cell_rows,
                format!("{w} — {m} ({})", unit(*m)),
                unit(*m),
                &|r| bar_of(r, counts_ops(*m)),
                None,
            )
        })
        .collect();
    Figure {
        name: format!("{}-throughput", slug(&run.env.host.hostname)),
        title: format!("Throughput by workload and target — {}", host_header(run)),
        caption: NOISY_NOTE.into(),
        panels,
    }
}

/// The headline: each container target's median as a multiple of native, per cell.
fn ratio(run: &HostRun) -> Option<Figure> {
    let rows: Vec<&SummaryRow> = run
        .analysis
        .summary
        .iter()
        .filter(|r| r.target != "native" && r.ratio_to_native.is_some())
        .collect();
    if rows.is_empty() {
        return None;
    }
    let groups = ordered(
        rows.iter()
            .map(|r| (r.workload.clone(), r.metric, r.phase.clone())),
    );
    let series = targets_of(rows.iter().copied())
        .into_iter()
        .map(|t| BarSeries {
            color: target_color(&t),
            bars: groups
                .iter()
                .map(|(w, m, p)| {
                    rows.iter()
                        .find(|r| {
                            r.target == t && &r.workload == w && &r.metric == m && &r.phase == p
                        })
                        .and_then(|r| ratio_bar(r))
                })
                .collect(),
            label: t,
        })
        .collect();
    Some(Figure {
        name: format!("{}-ratio", slug(&run.env.host.hostname)),
        title: format!("Container storage vs native (1.0 = as fast as the bare host) — {}", host_header(run)),
        caption: "bars: ratio of medians (target / native); whiskers: bootstrap 95% CI of the ratio; * noisy (CV > 5%)".into(),
        panels: vec![Panel::Bars(BarPanel {
            title: "throughput relative to native (higher is better)".into(),
            y_label: "× native".into(),
            groups: groups.iter().map(|(w, m, p)| format!("{w} {m} {p}")).collect(),
            series,
            reference: Some(1.0),
        })],
    })
}

const PERCENTILES: [(f64, &str); 4] = [(0.5, "p50"), (0.9, "p90"), (0.99, "p99"), (0.999, "p99.9")];

fn latency_ops(metric: Metric) -> Vec<Op> {
    match metric {
        Metric::Save => vec![Op::Write, Op::Fsync],
        // Its ops are the save's, shown there already.
        Metric::WriteFsync | Metric::Write => Vec::new(),
        other => vec![other.main_op()],
    }
}

/// Latency percentiles of the main op types, per cell, from the merged histograms.
fn latency(run: &HostRun) -> Option<Figure> {
    let rows = &run.analysis.summary;
    let mut panels = Vec::new();
    let keys = ordered(
        rows.iter()
            .map(|r| (r.workload.clone(), r.metric, r.phase.clone())),
    );
    for (w, m, ph) in keys {
        for op in latency_ops(m) {
            let targets = targets_of(
                rows.iter()
                    .filter(|r| r.workload == w && r.metric == m && r.phase == ph),
            );
            let lines: Vec<Line> = targets
                .iter()
                .filter_map(|t| {
                    let key = CellKey {
                        workload: w.clone(),
                        target: t.clone(),
                        phase: ph.clone(),
                    };
                    let h = run.results.histograms.get(&key)?.get(op)?;
                    Some(Line {
                        label: t.clone(),
                        color: target_color(t),
                        dashed: false,
                        points: PERCENTILES
                            .iter()
                            .enumerate()
                            .map(|(i, (q, _))| (i as f64, h.value_at_quantile(*q) as f64 / 1000.0))
                            .collect(),
                    })
                })
                .collect();
            if !lines.is_empty() {
                panels.push(Panel::Percentiles(LinePanel {
                    title: format!("{w} {ph} — {} latency", op.as_str()),
                    x_label: "percentile".into(),
                    y_label: "µs (log)".into(),
                    categories: Some(PERCENTILES.iter().map(|p| p.1.to_string()).collect()),
                    lines,
                }));
            }
        }
    }
    (!panels.is_empty()).then(|| Figure {
        name: format!("{}-latency", slug(&run.env.host.hostname)),
        title: format!("Per-operation latency percentiles — {}", host_header(run)),
        caption: "HdrHistogram of every op, merged over measured reps; lower is better".into(),
        panels: panels.into_iter().take(9).collect(),
    })
}

/// small-files: files per second per target and phase.
fn small_files(run: &HostRun) -> Option<Figure> {
    let rows: Vec<&SummaryRow> = run
        .analysis
        .summary
        .iter()
        .filter(|r| r.kind == "small-files")
        .collect();
    if rows.is_empty() {
        return None;
    }
    let workloads = ordered(rows.iter().map(|r| r.workload.clone()));
    let panels = workloads
        .iter()
        .map(|w| {
            let wr: Vec<&SummaryRow> = rows.iter().copied().filter(|r| &r.workload == w).collect();
            phase_panel(
                &wr,
                format!("{w} — files per second (stat + open + read + close)"),
                "files/s",
                &|r| bar_of(r, true),
                None,
            )
        })
        .collect();
    Some(Figure {
        name: format!("{}-small-files", slug(&run.env.host.hostname)),
        title: format!("Small-file scan rate — {}", host_header(run)),
        caption: NOISY_NOTE.into(),
        panels,
    })
}

/// checkpoint: seconds per checkpoint spent writing, in fsync and restoring, side by side.
fn checkpoint(run: &HostRun) -> Option<Figure> {
    let rows: Vec<&SummaryRow> = run
        .analysis
        .summary
        .iter()
        .filter(|r| r.kind == "checkpoint" && r.metric == Metric::Save)
        .collect();
    if rows.is_empty() {
        return None;
    }
    let keys = ordered(rows.iter().map(|r| (r.workload.clone(), r.phase.clone())));
    let parts = [
        (Op::Write, "write"),
        (Op::Fsync, "fsync"),
        (Op::Rename, "rename"),
        (Op::FsyncDir, "fsync-dir"),
        (Op::Restore, "restore"),
    ];
    let panels = keys
        .iter()
        .map(|(w, ph)| {
            let targets = targets_of(
                rows.iter()
                    .copied()
                    .filter(|r| &r.workload == w && &r.phase == ph),
            );
            let series = targets
                .into_iter()
                .map(|t| {
                    let reps = rows
                        .iter()
                        .find(|r| r.target == t && &r.workload == w && &r.phase == ph)
                        .map(|r| r.reps)
                        .unwrap_or(0)
                        .max(1);
                    let key = CellKey {
                        workload: w.clone(),
                        target: t.clone(),
                        phase: ph.clone(),
                    };
                    let hist = run.results.histograms.get(&key);
                    let bars = parts
                        .iter()
                        .map(|(op, _)| {
                            let h = hist?.get(*op)?;
                            let total_s = h.mean() * h.len() as f64 / 1e9;
                            Some(Bar {
                                value: total_s / reps as f64,
                                lo: None,
                                hi: None,
                                noisy: false,
                            })
                        })
                        .collect();
                    BarSeries {
                        color: target_color(&t),
                        bars,
                        label: t,
                    }
                })
                .collect();
            Panel::Bars(BarPanel {
                title: format!("{w} ({ph} restore) — seconds per checkpoint"),
                y_label: "seconds (mean per checkpoint)".into(),
                groups: parts.iter().map(|p| p.1.to_string()).collect(),
                series,
                reference: None,
            })
        })
        .collect();
    Some(Figure {
        name: format!("{}-checkpoint", slug(&run.env.host.hostname)),
        title: format!(
            "Checkpoint write, fsync, rename and restore time — {}",
            host_header(run)
        ),
        caption:
            "time summed over the ops of one checkpoint (from the op histograms), lower is better"
                .into(),
        panels,
    })
}

fn au_bar(r: &SummaryRow) -> Option<Bar> {
    Some(Bar {
        value: r.au? * 100.0,
        lo: r.au_ci_low.map(|v| v * 100.0),
        hi: r.au_ci_high.map(|v| v * 100.0),
        noisy: false,
    })
}

const AU_CAPTION: &str = "AU = emulated compute time / step time; bars: median over reps, whiskers: bootstrap 95% CI; line: the MLPerf Storage pass mark (90%)";

/// train-epoch: accelerator utilisation per target, phases as groups, with the 90% line.
fn au(run: &HostRun) -> Option<Figure> {
    let rows: Vec<&SummaryRow> = run
        .analysis
        .summary
        .iter()
        .filter(|r| r.au.is_some())
        .collect();
    if rows.is_empty() {
        return None;
    }
    let panels = ordered(rows.iter().map(|r| r.workload.clone()))
        .into_iter()
        .map(|w| {
            let wr: Vec<&SummaryRow> = rows.iter().copied().filter(|r| r.workload == w).collect();
            phase_panel(
                &wr,
                format!("{w} — accelerator utilisation (higher is better)"),
                "AU %",
                &au_bar,
                Some(AU_PASS * 100.0),
            )
        })
        .collect();
    Some(Figure {
        name: format!("{}-au", slug(&run.env.host.hostname)),
        title: format!(
            "Would the accelerator starve? AU% per target — {}",
            host_header(run)
        ),
        caption: AU_CAPTION.into(),
        panels,
    })
}

/// train-epoch: how long each training step waited for its batch, percentiles and CDF.
fn data_wait(run: &HostRun) -> Option<Figure> {
    let mut panels = Vec::new();
    let cells = ordered(
        run.results
            .histograms
            .iter()
            .filter(|(_, h)| h.get(Op::Wait).is_some())
            .map(|(k, _)| (k.workload.clone(), k.phase.clone())),
    );
    for (w, ph) in cells {
        let mut targets = ordered(
            run.results
                .histograms
                .keys()
                .filter(|k| k.workload == w && k.phase == ph)
                .map(|k| k.target.clone()),
        );
        sort_targets(&mut targets);
        let hist = |t: &String| {
            run.results
                .histograms
                .get(&CellKey {
                    workload: w.clone(),
                    target: t.clone(),
                    phase: ph.clone(),
                })
                .and_then(|h| h.get(Op::Wait))
        };
        let line = |t: &String, points: Vec<(f64, f64)>| Line {
            label: t.clone(),
            color: target_color(t),
            dashed: false,
            points,
        };
        let percentiles = targets
            .iter()
            .filter_map(|t| {
                let h = hist(t)?;
                Some(line(
                    t,
                    PERCENTILES
                        .iter()
                        .enumerate()
                        .map(|(i, (q, _))| (i as f64, h.value_at_quantile(*q) as f64 / 1000.0))
                        .collect(),
                ))
            })
            .collect();
        let cdf = targets
            .iter()
            .filter_map(|t| {
                let h = hist(t)?;
                Some(line(
                    t,
                    h.iter_quantiles(2)
                        .map(|v| {
                            (
                                v.value_iterated_to() as f64 / 1000.0,
                                v.quantile_iterated_to(),
                            )
                        })
                        .collect(),
                ))
            })
            .collect();
        panels.push(Panel::Percentiles(LinePanel {
            title: format!("{w} {ph} — data wait per step"),
            x_label: "percentile".into(),
            y_label: "µs (log)".into(),
            categories: Some(PERCENTILES.iter().map(|p| p.1.to_string()).collect()),
            lines: percentiles,
        }));
        panels.push(Panel::Cdf(LinePanel {
            title: format!("{w} {ph} — data wait CDF"),
            x_label: "µs (log)".into(),
            y_label: "fraction of steps".into(),
            categories: None,
            lines: cdf,
        }));
    }
    (!panels.is_empty()).then(|| Figure {
        name: format!("{}-data-wait", slug(&run.env.host.hostname)),
        title: format!("Data wait per training step — {}", host_header(run)),
        caption: "time the trainer waited for its next batch (0 when the prefetch queue kept up); lower is better".into(),
        panels,
    })
}

/// The ratio to native of a row, with its CI, as a bar.
fn ratio_bar(r: &SummaryRow) -> Option<Bar> {
    Some(Bar {
        value: r.ratio_to_native?,
        lo: r.ratio_ci_low,
        hi: r.ratio_ci_high,
        noisy: r.noisy,
    })
}

/// Across hosts: one panel per cell (workload, metric, phase) that `bar` draws, hosts as
/// groups, targets as bars.
fn host_panels(
    runs: &[HostRun],
    bar: &dyn Fn(&SummaryRow) -> Option<Bar>,
    title: &dyn Fn(&str, &str, &str) -> String,
    y_label: &str,
    reference: Option<f64>,
) -> Vec<Panel> {
    let all: Vec<&SummaryRow> = runs
        .iter()
        .flat_map(|r| r.analysis.summary.iter())
        .filter(|r| bar(r).is_some())
        .collect();
    let keys = ordered(
        all.iter()
            .map(|r| (r.workload.clone(), r.metric, r.phase.clone())),
    );
    let labels: Vec<String> = runs.iter().map(HostRun::label).collect();
    let same_cell = |r: &SummaryRow, (w, m, ph): &(String, Metric, String)| {
        &r.workload == w && &r.metric == m && &r.phase == ph
    };
    keys.iter()
        .take(9)
        .map(|key| {
            let targets = targets_of(all.iter().copied().filter(|r| same_cell(r, key)));
            let series = targets
                .into_iter()
                .map(|t| BarSeries {
                    color: target_color(&t),
                    bars: runs
                        .iter()
                        .map(|run| {
                            run.analysis
                                .summary
                                .iter()
                                .find(|r| r.target == t && same_cell(r, key))
                                .and_then(bar)
                        })
                        .collect(),
                    label: t,
                })
                .collect();
            Panel::Bars(BarPanel {
                title: title(&key.0, key.1.name(), &key.2),
                y_label: y_label.into(),
                groups: labels.clone(),
                series,
                reference,
            })
        })
        .collect()
}

/// Across hosts: AU per train-epoch cell.
fn hosts_au(runs: &[HostRun]) -> Option<Figure> {
    let panels = host_panels(
        runs,
        &au_bar,
        &|w, _, ph| format!("{w}, {ph} cache — AU %"),
        "AU %",
        Some(AU_PASS * 100.0),
    );
    (!panels.is_empty()).then(|| Figure {
        name: "hosts-au".into(),
        title: "Accelerator utilisation, host by host".into(),
        caption: AU_CAPTION.into(),
        panels,
    })
}

/// Across hosts: each container target's ratio to its own host's native, per cell.
fn hosts_ratio(runs: &[HostRun]) -> Option<Figure> {
    let panels = host_panels(
        runs,
        &|r| ratio_bar(r).filter(|_| r.target != "native"),
        &|w, m, ph| format!("{w} {m}, {ph} cache — × native"),
        "× native",
        Some(1.0),
    );
    (!panels.is_empty()).then(|| Figure {
        name: "hosts-ratio".into(),
        title: "Container storage vs native, host by host".into(),
        caption: "each host compared with its own native baseline; whiskers: bootstrap 95% CI of the ratio; * noisy".into(),
        panels,
    })
}

/// Across hosts: latency CDFs of each workload's main op, one line per host and target.
fn hosts_cdf(runs: &[HostRun]) -> Option<Figure> {
    let mut keys: Vec<(String, String, Op)> = Vec::new();
    for run in runs {
        for r in &run.analysis.summary {
            let k = (r.workload.clone(), r.phase.clone(), r.metric.main_op());
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let panels: Vec<Panel> = keys
        .iter()
        .take(9)
        .filter_map(|(w, ph, op)| {
            let mut lines = Vec::new();
            for (hi, run) in runs.iter().enumerate() {
                let mut targets = ordered(
                    run.results
                        .histograms
                        .keys()
                        .filter(|k| &k.workload == w && &k.phase == ph)
                        .map(|k| k.target.clone()),
                );
                sort_targets(&mut targets);
                for t in targets {
                    let key = CellKey {
                        workload: w.clone(),
                        target: t.clone(),
                        phase: ph.clone(),
                    };
                    let Some(h) = run.results.histograms.get(&key).and_then(|h| h.get(*op)) else {
                        continue;
                    };
                    let points: Vec<(f64, f64)> = h
                        .iter_quantiles(2)
                        .map(|v| {
                            (
                                v.value_iterated_to() as f64 / 1000.0,
                                v.quantile_iterated_to(),
                            )
                        })
                        .collect();
                    lines.push(Line {
                        label: format!("{t} — {}", run.env.host.hostname),
                        color: target_color(&t),
                        dashed: hi % 2 == 1,
                        points,
                    });
                }
            }
            (!lines.is_empty()).then(|| {
                Panel::Cdf(LinePanel {
                    title: format!("{w} {ph} — {} latency CDF", op.as_str()),
                    x_label: "µs (log)".into(),
                    y_label: "fraction of ops".into(),
                    categories: None,
                    lines,
                })
            })
        })
        .collect();
    (!panels.is_empty()).then(|| Figure {
        name: "hosts-latency-cdf".into(),
        title: format!(
            "Latency CDFs across hosts: {}",
            runs.iter()
                .map(HostRun::label)
                .collect::<Vec<_>>()
                .join(" vs ")
        ),
        caption: "solid: first host, dashed: second host; colour: target".into(),
        panels,
    })
}

/// Every chart for these runs: per host, then across hosts when there are several.
pub fn render_all(runs: &[HostRun], dir: &Path) -> Result<Vec<Rendered>> {
    let mut figures = Vec::new();
    for run in runs {
        if run.analysis.summary.is_empty() {
            continue;
        }
        figures.extend(ratio(run));
        figures.push(throughput(run));
        figures.extend(small_files(run));
        figures.extend(checkpoint(run));
        figures.extend(au(run));
        figures.extend(data_wait(run));
        figures.extend(latency(run));
    }
    if runs.len() > 1 {
        figures.extend(hosts_ratio(runs));
        figures.extend(hosts_au(runs));
        figures.extend(hosts_cdf(runs));
    }
    figures.iter().map(|f| render(f, dir)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_grow_a_row_at_a_time_past_three_rows() {
        let row = PANEL_ROW_HEIGHT;
        let cases = [
            (0, HEIGHT),
            (1, HEIGHT),
            (4, HEIGHT),
            (9, HEIGHT),
            (10, TITLE_HEIGHT + CAPTION_HEIGHT + 4 * row),
            (12, TITLE_HEIGHT + CAPTION_HEIGHT + 4 * row),
            (13, TITLE_HEIGHT + CAPTION_HEIGHT + 5 * row),
        ];
        for (panels, want) in cases {
            assert_eq!(figure_height(panels), want, "{panels} panels");
        }
        assert!(figure_height(10) > HEIGHT);
    }
}
