//! The plan: cells (workload × target × phase) and the interleaved order of their reps.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::cell::CellKey;
use crate::error::{Error, Result};
use crate::percent::Percent;
use crate::size::ByteSize;
use crate::targets::spec::{TargetKind, TargetSpec};
use crate::workload::dataset::DatasetSpec;
use crate::workload::{Phase, Workload};

mod datasets;
pub mod file;
mod goal;

pub use file::{RunSettings, WorkloadFile};

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub workload: Workload,
    pub target: TargetSpec,
    pub phase: Phase,
}

impl Cell {
    /// "workload/target/phase", as criterion and filters name it.
    pub fn id(&self) -> String {
        self.key().to_string()
    }

    /// The cell as result rows name it.
    pub fn key(&self) -> CellKey {
        CellKey {
            workload: self.workload.name.clone(),
            target: self.target.to_string(),
            phase: self.phase.to_string(),
        }
    }
}

/// One rep of one cell in the run order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub cell: usize,
    /// 0-based among the cell's warm-ups, or among its measured reps.
    pub rep: u32,
    pub warmup: bool,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub file: WorkloadFile,
    pub cells: Vec<Cell>,
    pub targets: Vec<TargetSpec>,
    pub reps: u32,
    pub warmup: u32,
    pub seed: u64,
    /// Rounds go on past `reps` while a cell's ratio CI is wider than this, up to `max_reps`.
    pub target_ci: Option<Percent>,
    /// Most measured reps per cell (`reps` without a `target_ci`).
    pub max_reps: u32,
    /// Cells left out, with why (e.g. a write workload on a read-only target).
    pub skipped: Vec<String>,
    /// The workloads chosen by name (`--only`), when not all of the file's.
    pub only: Option<Vec<String>>,
    pub scale: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub targets: Option<Vec<TargetSpec>>,
    pub reps: Option<u32>,
    pub warmup: Option<u32>,
    pub seed: Option<u64>,
    pub workloads: Option<Vec<String>>,
    /// `--scale`: every workload's amount of data and operations times this.
    pub scale: Option<f64>,
    pub target_ci: Option<Percent>,
    pub max_reps: Option<u32>,
}

impl Plan {
    pub fn new(mut file: WorkloadFile, overrides: &Overrides) -> Result<Plan> {
        if let Some(scale) = overrides.scale {
            if !(scale.is_finite() && scale > 0.0 && scale <= 100.0) {
                return Err(Error::input(
                    "--scale",
                    format!("{scale} is outside (0, 100]"),
                ));
            }
            for w in &mut file.workloads {
                w.params = w.params.scaled(scale);
            }
        }
        let targets = overrides
            .targets
            .clone()
            .unwrap_or_else(|| file.run.targets.clone());
        if targets.is_empty() {
            return Err(Error::input("--targets", "names no target"));
        }
        let reps = overrides.reps.unwrap_or(file.run.reps);
        if reps == 0 {
            return Err(Error::input("--reps", "must be at least 1"));
        }
        let (cells, skipped) = cells(&file, &targets, overrides.workloads.as_deref())?;
        let target_ci = overrides.target_ci.or(file.run.target_ci);
        let max_reps = goal::max_reps(&file, overrides, reps, target_ci.is_some())?;
        let plan = Plan {
            cells,
            targets,
            reps,
            target_ci,
            max_reps,
            warmup: overrides.warmup.unwrap_or(file.run.warmup),
            seed: overrides.seed.unwrap_or(file.run.seed),
            skipped,
            only: overrides.workloads.clone(),
            scale: overrides.scale,
            file,
        };
        plan.check_tmpfs()?;
        Ok(plan)
    }

    /// Datasets and checkpoints of every workload live in the one tmpfs at once.
    fn check_tmpfs(&self) -> Result<()> {
        if !self.targets.iter().any(|t| t.kind == TargetKind::Tmpfs) {
            return Ok(());
        }
        // A dataset read by several workloads is on the tmpfs once.
        let mut datasets = std::collections::BTreeMap::new();
        let mut written = 0;
        for w in self.workloads_on(TargetKind::Tmpfs) {
            let all = w.params.footprint();
            match DatasetSpec::of(w) {
                Some(ds) => {
                    let data = w.params.dataset_footprint();
                    datasets.insert(ds.id(), data);
                    written += all.saturating_sub(data);
                }
                None => written += all,
            }
        }
        let need = written + datasets.values().sum::<u64>();
        let size = self.file.targets.tmpfs.size;
        let place = format!("{}: [targets.tmpfs] size", self.file.path.display());
        if need > size.0 {
            return Err(Error::input(
                place,
                format!("{size} cannot hold the {} the workloads need on tmpfs; raise it or shrink the datasets", ByteSize(need)),
            ));
        }
        let memory = self.file.targets.container.memory;
        if size.0 + (256 << 20) > memory.0 {
            return Err(Error::input(
                place,
                format!("{size} plus 256MiB headroom exceeds the container memory limit {memory} (tmpfs pages count against it); raise [targets.container] memory"),
            ));
        }
        Ok(())
    }

    fn workloads_on(&self, kind: TargetKind) -> impl Iterator<Item = &Workload> {
        let mut seen = Vec::new();
        self.cells
            .iter()
            .filter(move |c| c.target.kind == kind)
            .filter_map(move |c| {
                if seen.contains(&c.workload.name) {
                    None
                } else {
                    seen.push(c.workload.name.clone());
                    Some(&c.workload)
                }
            })
    }

    /// Warm-up rounds first, then measured rounds; each round runs every cell once, in an
    /// order shuffled with the run's seed so no cell always follows the same neighbour.
    pub fn steps(&self) -> Vec<Step> {
        let all: Vec<usize> = (0..self.cells.len()).collect();
        let warmups = (0..self.warmup).flat_map(|r| self.round(r, true, &all));
        warmups
            .chain((0..self.reps).flat_map(|r| self.round(r, false, &all)))
            .collect()
    }

    /// Round `rep` of the warm-ups or of the measured reps, over `cells` (indices), in its
    /// shuffled order. Measured rounds past `reps` (added for the CI goal) keep the scheme.
    pub fn round(&self, rep: u32, warmup: bool, cells: &[usize]) -> Vec<Step> {
        let index = if warmup { rep } else { self.warmup + rep };
        let mut order: Vec<usize> = (0..self.cells.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(
            self.seed ^ ((index as u64) << 32),
        ));
        order
            .into_iter()
            .filter(|c| cells.contains(c))
            .map(|cell| Step { cell, rep, warmup })
            .collect()
    }

    pub fn needs_docker(&self) -> bool {
        self.targets.iter().any(|t| t.kind.in_container())
    }
}

/// Every workload (of `only`, when given) on every target in each of its phases, less the
/// cells that cannot run, which are listed with why.
fn cells(
    file: &WorkloadFile,
    targets: &[TargetSpec],
    only: Option<&[String]>,
) -> Result<(Vec<Cell>, Vec<String>)> {
    for name in only.unwrap_or_default() {
        if !file.workloads.iter().any(|w| &w.name == name) {
            return Err(Error::input(
                "--workload-name",
                format!("{} has no workload named \"{name}\"", file.path.display()),
            ));
        }
    }
    let (mut cells, mut skipped) = (Vec::new(), Vec::new());
    let chosen = file
        .workloads
        .iter()
        .filter(|w| only.map_or(true, |names| names.contains(&w.name)));
    for w in chosen {
        for target in targets {
            for phase in &w.phases {
                match cannot_run(w, target) {
                    Some(why) => skipped.push(format!("{}/{target}/{phase}: {why}", w.name)),
                    None => cells.push(Cell {
                        workload: w.clone(),
                        target: *target,
                        phase: *phase,
                    }),
                }
            }
        }
    }
    if cells.is_empty() {
        return Err(Error::input(
            file.path.display().to_string(),
            "the workloads and targets chosen leave no cell to run",
        ));
    }
    Ok((cells, skipped))
}

/// Why `w` cannot run on `target`, if it cannot.
fn cannot_run(w: &Workload, target: &TargetSpec) -> Option<String> {
    let kind = w.params.kind();
    if w.params.needs_peer() && matches!(target.kind, TargetKind::Tmpfs | TargetKind::Layer) {
        return Some(format!(
            "{kind} needs two containers on one storage; a {} belongs to one container",
            target.kind.as_str()
        ));
    }
    if target.ro && !w.params.reads_dataset() {
        return Some(format!("{kind} writes, {target} is read-only"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const FILE: &str = r#"
[run]
reps = 3
warmup = 1
targets = ["native", "bind:ro", "tmpfs"]
[targets.tmpfs]
size = "64MiB"
[[workload]]
kind = "seq-read"
shards = 2
shard_size = "1MiB"
phases = ["cold", "warm"]
[[workload]]
kind = "checkpoint"
size = "4MiB"
chunk_size = "1MiB"
"#;

    #[test]
    fn cells_steps_and_skips() {
        let file = WorkloadFile::parse(Path::new("t.toml"), FILE).unwrap();
        let plan = Plan::new(file, &Overrides::default()).unwrap();
        // seq-read: 3 targets × 2 phases; checkpoint: native + tmpfs (bind:ro skipped).
        assert_eq!(plan.cells.len(), 8);
        assert_eq!(plan.skipped.len(), 1);
        let steps = plan.steps();
        assert_eq!(steps.len(), 8 * 4);
        assert!(steps[..8].iter().all(|s| s.warmup));
        for cell in 0..8 {
            let reps: Vec<u32> = steps
                .iter()
                .filter(|s| s.cell == cell && !s.warmup)
                .map(|s| s.rep)
                .collect();
            assert_eq!(reps, [0, 1, 2]);
        }
        assert_ne!(
            steps[8..16].iter().map(|s| s.cell).collect::<Vec<_>>(),
            steps[16..24].iter().map(|s| s.cell).collect::<Vec<_>>(),
            "rounds are shuffled differently"
        );
    }

    #[test]
    fn refuses_datasets_larger_than_the_tmpfs() {
        let text = FILE.replace("size = \"64MiB\"", "size = \"4MiB\"");
        let file = WorkloadFile::parse(Path::new("t.toml"), &text).unwrap();
        let err = Plan::new(file, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[targets.tmpfs] size") && err.contains("cannot hold"),
            "{err}"
        );
    }

    #[test]
    fn scale_shrinks_counts_and_keeps_per_op_sizes() {
        use crate::workload::Params;
        let file = WorkloadFile::parse(Path::new("w.toml"), FILE).unwrap();
        let plan = Plan::new(
            file,
            &Overrides {
                scale: Some(0.5),
                ..Default::default()
            },
        )
        .unwrap();
        for cell in &plan.cells {
            match &cell.workload.params {
                Params::SeqRead(p) => assert_eq!((p.shards, p.shard_size.0), (1, 1 << 20)),
                Params::Checkpoint(p) => assert_eq!((p.size.0, p.chunk_size.0), (2 << 20, 1 << 20)),
                other => panic!("{other:?}"),
            }
        }
        for bad in [0.0, -1.0, f64::NAN, 1000.0] {
            let file = WorkloadFile::parse(Path::new("w.toml"), FILE).unwrap();
            let err = Plan::new(
                file,
                &Overrides {
                    scale: Some(bad),
                    ..Default::default()
                },
            )
            .err()
            .unwrap();
            assert!(err.to_string().contains("--scale"), "{err}");
        }
    }
}
