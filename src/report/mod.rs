//! Reports: read any number of result folders (one host or many), check they can be
//! compared, and write report.md plus charts. Needs no Docker.

pub mod charts;
pub mod markdown;
pub mod palette;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::analysis::{analyze, Analysis};
use crate::env::Env;
use crate::error::{Error, IoContext, Result};
use crate::plan::WorkloadFile;
use crate::results::{write_atomic, Results};

/// One result folder, loaded and analysed.
pub struct HostRun {
    pub dir: PathBuf,
    pub env: Env,
    pub results: Results,
    pub analysis: Analysis,
}

impl HostRun {
    pub fn load(dir: &Path) -> Result<HostRun> {
        if !dir.is_dir() {
            return Err(Error::input(dir.display().to_string(), "is not a folder"));
        }
        let results = Results::load(dir)?;
        let env = Env::load(dir)?;
        let analysis = analyze(&results);
        Ok(HostRun {
            dir: dir.to_path_buf(),
            env,
            results,
            analysis,
        })
    }

    /// "host (OS, engine flavour)": how charts and tables name this run.
    pub fn label(&self) -> String {
        let flavour = self
            .env
            .engine
            .as_ref()
            .map(|e| e.flavour.as_str())
            .unwrap_or("no engine");
        let os = self.env.host.os.split(' ').next().unwrap_or("");
        format!("{} ({os}, {flavour})", self.env.host.hostname)
    }
}

/// Workloads present in two runs must be defined identically to be compared.
fn check_comparable(runs: &[HostRun]) -> Result<()> {
    let parse = |run: &HostRun| {
        WorkloadFile::parse(
            Path::new(&run.env.workload_file.path),
            &run.env.workload_file.text,
        )
    };
    let first = &runs[0];
    let base = parse(first)?;
    for other in &runs[1..] {
        if other.env.workload_file.hash == first.env.workload_file.hash {
            continue;
        }
        let theirs = parse(other)?;
        for w in &base.workloads {
            if let Some(t) = theirs.workloads.iter().find(|t| t.name == w.name) {
                if t != w {
                    return Err(Error::input(
                        format!("{} vs {}", first.dir.display(), other.dir.display()),
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
                format!("{} vs {}", first.dir.display(), other.dir.display()),
                "the runs share no workload, so there is nothing to compare",
            ));
        }
    }
    let mut seen = BTreeMap::new();
    for run in runs {
        if let Some(prev) = seen.insert(run.env.run_id.clone(), run.dir.clone()) {
            return Err(Error::input(
                run.dir.display().to_string(),
                format!("is the same run ({}) as {}", run.env.run_id, prev.display()),
            ));
        }
    }
    Ok(())
}

/// Render report.md and charts for `dirs` into `out`; returns the report's path.
pub fn render_dirs(dirs: &[PathBuf], out: &Path) -> Result<PathBuf> {
    if dirs.is_empty() {
        return Err(Error::input("report", "give at least one result folder"));
    }
    let runs = dirs
        .iter()
        .map(|d| HostRun::load(d))
        .collect::<Result<Vec<_>>>()?;
    check_comparable(&runs)?;
    std::fs::create_dir_all(out)
        .map_err(|e| Error::input(format!("--out {}", out.display()), e.to_string()))?;
    let chart_dir = out.join("charts");
    std::fs::create_dir_all(&chart_dir).at(&chart_dir)?;
    let charts = charts::render_all(&runs, &chart_dir)?;
    let text = markdown::render(&runs, &charts, out);
    let path = out.join("report.md");
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}
