//! Value axes drawn by hand where plotters' own would crowd: log axes with labelled ticks at
//! 1-2-5 steps (or decades) and unlabelled minor ones, the ratio axis around 1.0, and
//! the text widths every layout here measures with.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{DrawResult, FONT};

/// A tick: where it sits in axis units (the value's ln on a log axis) and, for a major one,
/// its label.
pub(super) struct Tick {
    pub at: f64,
    pub label: Option<String>,
}

/// The size a 15 px label is drawn at (plotters scales fonts by about 0.81).
const LABEL_SVG_PX: f64 = 12.1;

/// Which side of the plot a tick's label goes.
#[derive(Clone, Copy)]
pub(super) enum Side {
    Left,
    Bottom,
}

/// How wide `text` is at `size` px in DejaVu Sans, rounded up a little.
pub(super) fn text_px(text: &str, size: f64) -> f64 {
    text.chars().map(char_em).sum::<f64>() * size
}

fn char_em(c: char) -> f64 {
    match c {
        'i' | 'j' | 'l' | '\'' | '|' | '!' => 0.28,
        '.' | ',' | ':' | ';' | ' ' | '/' => 0.34,
        'f' | 't' | '-' | '(' | ')' | '[' | ']' | 'I' => 0.4,
        'r' => 0.42,
        '*' => 0.5,
        'm' | 'M' | '%' | 'W' => 1.0,
        'w' => 0.82,
        '0'..='9' | 'µ' => 0.64,
        'a'..='z' | '+' | '=' | '<' | '>' | '_' | '–' => 0.62,
        '×' | '↑' | '↓' | '—' => 0.84,
        _ => 0.74,
    }
}

/// 1, 2 and 5 times the powers of ten from 10^`from` to 10^`to`.
fn steps_125(from: i32, to: i32) -> impl Iterator<Item = f64> {
    (from..=to).flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
}

/// The range of a log axis around `lo`..`hi`, widened to the 1-2-5 steps just outside, so
/// that at least two ticks are labelled.
pub(super) fn log_range(lo: f64, hi: f64) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi >= lo) {
        return (0.1, 10.0);
    }
    let (k0, k1) = (lo.log10().floor() as i32 - 1, hi.log10().ceil() as i32 + 1);
    let below = steps_125(k0, k1).filter(|v| *v <= lo / 1.15).last();
    let above = steps_125(k0, k1).find(|v| *v >= hi * 1.15);
    (below.unwrap_or(lo / 2.0), above.unwrap_or(hi * 2.0))
}

/// The reaches (down, up) of a ratio axis running from 1/down to up: the smallest 1-2-5
/// steps of at least 2 each that leave `room` (a share of the whole axis) beyond the
/// farthest of `ends` on either side of 1.
pub(super) fn ratio_reach(ends: impl Iterator<Item = f64>, room: f64) -> (f64, f64) {
    let (down, up) = ends
        .filter(|e| e.is_finite() && *e > 0.0)
        .map(f64::ln)
        .fold((0.0f64, 0.0f64), |(d, u), e| (d.max(-e), u.max(e)));
    let span = (down + up) / (1.0 - 2.0 * room).max(0.2);
    let nice = |far: f64| {
        let need = (far + room * span).exp();
        steps_125(0, 6)
            .filter(|m| *m >= 2.0)
            .find(|m| *m >= need)
            .unwrap_or(1e6)
    };
    (nice(down), nice(up))
}

/// Ticks of a log axis over `lo`..`hi` (values), at most `most` labelled: 1-2-5 steps, or
/// every first, second, third… decade; minors at the other whole multiples.
pub(super) fn log_ticks(lo: f64, hi: f64, most: usize, label: &dyn Fn(f64) -> String) -> Vec<Tick> {
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let inside = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
    let mut majors: Vec<f64> = steps_125(k0, k1).filter(inside).collect();
    let mut every = 1;
    while majors.len() > most.max(2) && every < 10 {
        majors = (k0..=k1)
            .filter(|k| k.rem_euclid(every) == 0)
            .map(|k| 10f64.powi(k))
            .filter(inside)
            .collect();
        every += 1;
    }
    let is_major = |v: f64| majors.iter().any(|m| (m / v - 1.0).abs() < 1e-6);
    let minors = (k0..=k1)
        .flat_map(|k| (1..10).map(move |m| f64::from(m) * 10f64.powi(k)))
        .filter(inside)
        .filter(|v| !is_major(*v));
    let mut ticks: Vec<Tick> = majors
        .iter()
        .map(|v| Tick {
            at: v.ln(),
            label: Some(label(*v)),
        })
        .collect();
    ticks.extend(minors.map(|v| Tick {
        at: v.ln(),
        label: None,
    }));
    ticks
}

/// Ticks of a ratio axis from 1/`down` to `up`: 1 and 1-2-5 steps either side (0.5, 2…),
/// at most `most` labelled, shared by the sides' lengths, always each end; minors at the
/// other whole multiples.
pub(super) fn ratio_ticks((down, up): (f64, f64), most: usize) -> Vec<Tick> {
    // A side's steps: all of them, or its decades and its end, every so many from the end.
    let side = |reach: f64, share: f64| -> Vec<f64> {
        let within = |x: &f64| *x >= 2.0 && *x <= reach * 1.000001;
        let budget = ((most.max(3) - 1) as f64 * share).round().max(1.0) as usize;
        let all: Vec<f64> = steps_125(0, 6).filter(within).collect();
        if all.len() <= budget {
            return all;
        }
        let mut decades: Vec<f64> = (1..=6).map(|k| 10f64.powi(k)).filter(within).collect();
        if !decades.iter().any(|d| (d / reach - 1.0).abs() < 1e-6) {
            decades.push(reach);
        }
        let every = decades.len().div_ceil(budget).max(1);
        decades.iter().rev().step_by(every).copied().collect()
    };
    let share = down.ln() / (down.ln() + up.ln());
    let majors: Vec<f64> = side(down, share)
        .iter()
        .map(|x| 1.0 / x)
        .chain(side(up, 1.0 - share))
        .chain([1.0])
        .collect();
    let is_major = |v: f64| majors.iter().any(|m| (m / v - 1.0).abs() < 1e-6);
    let mut ticks: Vec<Tick> = log_ticks(1.0 / down, up, usize::MAX, &ratio_tick)
        .into_iter()
        .filter(|t| !is_major(t.at.exp()))
        .map(|t| Tick { label: None, ..t })
        .collect();
    ticks.extend(majors.iter().map(|v| Tick {
        at: v.ln(),
        label: Some(ratio_tick(*v)),
    }));
    ticks
}

/// A number as an axis reads it: six significant digits at most, no trailing zeros, "0" for
/// zero.
pub(super) fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    let digits = (5 - v.abs().log10().floor() as i32).max(0);
    let scale = 10f64.powi(digits);
    format!("{}", (v * scale).round() / scale)
}

/// A ratio tick: "0.5×", "1×", "20×".
pub(super) fn ratio_tick(v: f64) -> String {
    format!("{}×", number(v))
}

/// Grid lines across the plot at every tick (minor ones fainter) and the major ticks'
/// labels beside it. `to_px` maps an axis position to the pixel along the axis; `plot` is the
/// plot's (left, top, right, bottom) in `area`'s pixels.
pub(super) fn draw_ticks<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ticks: &[Tick],
    side: Side,
    plot: (i32, i32, i32, i32),
    to_px: &dyn Fn(f64) -> i32,
) -> DrawResult<DB> {
    let (left, top, right, bottom) = plot;
    for t in ticks {
        let p = to_px(t.at);
        let (style, tick) = match t.label {
            Some(_) => (BLACK.mix(0.22).stroke_width(1), 6),
            None => (BLACK.mix(0.08).stroke_width(1), 3),
        };
        let (line, mark) = match side {
            Side::Left => ([(left, p), (right, p)], [(left - tick, p), (left, p)]),
            Side::Bottom => ([(p, top), (p, bottom)], [(p, bottom), (p, bottom + tick)]),
        };
        area.draw(&PathElement::new(line.to_vec(), style))?;
        area.draw(&PathElement::new(mark.to_vec(), BLACK.stroke_width(1)))?;
        let Some(label) = &t.label else { continue };
        let half = (text_px(label, LABEL_SVG_PX) / 2.0) as i32;
        let width = area.dim_in_pixel().0 as i32;
        if matches!(side, Side::Bottom) && (p - half < 0 || p + half > width) {
            // A label the panel's edge would cut is left out; its grid line stays.
            continue;
        }
        let (at, pos) = match side {
            Side::Left => ((left - 9, p), Pos::new(HPos::Right, VPos::Center)),
            Side::Bottom => ((p, bottom + 9), Pos::new(HPos::Center, VPos::Top)),
        };
        let style = TextStyle::from((FONT, 15).into_font()).pos(pos);
        area.draw(&Text::new(label.clone(), at, style))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_label_one_two_five_or_decades() {
        let labels = |lo, hi, most| -> Vec<String> {
            log_ticks(lo, hi, most, &number)
                .into_iter()
                .filter_map(|t| t.label)
                .collect()
        };
        assert_eq!(labels(0.5, 2.0, 8), ["0.5", "1", "2"]);
        assert_eq!(labels(1.0, 1e4, 6), ["1", "10", "100", "1000", "10000"]);
        assert_eq!(labels(1.0, 1e6, 4), ["1", "100", "10000", "1000000"]);
        let minors = log_ticks(0.5, 2.0, 8, &number)
            .iter()
            .filter(|t| t.label.is_none())
            .count();
        assert_eq!(minors, 4, "0.6 to 0.9");
    }

    #[test]
    fn ratio_ticks_keep_one_and_the_ends() {
        let labels = |reach, most| -> Vec<String> {
            let mut t: Vec<(f64, String)> = ratio_ticks(reach, most)
                .into_iter()
                .filter_map(|t| Some((t.at, t.label?)))
                .collect();
            t.sort_by(|a, b| a.0.total_cmp(&b.0));
            t.into_iter().map(|t| t.1).collect()
        };
        assert_eq!(labels((5.0, 5.0), 3), ["0.2×", "1×", "5×"]);
        assert_eq!(labels((5.0, 5.0), 9), ["0.2×", "0.5×", "1×", "2×", "5×"]);
        assert_eq!(
            labels((100.0, 100.0), 5),
            ["0.01×", "0.1×", "1×", "10×", "100×"]
        );
        assert_eq!(
            labels((1000.0, 2.0), 6),
            ["0.001×", "0.01×", "0.1×", "1×", "2×"]
        );
    }

    #[test]
    fn ranges_snap_out_to_steps_and_ratios_centre_on_one() {
        assert_eq!(log_range(6000.0, 9500.0), (5000.0, 20000.0));
        assert_eq!(ratio_reach([0.96, 1.04].into_iter(), 0.1), (2.0, 2.0));
        assert_eq!(ratio_reach([0.02, 1.6].into_iter(), 0.0), (50.0, 2.0));
        assert_eq!(
            ratio_reach([0.02].into_iter(), 0.1),
            (100.0, 2.0),
            "room for its label"
        );
        assert_eq!(ratio_reach([0.3].into_iter(), 0.1), (5.0, 2.0));
        assert_eq!(number(0.0002), "0.0002");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(2000.0), "2000");
        assert_eq!(ratio_tick(0.02), "0.02×");
    }
}
