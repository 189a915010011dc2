//! A workload file: its `[run]` settings, its `[targets]` settings and its validated
//! `[[workload]]` tables.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::targets::settings::{check_driver_opts, TargetSettings};
use crate::targets::spec::{TargetKind, TargetSpec};
use crate::workload::spec::{toml_error, validate, RawWorkload};
use crate::workload::Workload;

/// Settings of a run from the `[run]` table; the CLI may override them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSettings {
    #[serde(default = "default_reps")]
    pub reps: u32,
    #[serde(default = "default_warmup")]
    pub warmup: u32,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default = "default_targets")]
    pub targets: Vec<TargetSpec>,
}

fn default_reps() -> u32 {
    5
}
fn default_warmup() -> u32 {
    1
}
fn default_seed() -> u64 {
    42
}
fn default_targets() -> Vec<TargetSpec> {
    vec![TargetSpec::new(TargetKind::Native)]
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            reps: default_reps(),
            warmup: default_warmup(),
            seed: default_seed(),
            targets: default_targets(),
        }
    }
}

/// A workload file after parsing and validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadFile {
    pub path: PathBuf,
    pub text: String,
    pub hash: String,
    pub run: RunSettings,
    pub targets: TargetSettings,
    pub workloads: Vec<Workload>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    run: RunSettings,
    #[serde(default)]
    targets: TargetSettings,
    #[serde(default)]
    workload: Vec<RawWorkload>,
}

impl WorkloadFile {
    /// Read, parse and validate a workload file. Every failure is an `Error::Input` naming the
    /// file, the field and the reason on one line.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::input(
                path.display().to_string(),
                format!("cannot read workload file: {e}"),
            )
        })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let file = path.display().to_string();
        let raw: RawFile = toml::from_str(text).map_err(|e| toml_error(&file, text, &e))?;
        let mut workloads = Vec::new();
        for (index, raw_workload) in raw.workload.into_iter().enumerate() {
            workloads.push(validate(&file, index, raw_workload, raw.run.seed)?);
        }
        if workloads.is_empty() {
            return Err(Error::input(file, "no [[workload]] tables: nothing to run"));
        }
        let mut names = std::collections::BTreeSet::new();
        for w in &workloads {
            if !names.insert(w.name.clone()) {
                return Err(Error::input(
                    &file,
                    format!(
                        "workload name \"{}\" is used twice; names must be unique",
                        w.name
                    ),
                ));
            }
        }
        check_run(&file, &raw.run, &raw.targets)?;
        Ok(WorkloadFile {
            path: path.to_path_buf(),
            text: text.to_string(),
            hash: format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes())),
            run: raw.run,
            targets: raw.targets,
            workloads,
        })
    }
}

fn check_run(file: &str, run: &RunSettings, targets: &TargetSettings) -> Result<()> {
    if run.reps == 0 {
        return Err(Error::input(
            format!("{file}: [run] reps"),
            "must be at least 1",
        ));
    }
    if run.targets.is_empty() {
        return Err(Error::input(
            format!("{file}: [run] targets"),
            "names no target",
        ));
    }
    if targets.tmpfs.size.0 == 0 {
        return Err(Error::input(
            format!("{file}: [targets.tmpfs] size"),
            "must be greater than 0",
        ));
    }
    if targets.container.memory.0 < (64 << 20) {
        return Err(Error::input(
            format!("{file}: [targets.container] memory"),
            "must be at least 64MiB",
        ));
    }
    check_driver_opts(file, &targets.volume_opts.driver_opts)
}
