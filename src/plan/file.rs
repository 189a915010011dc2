//! A workload file: its `[run]` settings, its `[targets]` settings and its validated
//! `[[workload]]` tables.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::de::{DeTable, DeValue, Deserializer};
use toml::Spanned;

use crate::error::{Error, Result};
use crate::percent::Percent;
use crate::size::ByteSize;
use crate::targets::settings::{check_driver_opts, TargetSettings};
use crate::targets::spec::{TargetKind, TargetSpec};
use crate::workload::parse::{self, Source};
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
    /// Bytes kept free on the filesystems datasets, checkpoints and backups land on (the
    /// data dir's, the engine's); default 5% of the filesystem, at least 1GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_free: Option<ByteSize>,
    /// Keep adding rounds while any cell's ratio CI half-width exceeds this share of the
    /// ratio ("3%"), up to `max_reps`.
    #[serde(default)]
    pub target_ci: Option<Percent>,
    /// Most measured reps per cell when `target_ci` adds rounds (default 3 × reps).
    #[serde(default)]
    pub max_reps: Option<u32>,
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
            keep_free: None,
            target_ci: None,
            max_reps: None,
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
    /// Only type-checked here; each table is parsed on its own (see `workload_tables`).
    #[serde(default, rename = "workload")]
    _workload: Vec<toml::Table>,
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
        let source = Source { file: &file, text };
        let doc = DeTable::parse(text).map_err(|e| source.error(&e))?;
        let tables = doc.get_ref().get("workload").cloned();
        let raw = RawFile::deserialize(Deserializer::from(doc)).map_err(|e| source.error(&e))?;
        let tables = workload_tables(&file, tables)?;
        for table in &tables {
            parse::types(&source, table)?;
        }
        let mut workloads = Vec::new();
        for (index, table) in tables.into_iter().enumerate() {
            workloads.push(parse::workload(&source, index, table, raw.run.seed)?);
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

/// The `[[workload]]` tables with their spans (`RawFile` has checked they are tables).
fn workload_tables<'i>(
    file: &str,
    value: Option<Spanned<DeValue<'i>>>,
) -> Result<Vec<Spanned<DeTable<'i>>>> {
    let not_tables = || Error::input(file, "workload must be an array of [[workload]] tables");
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let DeValue::Array(items) = value.into_inner() else {
        return Err(not_tables());
    };
    items
        .into_iter()
        .map(|item| {
            let span = item.span();
            match item.into_inner() {
                DeValue::Table(table) => Ok(Spanned::new(span, table)),
                _ => Err(not_tables()),
            }
        })
        .collect()
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
