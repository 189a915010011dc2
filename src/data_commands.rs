//! The data dir as a user sees it: `info`'s dataset list and a workload file's footprint,
//! and `clean --datasets`.

use std::path::Path;
use std::time::SystemTime;

use anyhow::Result;
use mountbench::datadir::DataDir;
use mountbench::plan::{Overrides, Plan, WorkloadFile};
use mountbench::run::preflight::{self, human, Storage, Total};
use mountbench::targets::spec::Store;
use mountbench::workload::dataset::listing::{self, Listed, ListedState};
use serde_json::{json, Value};

use crate::cli::CleanArgs;

fn host_root(data_dir: &Path) -> std::path::PathBuf {
    DataDir {
        path: data_dir.to_path_buf(),
    }
    .host_root()
}

fn last_use(listed: &Listed) -> String {
    let Some(at) = listed.last_use else {
        return "never".into();
    };
    let days = SystemTime::now()
        .duration_since(at)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    let when = chrono::DateTime::<chrono::Local>::from(at).format("%Y-%m-%d %H:%M");
    format!("{when} ({days} days ago)")
}

fn state(listed: &Listed) -> &'static str {
    match listed.state {
        ListedState::Ready => "ready",
        ListedState::Partial => "partial",
    }
}

pub fn datasets_json(data_dir: &Path) -> Result<Value> {
    let listed = listing::list(&host_root(data_dir))?;
    Ok(listed
        .iter()
        .map(|l| {
            let unix = l
                .last_use
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map(|d| d.as_secs());
            json!({"id": l.id, "state": state(l), "files": l.files, "bytes": l.bytes,
                   "last_use_unix": unix, "dir": l.dir})
        })
        .collect())
}

pub fn print_datasets(data_dir: &Path) -> Result<()> {
    let listed = listing::list(&host_root(data_dir))?;
    if listed.is_empty() {
        println!("datasets    none");
        return Ok(());
    }
    let bytes: u64 = listed.iter().map(|l| l.bytes).sum();
    println!(
        "datasets    {} taking {} (`mountbench clean --datasets [--older-than 30d]` removes them)",
        listed.len(),
        human(bytes)
    );
    for l in &listed {
        println!(
            "  {:<30} {:<7} {:>10} {:>9} files  last used {}",
            l.id,
            state(l),
            human(l.bytes),
            l.files,
            last_use(l)
        );
    }
    Ok(())
}

fn footprints(path: &Path, scale: Option<f64>) -> Result<(Plan, Vec<(Storage, Total)>)> {
    let overrides = Overrides {
        scale,
        ..Overrides::default()
    };
    let plan = Plan::new(WorkloadFile::load(path)?, &overrides)?;
    let footprints = preflight::footprints(&plan);
    Ok((plan, footprints))
}

fn label(storage: Storage, total: &Total) -> String {
    let targets: Vec<String> = total.targets.iter().map(|t| t.to_string()).collect();
    match storage {
        Storage::HostRoot => format!("data dir ({})", targets.join(", ")),
        Storage::Backup => "data dir (backup archives)".into(),
        Storage::Target(t) => format!("target {t}"),
        Storage::DataImage => format!("engine: data image ({})", targets.join(", ")),
    }
}

pub fn footprint_json(path: &Path, scale: Option<f64>) -> Result<Value> {
    let (_, footprints) = footprints(path, scale)?;
    Ok(footprints
        .iter()
        .map(|(s, t)| json!({"where": label(*s, t), "bytes": t.bytes, "workloads": t.workloads}))
        .collect())
}

pub fn print_footprint(path: &Path, scale: Option<f64>) -> Result<()> {
    let (plan, footprints) = footprints(path, scale)?;
    let targets: Vec<String> = plan.targets.iter().map(|t| t.to_string()).collect();
    let scaled = scale
        .map(|f| format!(" at --scale {f}"))
        .unwrap_or_default();
    println!(
        "footprint   {}{scaled} on {} (every dataset counted, none reused):",
        path.display(),
        targets.join(", ")
    );
    let (mut data_dir, mut engine) = (0u64, 0u64);
    for (storage, total) in &footprints {
        let in_memory = matches!(storage, Storage::Target(t) if t.kind.store() == Store::Tmpfs);
        let note = if in_memory { "  (in memory)" } else { "" };
        println!(
            "  {:<34} {:>10}{note}",
            label(*storage, total),
            human(total.bytes)
        );
        match storage {
            Storage::HostRoot | Storage::Backup => data_dir = data_dir.saturating_add(total.bytes),
            Storage::Target(_) if in_memory => {}
            Storage::Target(_) | Storage::DataImage => engine = engine.saturating_add(total.bytes),
        }
    }
    println!("  {:<34} {:>10}", "disk: data dir", human(data_dir));
    if engine > 0 {
        let both = data_dir.saturating_add(engine);
        println!(
            "  {:<34} {:>10}",
            "disk: data dir and engine on one",
            human(both)
        );
    }
    Ok(())
}

pub fn clean_datasets(args: &CleanArgs) -> Result<i32> {
    let data_dir = args.data_dir.clone().unwrap_or_else(DataDir::default_path);
    DataDir::check(&data_dir)?;
    let older_than = args.older_than.map(|d| d.0);
    let done = listing::remove(&host_root(&data_dir), older_than, SystemTime::now())?;
    for l in &done.removed {
        println!(
            "removed dataset {} ({}, {})",
            l.id,
            state(l),
            human(l.bytes)
        );
    }
    for l in &done.busy {
        println!("kept dataset {}: a run is using it", l.id);
    }
    for (l, why) in &done.kept {
        eprintln!("mountbench: kept dataset {}: {why}", l.id);
    }
    if done.removed.is_empty() && done.busy.is_empty() && done.kept.is_empty() {
        println!("no dataset to clean in {}", data_dir.display());
    }
    let freed: u64 = done.removed.iter().map(|l| l.bytes).sum();
    if freed > 0 {
        println!("freed {}", human(freed));
    }
    Ok(if done.kept.is_empty() { 0 } else { 1 })
}
