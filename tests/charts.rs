//! Charts looked at as a reader would: every committed sample report (and the cross-host
//! sample) is rendered again from its result folder and every SVG parsed. A chart fails when
//! two pieces of text overlap (boxes from font size and text length), when a ratio axis is
//! linear, or when it shows no data.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::Instant;

trials!(sample_charts_have_no_overlapping_text_log_ratio_axes_and_data);

/// The result folders rendered together into one report: every sample alone, and the two
/// real hosts the cross-host sample merges.
fn samples() -> Vec<Vec<PathBuf>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    let mut alone = Vec::new();
    for group in std::fs::read_dir(&root).unwrap().flatten() {
        for run in std::fs::read_dir(group.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if run.path().join("env.json").is_file() {
                alone.push(vec![run.path()]);
            }
        }
    }
    alone.sort();
    alone.push(CROSS_HOST.iter().map(|d| root.join(d)).collect());
    alone
}

/// The cross-host sample: the README's Intel run against the AMD machine's run.
const CROSS_HOST: [&str; 2] = ["vm/20261125-023354-363c", "vm/20261124-011219-db7b"];

/// A text element's box in pixels.
#[derive(Debug, Clone)]
struct TextBox {
    text: String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

/// The advance of a DejaVu Sans character against the font size.
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

fn text_box(node: roxmltree::Node) -> Option<TextBox> {
    let text = node.text()?.trim().to_string();
    if text.is_empty() {
        return None;
    }
    let num = |a: &str| node.attribute(a).and_then(|v| v.parse::<f64>().ok());
    let (x, y, size) = (num("x")?, num("y")?, num("font-size")?);
    let width: f64 = text.chars().map(char_em).sum::<f64>() * size;
    let x0 = match node.attribute("text-anchor") {
        Some("middle") => x - width / 2.0,
        Some("end") => x - width,
        _ => x,
    };
    let top = match node.attribute("dy") {
        Some("0.76em") => y,
        Some("0.5ex") => y - 0.5 * size,
        _ => y - 0.76 * size,
    };
    let mut b = TextBox {
        text,
        x0,
        y0: top,
        x1: x0 + width,
        y1: top + size,
    };
    if let Some(t) = node.attribute("transform") {
        b = rotated(b, t)?;
    }
    Some(b)
}

/// The box turned by `rotate(a, cx, cy)` (a multiple of 90°).
fn rotated(b: TextBox, transform: &str) -> Option<TextBox> {
    let inner = transform.strip_prefix("rotate(")?.strip_suffix(')')?;
    let v: Vec<f64> = inner
        .split(',')
        .map(|s| s.trim().parse().ok())
        .collect::<Option<_>>()?;
    let (a, cx, cy) = (v[0].to_radians(), v[1], v[2]);
    let turn = |x: f64, y: f64| {
        let (dx, dy) = (x - cx, y - cy);
        (
            cx + dx * a.cos() - dy * a.sin(),
            cy + dx * a.sin() + dy * a.cos(),
        )
    };
    let (p, q) = (turn(b.x0, b.y0), turn(b.x1, b.y1));
    Some(TextBox {
        x0: p.0.min(q.0),
        x1: p.0.max(q.0),
        y0: p.1.min(q.1),
        y1: p.1.max(q.1),
        ..b
    })
}

fn overlap(a: &TextBox, b: &TextBox) -> bool {
    // A pixel of slack: boxes that touch do not collide.
    const SLACK: f64 = 1.0;
    a.x0 + SLACK < b.x1 && b.x0 + SLACK < a.x1 && a.y0 + SLACK < b.y1 && b.y0 + SLACK < a.y1
}

/// What a reader would object to in one chart.
#[derive(Debug, Default)]
struct Verdict {
    overlaps: Vec<String>,
    linear_ratio_axes: usize,
    no_data: bool,
}

impl Verdict {
    fn count(&self) -> usize {
        self.overlaps.len() + self.linear_ratio_axes + usize::from(self.no_data)
    }
}

fn look(svg: &Path) -> Verdict {
    let text = std::fs::read_to_string(svg).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let boxes: Vec<TextBox> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(text_box)
        .collect();
    let mut verdict = Verdict::default();
    let root = doc.root_element();
    let size = |a: &str| root.attribute(a).and_then(|v| v.parse::<f64>().ok());
    let (width, height) = (size("width").unwrap(), size("height").unwrap());
    for b in &boxes {
        if b.x0 < -1.0 || b.y0 < -1.0 || b.x1 > width + 1.0 || b.y1 > height + 1.0 {
            verdict
                .overlaps
                .push(format!("{:?} cut by the edge", b.text));
        }
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            if overlap(a, b) {
                verdict
                    .overlaps
                    .push(format!("{:?} × {:?}", a.text, b.text));
            }
        }
    }
    verdict.linear_ratio_axes = linear_ratio_axes(&boxes);
    verdict.no_data = !has_data(&doc);
    verdict
}

/// Ratio axes (a y axis described "× native" or "× volume") whose ticks are evenly spaced
/// in value rather than in log value; a tick belongs to the nearest axis beside it.
fn linear_ratio_axes(boxes: &[TextBox]) -> usize {
    let axes: Vec<&TextBox> = boxes
        .iter()
        .filter(|b| b.text.starts_with("× ") && b.y1 - b.y0 > b.x1 - b.x0)
        .collect();
    let middle = |b: &TextBox| (b.y0 + b.y1) / 2.0;
    let beside = |axis: &TextBox, b: &TextBox| b.x0 > axis.x1 && b.x1 < axis.x1 + 85.0;
    let mut linear = 0;
    for axis in &axes {
        let mut ticks: Vec<(f64, f64)> = boxes
            .iter()
            .filter(|b| beside(axis, b))
            .filter(|b| {
                let nearest = axes.iter().filter(|a| beside(a, b)).min_by(|a, c| {
                    let d = |x: &TextBox| (middle(x) - middle(b)).abs();
                    d(a).total_cmp(&d(c))
                });
                nearest.is_some_and(|n| std::ptr::eq(*n, *axis))
            })
            .filter_map(|b| {
                let v: f64 = b.text.trim_end_matches('×').parse().ok()?;
                Some((middle(b), v))
            })
            .filter(|t| t.1 > 0.0)
            .collect();
        ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
        ticks.dedup_by(|a, b| (a.0 - b.0).abs() < 1.0);
        if ticks.len() < 3 || misfit(&ticks, |v| v) < misfit(&ticks, f64::ln) {
            linear += 1;
        }
    }
    linear
}

/// How far tick positions are from a straight line against `scale(value)`, relative.
fn misfit(ticks: &[(f64, f64)], scale: impl Fn(f64) -> f64) -> f64 {
    let (first, last) = (ticks[0], ticks[ticks.len() - 1]);
    let span = scale(last.1) - scale(first.1);
    if span.abs() < f64::EPSILON {
        return f64::MAX;
    }
    ticks
        .iter()
        .map(|(y, v)| {
            let want = first.0 + (scale(*v) - scale(first.1)) / span * (last.0 - first.0);
            (want - y).abs()
        })
        .fold(0.0, f64::max)
        / (last.0 - first.0).abs().max(1.0)
}

/// Whether anything drawn is coloured (bars, lines): not white, grey or black.
fn has_data(doc: &roxmltree::Document) -> bool {
    let coloured = |c: &str| {
        let hex = c.strip_prefix('#').filter(|h| h.len() == 6);
        let Some(hex) = hex else { return false };
        let v: Vec<i32> = (0..3)
            .map(|i| i32::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap_or(0))
            .collect();
        v.iter().max().unwrap() - v.iter().min().unwrap() > 40
    };
    doc.descendants()
        .filter(|n| ["rect", "polyline", "path", "circle"].contains(&n.tag_name().name()))
        .any(|n| {
            ["fill", "stroke"]
                .iter()
                .any(|a| n.attribute(*a).is_some_and(coloured))
        })
}

fn sample_charts_have_no_overlapping_text_log_ratio_axes_and_data() {
    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    let mut total = 0;
    let mut charts = 0;
    for (i, dirs) in samples().iter().enumerate() {
        let out = tmp.path().join(format!("report-{i}"));
        let started = Instant::now();
        let output = common::report_cli(dirs, &out);
        assert!(
            output.status.success(),
            "{dirs:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let svgs: Vec<PathBuf> = std::fs::read_dir(out.join("charts"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "svg"))
            .collect();
        eprintln!(
            "{dirs:?}: {} charts in {:.2} s",
            svgs.len(),
            started.elapsed().as_secs_f64()
        );
        for svg in svgs {
            charts += 1;
            let verdict = look(&svg);
            total += verdict.count();
            if verdict.count() > 0 {
                let name = svg.file_name().unwrap().to_string_lossy().into_owned();
                eprintln!("{name} ({dirs:?}): {verdict:?}");
                problems.push(name);
            }
        }
    }
    eprintln!("{total} problems in {charts} charts");
    assert!(charts > 40, "only {charts} charts rendered");
    assert_eq!(total, 0, "charts a reader would object to: {problems:?}");
}
