//! Drawing figures with plotters (the only module that uses it), each as PNG and SVG at
//! 1600 px wide, through one generic function per panel kind so both backends show the same
//! thing. The font is bundled (assets/fonts).

mod bars;
mod lines;
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
    let (_, height) = root.dim_in_pixel();
    let (body, caption_area) = rest.split_vertically(height - TITLE_HEIGHT - CAPTION_HEIGHT);
    caption_area.draw(&centered(&figure.caption, 4, plain(15, &CAPTION_GREY)))?;
    let areas = body.split_evenly(figure.grid());
    for (panel, area) in figure.panels.iter().zip(areas.iter()) {
        match panel {
            Panel::Bars(p) => bars::draw(area, p)?,
            Panel::Percentiles(p) => lines::draw_percentiles(area, p)?,
            Panel::Cdf(p) => lines::draw_cdf(area, p)?,
            Panel::Spans(p) => spans::draw(area, p)?,
            Panel::Grid(p) => tiles::draw(area, p)?,
        }
    }
    Ok(())
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

fn format_value(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
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

/// A panel's legend box: where it sits and how big its text is.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    font_size: u32,
) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font((FONT, font_size))
        .draw()
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
