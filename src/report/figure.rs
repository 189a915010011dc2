//! The figure model: what a chart shows (panels of bars or lines, their titles, axes and
//! labels) as plain data. Built by `figures`, drawn by `draw`.

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

/// Why a bar is not to be read like the others, gravest last. Each is drawn its own way
/// (faded, hollow, hatched, cross-hatched) and named in the figure's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Caveat {
    /// CV above 5%.
    Noisy,
    /// Cold, but whether the cache was evicted could not be measured.
    Unverified,
    /// The CI is still wider than the target after the most reps allowed.
    Capped,
    /// Cold, but the data stayed cached: it does not compare and never sets a scale.
    NotEvicted,
}

impl Caveat {
    /// What the key says of it.
    pub(crate) fn meaning(self) -> &'static str {
        match self {
            Caveat::Noisy => "noisy: CV > 5%",
            Caveat::Unverified => "unverified: cold, cache residency unknown",
            Caveat::Capped => "capped: CI wider than the target at max reps",
            Caveat::NotEvicted => "not evicted: cold but cached, does not compare (off scale)",
        }
    }
}

/// One bar: median with its 95% CI and what a reader should distrust about it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bar {
    pub value: f64,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    pub caveat: Option<Caveat>,
}

impl Bar {
    /// A bar without whiskers or caveat.
    pub(crate) fn plain(value: f64) -> Bar {
        Bar {
            value,
            lo: None,
            hi: None,
            caveat: None,
        }
    }

    /// Whether it may set its panel's scale: a bar that does not compare may not.
    pub(crate) fn scales(&self) -> bool {
        self.caveat != Some(Caveat::NotEvicted)
    }
}

/// How a bar panel's value axis runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    /// From 0, bars growing up.
    Linear,
    /// Ratios: log with 1.0 as the baseline (0.5× and 2× equally far from it, both always
    /// on the axis), bars growing up or down from 1; each side as long as its bars need.
    Ratio,
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
    /// A label per group along x; a "\n" breaks it into lines.
    pub groups: Vec<String>,
    pub scale: Scale,
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
    /// The caveats its bars carry, each once, mildest first: what its key explains.
    pub(crate) fn caveats(&self) -> Vec<Caveat> {
        let mut caveats: Vec<Caveat> = self
            .panels
            .iter()
            .filter_map(|p| match p {
                Panel::Bars(b) => Some(b),
                _ => None,
            })
            .flat_map(|b| b.series.iter().flat_map(|s| s.bars.iter().flatten()))
            .filter_map(|b| b.caveat)
            .collect();
        caveats.sort();
        caveats.dedup();
        caveats
    }

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
    fn a_figure_keys_each_caveat_once_mildest_first() {
        let bar = |caveat| {
            Some(Bar {
                caveat,
                ..Bar::plain(1.0)
            })
        };
        let panel = Panel::Bars(BarPanel {
            title: String::new(),
            y_label: String::new(),
            groups: vec!["g".into(); 4],
            scale: Scale::Ratio,
            series: vec![BarSeries {
                label: "bind".into(),
                color: Rgb(0, 0, 0),
                bars: vec![
                    bar(Some(Caveat::NotEvicted)),
                    bar(Some(Caveat::Noisy)),
                    bar(None),
                    bar(Some(Caveat::Noisy)),
                ],
            }],
            reference: Some(1.0),
        });
        let figure = Figure {
            name: String::new(),
            title: String::new(),
            caption: String::new(),
            panels: vec![panel, spans(2)],
        };
        assert_eq!(figure.caveats(), [Caveat::Noisy, Caveat::NotEvicted]);
        assert!(!Bar {
            caveat: Some(Caveat::NotEvicted),
            ..Bar::plain(6.4)
        }
        .scales());
        assert!(Bar {
            caveat: Some(Caveat::Capped),
            ..Bar::plain(2.5)
        }
        .scales());
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
