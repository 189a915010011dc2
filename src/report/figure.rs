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

/// A line of text under a column; an alarm (a count above zero) is drawn in red.
pub(crate) struct Note {
    pub text: String,
    pub alarm: bool,
}

/// One place of a span panel: a bar to its low percentile, a whisker up to its high one.
pub(crate) struct SpanColumn {
    pub label: String,
    pub color: Rgb,
    /// The engine its place runs on ("host" for native); columns of one group are adjacent
    /// and named once above them.
    pub group: String,
    /// µs; None where nothing was measured.
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub notes: Vec<Note>,
}

/// Latency spans on a log axis, one column per place, grouped by engine, with notes.
pub(crate) struct SpanPanel {
    pub title: String,
    pub y_label: String,
    pub columns: Vec<SpanColumn>,
    /// What a column without a value shows.
    pub missing: String,
}

/// One cell of a grid: its colour and the short text written in it.
pub(crate) struct GridCell {
    pub color: Rgb,
    pub text: String,
}

/// A coloured grid: rows × columns of cells (None: nothing measured there), columns under
/// their group's name, and a legend of what each colour means.
pub(crate) struct GridPanel {
    pub title: String,
    pub rows: Vec<String>,
    pub columns: Vec<String>,
    /// The group each column belongs to (its engine); groups are named above their columns.
    pub groups: Vec<String>,
    pub cells: Vec<Vec<Option<GridCell>>>,
    pub legend: Vec<(String, Rgb)>,
}

pub(crate) enum Panel {
    Bars(BarPanel),
    Percentiles(LinePanel),
    Cdf(LinePanel),
    Spans(SpanPanel),
    Grid(GridPanel),
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

    /// Rows and columns of its panel grid: one panel a row when a span panel has more
    /// columns than half the figure's width can label.
    pub(crate) fn grid(&self) -> (usize, usize) {
        let crowded = self.panels.iter().any(|p| match p {
            Panel::Spans(s) => s.columns.len() > SHARED_ROW_COLUMNS,
            Panel::Grid(_) => true,
            _ => false,
        });
        match crowded {
            true => (self.panels.len().max(1), 1),
            false => grid(self.panels.len()),
        }
    }
}

/// Most columns a span panel labels legibly beside another panel.
const SHARED_ROW_COLUMNS: usize = 6;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(columns: usize) -> Panel {
        let column = || SpanColumn {
            label: "bind".into(),
            color: Rgb(0, 0, 0),
            group: "host".into(),
            low: Some(1.0),
            high: Some(2.0),
            notes: Vec::new(),
        };
        Panel::Spans(SpanPanel {
            title: String::new(),
            y_label: String::new(),
            columns: (0..columns).map(|_| column()).collect(),
            missing: String::new(),
        })
    }

    #[test]
    fn crowded_span_panels_take_a_row_each() {
        let cases = [
            (vec![6, 6, 6], (2, 2)),
            (vec![6, 7, 2], (3, 1)),
            (vec![12], (1, 1)),
        ];
        for (columns, want) in cases {
            let figure = Figure {
                name: String::new(),
                title: String::new(),
                caption: String::new(),
                panels: columns.iter().map(|&n| spans(n)).collect(),
            };
            assert_eq!(figure.grid(), want, "{columns:?}");
        }
    }
}
