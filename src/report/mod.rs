//! Reports: read any number of result folders (one host or many), check they can be
//! compared, and write report.md plus charts. Needs no Docker.
//!
//! Data flow: loaded runs → `select` (rows, cells, histograms) → `figures` (one builder per
//! chart) → `figure` (the model) → `draw` (the only plotters user) → PNG + SVG, and
//! `markdown` for report.md.

mod boundary;
mod boundary_table;
pub mod context;
pub mod draw;
mod durability;
mod engines;
mod figure;
mod figures;
pub(crate) mod flags;
pub mod fleet;
mod human;
mod markdown;
mod palette;
mod ratio_table;
mod select;
mod semantics;
pub mod table;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::analysis::{analyze_with_goal, Analysis, CiGoal};
use crate::env::Env;
use crate::error::{Error, IoContext, Result};
use crate::plan::WorkloadFile;
use crate::results::{write_atomic, Results};
use crate::workload::spec::Workload;

/// One result folder, loaded and analysed.
pub(crate) struct HostRun {
    pub dir: PathBuf,
    pub env: Env,
    pub results: Results,
    pub analysis: Analysis,
    /// The boundary cells (coherence, watch), built once for the section and the chart.
    pub boundary: Vec<boundary::Cell>,
    /// What tells it apart from another run of the same host name in one report.
    pub alias: Option<String>,
}

impl HostRun {
    pub(crate) fn load(dir: &Path) -> Result<HostRun> {
        if !dir.is_dir() {
            return Err(Error::input(dir.display().to_string(), "is not a folder"));
        }
        let results = Results::load(dir)?;
        let env = Env::load(dir)?;
        let goal = env.target_ci.map(|target| CiGoal {
            target,
            max_reps: env.max_reps.unwrap_or(env.reps),
        });
        let analysis = analyze_with_goal(&results, goal);
        let mut run = HostRun {
            dir: dir.to_path_buf(),
            env,
            results,
            analysis,
            boundary: Vec::new(),
            alias: None,
        };
        run.boundary = boundary::of_run(&run);
        Ok(run)
    }

    /// Its host name, with its alias when another run in the report has the same.
    pub(crate) fn name(&self) -> String {
        match &self.alias {
            Some(alias) => format!("{} · {alias}", self.env.host.hostname),
            None => self.env.host.hostname.clone(),
        }
    }

    /// "host (OS, engine flavours)": how charts and tables name this run.
    pub(crate) fn label(&self) -> String {
        let os = self.env.host.os.split(' ').next().unwrap_or("");
        format!("{} ({os}, {})", self.name(), engines::flavours(&self.env))
    }
}

/// Tell apart runs that share a host name (machines cloned from one image): by their CPU
/// when those differ, else by run id.
fn name_apart(runs: &mut [HostRun]) {
    for i in 0..runs.len() {
        let host = &runs[i].env.host;
        let twins: Vec<&HostRun> = runs
            .iter()
            .filter(|r| r.env.host.hostname == host.hostname)
            .collect();
        if twins.len() < 2 {
            continue;
        }
        let cpus = select::ordered(twins.iter().map(|r| cpu_name(&r.env.host.cpu_model)));
        runs[i].alias = Some(match cpus.len() == twins.len() {
            true => cpu_name(&runs[i].env.host.cpu_model),
            false => runs[i].env.run_id.clone(),
        });
    }
}

/// "Intel(R) Xeon(R) Processor" → "Intel Xeon".
fn cpu_name(model: &str) -> String {
    let words = model
        .replace("(R)", "")
        .replace("(TM)", "")
        .split_whitespace()
        .filter(|w| !matches!(*w, "Processor" | "CPU"))
        .collect::<Vec<_>>()
        .join(" ");
    words
}

/// Runs can be merged when the workloads they share are defined identically, they share at
/// least one, and no run is given twice.
fn check_comparable(runs: &[HostRun]) -> Result<()> {
    let first = &runs[0];
    let base = workload_file(first)?;
    for other in &runs[1..] {
        if other.env.scale != first.env.scale {
            return Err(Error::input(
                format!("{} vs {}", first.dir.display(), other.dir.display()),
                format!(
                    "ran at different scales ({} vs {}); only runs of the same workloads can be merged",
                    scale_text(first.env.scale),
                    scale_text(other.env.scale)
                ),
            ));
        }
        if other.env.workload_file.hash != first.env.workload_file.hash {
            check_same_workloads(first, &base, other)?;
        }
    }
    check_distinct(runs)
}

fn scale_text(scale: Option<f64>) -> String {
    scale.map_or_else(|| "1".to_string(), |s| s.to_string())
}

/// The workload file the run was made from, parsed again.
pub(crate) fn workload_file(run: &HostRun) -> Result<WorkloadFile> {
    WorkloadFile::parse(
        Path::new(&run.env.workload_file.path),
        &run.env.workload_file.text,
    )
}

/// `other`'s workloads against `first`'s (`base`, already parsed).
fn check_same_workloads(first: &HostRun, base: &WorkloadFile, other: &HostRun) -> Result<()> {
    let theirs = workload_file(other)?;
    let pair = || format!("{} vs {}", first.dir.display(), other.dir.display());
    for w in &base.workloads {
        if let Some(t) = theirs.workloads.iter().find(|t| t.name == w.name) {
            // Phases may differ: each phase's cells compare with the same phase's only.
            if (Workload {
                phases: Vec::new(),
                ..t.clone()
            }) != (Workload {
                phases: Vec::new(),
                ..w.clone()
            }) {
                return Err(Error::input(
                    pair(),
                    format!(
                        "workload \"{}\" differs ({} vs {}); only runs of the same workload definitions can be merged",
                        w.name,
                        serde_json::to_string(&w.params).unwrap_or_default(),
                        serde_json::to_string(&t.params).unwrap_or_default()
                    ),
                ));
            }
        }
    }
    if !base
        .workloads
        .iter()
        .any(|w| theirs.workloads.iter().any(|t| t.name == w.name))
    {
        return Err(Error::input(
            pair(),
            "the runs share no workload, so there is nothing to compare",
        ));
    }
    Ok(())
}

/// No run given twice (under two folder names). A fleet run is one run id on many hosts.
fn check_distinct(runs: &[HostRun]) -> Result<()> {
    let mut seen = BTreeMap::new();
    for run in runs {
        let key = (run.env.run_id.clone(), run.env.host.hostname.clone());
        if let Some(prev) = seen.insert(key, run.dir.clone()) {
            return Err(Error::input(
                run.dir.display().to_string(),
                format!("is the same run ({}) as {}", run.env.run_id, prev.display()),
            ));
        }
    }
    Ok(())
}

/// The boundary cells of the results in `dir`, one terminal line each (none without).
pub fn boundary_lines(dir: &Path) -> Result<Vec<String>> {
    let run = HostRun::load(dir)?;
    Ok(run
        .boundary
        .iter()
        .map(boundary_table::terminal_line)
        .collect())
}

/// Render report.md and charts for `dirs` into `out`; returns the report's path.
pub fn render_dirs(dirs: &[PathBuf], out: &Path) -> Result<PathBuf> {
    if dirs.is_empty() {
        return Err(Error::input("report", "give at least one result folder"));
    }
    let mut runs = dirs
        .iter()
        .map(|d| HostRun::load(d))
        .collect::<Result<Vec<_>>>()?;
    check_comparable(&runs)?;
    name_apart(&mut runs);
    std::fs::create_dir_all(out)
        .map_err(|e| Error::input(format!("--out {}", out.display()), e.to_string()))?;
    let chart_dir = out.join("charts");
    std::fs::create_dir_all(&chart_dir).at(&chart_dir)?;
    let charts = figures::all(&runs)
        .iter()
        .map(|f| draw::render(f, &chart_dir))
        .collect::<Result<Vec<_>>>()?;
    let text = markdown::render(&runs, &charts, out);
    let path = out.join("report.md");
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}
