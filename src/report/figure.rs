//! The figure model: what a chart shows (panels of bars or lines, their titles, axes and
//! labels) as plain data. Built by `figures`, drawn by `draw`.

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

/// One bar: median with its 95% CI; noisy bars get a mark.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bar {
    pub value: f64,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    pub noisy: bool,
}

impl Bar {
    /// A bar without whiskers or noise mark.
    pub(crate) fn plain(value: f64) -> Bar {
        Bar {
            value,
            lo: None,
            hi: None,
            noisy: false,
        }
    }

    /// The height its value label sits on: the whisker's top, or the bar's.
    pub(crate) fn top(&self) -> f64 {
        self.hi.unwrap_or(self.value).max(self.value)
    }
}

pub(crate) struct BarSeries {
    pub label: String,
    pub color: Rgb,
    /// One entry per group; None where the series has no value.
    pub bars: Vec<Option<Bar>>,
}

pub(crate) struct BarPanel {
    pub title: String,
    pub y_label: String,
    pub groups: Vec<String>,
    pub series: Vec<BarSeries>,
    /// A dashed horizontal line across the panel (1.0 for ratios, the AU pass mark).
    pub reference: Option<f64>,
}

pub(crate) struct Line {
    pub label: String,
    pub color: Rgb,
    pub dashed: bool,
    pub points: Vec<(f64, f64)>,
}

/// Lines over categories (percentiles) with a log y axis, or a CDF with a log x axis.
pub(crate) struct LinePanel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub categories: Option<Vec<String>>,
    pub lines: Vec<Line>,
}

pub(crate) enum Panel {
    Bars(BarPanel),
    Percentiles(LinePanel),
    Cdf(LinePanel),
}

pub(crate) struct Figure {
    /// The file stem of its PNG and SVG.
    pub name: String,
    /// "What — on which host": drawn as a bold head and a second line.
    pub title: String,
    pub caption: String,
    pub panels: Vec<Panel>,
}

impl Figure {
    /// The title's two lines: what the figure shows, and on which host.
    pub(crate) fn title_lines(&self) -> (&str, &str) {
        self.title
            .split_once(" — ")
            .unwrap_or((self.title.as_str(), ""))
    }

    /// Rows and columns of its panel grid.
    pub(crate) fn grid(&self) -> (usize, usize) {
        grid(self.panels.len())
    }
}

/// Rows and columns of panels for a figure of `n` panels.
pub(crate) fn grid(n: usize) -> (usize, usize) {
    let n = n.max(1);
    let cols = match n {
        1 => 1,
        2..=4 => 2,
        _ => 3,
    };
    (n.div_ceil(cols), cols)
}
