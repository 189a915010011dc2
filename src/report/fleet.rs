//! What a fleet needs beyond the merged hosts: each cell's figure on every node side by
//! side, its spread (slowest, median, fastest), the outlier nodes, and the nodes that failed.
//! Read from each node's summary.csv; bind is each node's baseline (no container is native).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::draw;
use super::figure::{Bar, BarPanel, BarSeries, Figure, Panel, Rgb, Scale};
use crate::error::{Error, Result};
use crate::results::SummaryRow;

/// A node further than this from the fleet's median (and its CI not reaching it) is an outlier.
pub const OUTLIER_SHARE: f64 = 0.20;

/// One node of a fleet run, as the report lists it.
#[derive(Debug, Clone)]
pub struct FleetNode {
    pub hostname: String,
    /// Its results folder, when results came back.
    pub dir: Option<PathBuf>,
    /// Why it failed, if it did.
    pub failure: Option<String>,
    pub failed_reps: usize,
}

/// One metric of one cell on one node: (median, CI low, CI high).
type Figures = BTreeMap<String, (f64, f64, f64)>;

/// A metric of a cell across the fleet.
struct Row {
    workload: String,
    target: String,
    phase: String,
    metric: String,
    unit: &'static str,
    by_node: Figures,
}

/// The fleet's report in `out`: the nodes' results merged as hosts (when any came back),
/// then the fleet section; returns report.md's path.
pub fn render(nodes: &[FleetNode], out: &Path) -> Result<PathBuf> {
    let dirs: Vec<PathBuf> = nodes.iter().filter_map(|n| n.dir.clone()).collect();
    let chart_dir = out.join("charts");
    std::fs::create_dir_all(&chart_dir).map_err(|e| Error::io(&chart_dir, e))?;
    let path = out.join("report.md");
    let merged = match dirs.is_empty() {
        true => String::new(),
        false => {
            super::render_dirs(&dirs, out)?;
            std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?
        }
    };
    let text = format!(
        "# mountbench fleet run\n\n{}\n{merged}",
        section(nodes, &chart_dir)?
    );
    crate::atomic::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// The fleet section (Markdown) with its chart written into `chart_dir`.
pub fn section(nodes: &[FleetNode], chart_dir: &Path) -> Result<String> {
    let rows = rows(nodes)?;
    let mut md = String::new();
    let _ = writeln!(md, "## Fleet: {} node(s)\n", nodes.len());
    let _ = writeln!(
        md,
        "Every node ran the same matrix in its own task of one Swarm global job. A container cannot be native: **bind** (a folder of the node's data dir) is each node's baseline.\n"
    );
    status_table(&mut md, nodes);
    let names: Vec<String> = nodes
        .iter()
        .filter(|n| n.dir.is_some())
        .map(|n| n.hostname.clone())
        .collect();
    if rows.is_empty() || names.is_empty() {
        let _ = writeln!(md, "No node sent results back.");
        return Ok(md);
    }
    let chart = draw::render(&figure(&rows, &names), chart_dir)?;
    let rel = |p: &Path| {
        let parent = chart_dir.parent().unwrap_or(chart_dir);
        p.strip_prefix(parent).unwrap_or(p).display().to_string()
    };
    let _ = writeln!(md, "![{}]({})\n", chart.title, rel(&chart.png));
    per_node_table(&mut md, &rows, &names);
    Ok(md)
}

fn status_table(md: &mut String, nodes: &[FleetNode]) {
    let _ = writeln!(
        md,
        "| node | status | failed reps | why |\n| --- | --- | ---: | --- |"
    );
    for n in nodes {
        let status = match (&n.failure, &n.dir) {
            (None, _) => "ok",
            (Some(_), Some(_)) => "failed (partial results)",
            (Some(_), None) => "failed",
        };
        let why = n.failure.as_deref().unwrap_or("");
        let _ = writeln!(
            md,
            "| {} | {status} | {} | {why} |",
            n.hostname, n.failed_reps
        );
    }
    md.push('\n');
}

fn per_node_table(md: &mut String, rows: &[Row], names: &[String]) {
    let _ = write!(md, "| cell | metric | unit |");
    for n in names {
        let _ = write!(md, " {n} |");
    }
    let _ = writeln!(md, " slowest | median | fastest | outliers |");
    let _ = write!(md, "| --- | --- | --- |");
    for _ in names {
        md.push_str(" ---: |");
    }
    md.push_str(" ---: | ---: | ---: | --- |\n");
    for row in rows {
        let _ = write!(
            md,
            "| {}/{}/{} | {} | {} |",
            row.workload, row.target, row.phase, row.metric, row.unit
        );
        for n in names {
            match row.by_node.get(n) {
                Some((v, _, _)) => {
                    let _ = write!(md, " {} |", num(*v));
                }
                None => md.push_str(" – |"),
            }
        }
        match spread(&row.by_node) {
            Some(s) => {
                let _ = writeln!(
                    md,
                    " {} ({}) | {} | {} ({}) | {} |",
                    num(s.slowest.1),
                    s.slowest.0,
                    num(s.median),
                    num(s.fastest.1),
                    s.fastest.0,
                    outliers(&row.by_node, s.median).join(", ")
                );
            }
            None => md.push_str(" – | – | – | |\n"),
        }
    }
    md.push('\n');
    let _ = writeln!(
        md,
        "An outlier is a node more than {:.0}% from the fleet's median whose 95% CI does not reach it.\n",
        OUTLIER_SHARE * 100.0
    );
}

fn num(v: f64) -> String {
    match v {
        v if v >= 100.0 => format!("{v:.0}"),
        v if v >= 10.0 => format!("{v:.1}"),
        v => format!("{v:.2}"),
    }
}

pub struct Spread {
    pub slowest: (String, f64),
    pub median: f64,
    pub fastest: (String, f64),
}

/// Slowest, median and fastest node of one metric of a cell.
pub fn spread(by_node: &Figures) -> Option<Spread> {
    let mut all: Vec<(String, f64)> = by_node.iter().map(|(n, f)| (n.clone(), f.0)).collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1));
    let values: Vec<f64> = all.iter().map(|a| a.1).collect();
    if values.is_empty() {
        return None;
    }
    let median = crate::measure::stats::median(&values);
    Some(Spread {
        slowest: all.first()?.clone(),
        median,
        fastest: all.last()?.clone(),
    })
}

/// The nodes far from the fleet's median, with how far ("node-2 −35%").
pub fn outliers(by_node: &Figures, median: f64) -> Vec<String> {
    if by_node.len() < 3 || median <= 0.0 {
        return Vec::new();
    }
    by_node
        .iter()
        .filter(|(_, (v, lo, hi))| {
            (v - median).abs() / median > OUTLIER_SHARE && !(*lo <= median && median <= *hi)
        })
        .map(|(n, (v, _, _))| format!("{n} {:+.0}%", (v / median - 1.0) * 100.0))
        .collect()
}

/// Every metric of every cell, with each node's figure.
fn rows(nodes: &[FleetNode]) -> Result<Vec<Row>> {
    type Key = (String, String, String, usize, String);
    let mut rows: BTreeMap<Key, Row> = BTreeMap::new();
    for node in nodes {
        let Some(dir) = &node.dir else { continue };
        for s in read_summary(&dir.join("summary.csv"))? {
            if s.reps == 0 {
                continue;
            }
            let (unit, v, lo, hi) = match s.moves_bytes() {
                true => ("MiB/s", s.median_mib_s, s.ci_low_mib_s, s.ci_high_mib_s),
                false => ("ops/s", s.median_ops_s, s.ci_low_ops_s, s.ci_high_ops_s),
            };
            let metric = s.metric.to_string();
            let rank = super::palette::target_rank(s.target);
            let (target, phase) = (s.target.to_string(), s.phase.to_string());
            let key = (
                s.workload.clone(),
                phase.clone(),
                metric.clone(),
                rank,
                target.clone(),
            );
            let row = rows.entry(key).or_insert_with(|| Row {
                workload: s.workload.clone(),
                target,
                phase,
                metric,
                unit,
                by_node: Figures::new(),
            });
            row.by_node.insert(node.hostname.clone(), (v, lo, hi));
        }
    }
    Ok(rows.into_values().collect())
}

fn read_summary(path: &Path) -> Result<Vec<SummaryRow>> {
    let bad = |e: csv::Error| Error::Report(format!("{}: {e}", path.display()));
    let mut reader = csv::Reader::from_path(path).map_err(bad)?;
    reader.deserialize().map(|r| r.map_err(bad)).collect()
}

/// One panel per workload, phase and metric: its targets along x, a bar per node.
fn figure(rows: &[Row], names: &[String]) -> Figure {
    let mut panels: BTreeMap<(String, String, String), Vec<&Row>> = BTreeMap::new();
    for row in rows {
        let key = (row.workload.clone(), row.phase.clone(), row.metric.clone());
        panels.entry(key).or_default().push(row);
    }
    let panels = panels
        .into_iter()
        .map(|((workload, phase, metric), rows)| {
            let series = names
                .iter()
                .enumerate()
                .map(|(i, name)| BarSeries {
                    label: name.clone(),
                    color: node_color(i),
                    bars: rows
                        .iter()
                        .map(|r| {
                            r.by_node.get(name).map(|(v, lo, hi)| Bar {
                                value: *v,
                                lo: Some(*lo),
                                hi: Some(*hi),
                                caveat: None,
                            })
                        })
                        .collect(),
                })
                .collect();
            Panel::Bars(BarPanel {
                title: format!("{workload} · {phase} · {metric}"),
                y_label: rows[0].unit.to_string(),
                groups: rows.iter().map(|r| r.target.clone()).collect(),
                scale: Scale::Linear,
                series,
                reference: None,
            })
        })
        .collect();
    Figure {
        name: "fleet-nodes".into(),
        title: format!("Each cell on every node — {} nodes", names.len()),
        caption: "median with 95% CI per node; bind (the node's data dir) is each node's baseline"
            .into(),
        panels,
    }
}

/// Distinct colours for up to 8 nodes, then again.
fn node_color(i: usize) -> Rgb {
    const COLORS: [Rgb; 8] = [
        Rgb(31, 119, 180),
        Rgb(255, 127, 14),
        Rgb(44, 160, 44),
        Rgb(214, 39, 40),
        Rgb(148, 103, 189),
        Rgb(140, 86, 75),
        Rgb(227, 119, 194),
        Rgb(127, 127, 127),
    ];
    COLORS[i % COLORS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spread_and_the_outliers_of_a_cell() {
        let by_node: Figures = [
            ("a".to_string(), (100.0, 95.0, 105.0)),
            ("b".to_string(), (104.0, 99.0, 109.0)),
            ("c".to_string(), (60.0, 55.0, 65.0)),
            ("d".to_string(), (98.0, 60.0, 140.0)),
        ]
        .into_iter()
        .collect();
        let s = spread(&by_node).unwrap();
        assert_eq!(s.slowest, ("c".to_string(), 60.0));
        assert_eq!(s.fastest, ("b".to_string(), 104.0));
        assert_eq!(s.median, 99.0);
        assert_eq!(outliers(&by_node, s.median), ["c -39%"]);
    }
}
