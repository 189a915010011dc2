//! Drawing figures with plotters (the only module that uses it), each as PNG and SVG at
//! 1600 px wide, through one generic function per panel kind so both backends show the same
//! thing. The font is bundled (assets/fonts).

mod axis;
mod bars;
mod legend;
mod lines;
mod marks;
mod spans;
mod tiles;

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::figure::{grid, Figure, Panel, Rgb};
use crate::error::{Error, Result};

const WIDTH: u32 = 1600;
const HEIGHT: u32 = 900;
const FONT: &str = "sans-serif";
const TITLE_HEIGHT: u32 = 68;
const CAPTION_HEIGHT: u32 = 30;
/// How wide a figure-wide legend or key may run.
const LEGEND_WIDTH: f64 = (WIDTH - 2 * PANEL_MARGIN) as f64;
const PANEL_MARGIN: u32 = 12;
const X_LABEL_AREA: u32 = 36;
/// Height of a panel's title (19 px bold) with the space plotters leaves under it.
const PANEL_TITLE_HEIGHT: u32 = 30;
/// Each row of panels gets at least this many pixels: a figure with more than three rows
/// grows taller instead of squeezing its panels.
const PANEL_ROW_HEIGHT: u32 = (HEIGHT - TITLE_HEIGHT - CAPTION_HEIGHT) / 3;

const HOST_GREY: RGBColor = RGBColor(60, 60, 60);
const CAPTION_GREY: RGBColor = RGBColor(90, 90, 90);

static FONTS: Once = Once::new();

/// Register the bundled DejaVu Sans as "sans-serif" (criterion's plots use it too).
pub fn register_fonts() {
    FONTS.call_once(|| {
        let regular: &'static [u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
        let bold: &'static [u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, regular);
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, bold);
    });
}

/// The pixel height of a figure of `panels` panels: HEIGHT up to three rows, then one
/// PANEL_ROW_HEIGHT more per row.
pub fn figure_height(panels: usize) -> u32 {
    rows_height(grid(panels).0)
}

fn rows_height(rows: usize) -> u32 {
    HEIGHT.max(TITLE_HEIGHT + CAPTION_HEIGHT + rows as u32 * PANEL_ROW_HEIGHT)
}

/// A chart written to disk.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    pub name: String,
    pub title: String,
    pub png: PathBuf,
    pub svg: PathBuf,
}

type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn chart_error(e: impl std::fmt::Display) -> Error {
    Error::Report(format!("drawing a chart: {e}"))
}

/// Write `figure` into `dir` as `<name>.png` and `<name>.svg`.
pub(crate) fn render(figure: &Figure, dir: &Path) -> Result<Rendered> {
    register_fonts();
    let png = dir.join(format!("{}.png", figure.name));
    let svg = dir.join(format!("{}.svg", figure.name));
    let size = (WIDTH, rows_height(figure.grid().0));
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
    let (head, host) = figure.title_lines();
    title_area.draw(&centered(head, 8, bold(24)))?;
    title_area.draw(&centered(host, 40, plain(17, &HOST_GREY)))?;
    let shared = legend::shared(figure);
    let band = shared
        .as_ref()
        .map_or(0, |e| legend::height(e, LEGEND_WIDTH));
    let (band_area, rest) = rest.split_vertically(band);
    if let Some(entries) = &shared {
        legend::draw_centred(&band_area, entries, PANEL_MARGIN)?;
    }
    let key = legend::key(&figure.caveats());
    let key_height = legend::height(&key, LEGEND_WIDTH);
    let (_, height) = root.dim_in_pixel();
    let body_height = height - TITLE_HEIGHT - band - CAPTION_HEIGHT - key_height;
    let (body, bottom) = rest.split_vertically(body_height);
    let (key_area, caption_area) = bottom.split_vertically(key_height);
    legend::draw_centred(&key_area, &key, PANEL_MARGIN)?;
    caption_area.draw(&centered(&figure.caption, 4, plain(15, &CAPTION_GREY)))?;
    let areas = body.split_evenly(figure.grid());
    let own_legend = shared.is_none();
    for (panel, area) in figure.panels.iter().zip(areas.iter()) {
        match panel {
            Panel::Bars(p) => bars::draw(area, p, own_legend)?,
            Panel::Percentiles(p) => lines::draw_percentiles(area, p, own_legend)?,
            Panel::Cdf(p) => lines::draw_cdf(area, p, own_legend)?,
            Panel::Spans(p) => spans::draw(area, p)?,
            Panel::Grid(p) => tiles::draw(area, p)?,
        }
    }
    Ok(())
}

/// A panel's chart builder: its title drawn at the top of `area`, then `legend_px` kept
/// free between the title and the plot for a legend.
fn panel_builder<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    legend_px: u32,
) -> std::result::Result<ChartBuilder<'a, 'b, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, _) = area.dim_in_pixel();
    let style = bold(19).pos(Pos::new(HPos::Center, VPos::Top));
    area.draw(&Text::new(
        title.to_string(),
        (width as i32 / 2, PANEL_MARGIN as i32),
        style,
    ))?;
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(PANEL_MARGIN)
        .margin_top(PANEL_MARGIN + PANEL_TITLE_HEIGHT + legend_px);
    Ok(builder)
}

fn bold(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font().style(FontStyle::Bold))
}

fn plain(size: u32, color: &'static RGBColor) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).color(color)
}

/// A line of text centred on the figure's width, its top `y` pixels into its area.
fn centered<'a>(text: &str, y: i32, style: TextStyle<'a>) -> Text<'a, (i32, i32), String> {
    Text::new(
        text.to_string(),
        (WIDTH as i32 / 2, y),
        style.pos(Pos::new(HPos::Center, VPos::Top)),
    )
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// A bar's value: three figures from 10 up, two decimals from 0.1, two significant digits
/// below; zero is "0".
fn format_value(v: f64) -> String {
    match v.abs() {
        0.0 => "0".into(),
        a if a >= 100.0 => format!("{v:.0}"),
        a if a >= 10.0 => format!("{v:.1}"),
        a if a >= 0.1 => format!("{v:.2}"),
        a => {
            let decimals = (-a.log10()).floor() as usize + 2;
            format!("{v:.decimals$}")
        }
    }
}

/// The label of a category axis at `x`: the name of the category when `x` is one's index.
fn category_label(names: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() < 1e-6 && i >= 0.0 {
        names.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
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
