//! The plan: cells (workload × (native | engine × target) × phase) and the interleaved order
//! of their reps.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::cell::{CellKey, EngineName, DEFAULT_ENGINE};
use crate::error::{Error, Result};
use crate::percent::Percent;
use crate::targets::spec::{Place, TargetSpec};
use crate::workload::dataset::DatasetSpec;
use crate::workload::{Phase, Workload};

pub(crate) mod file;
mod matrix;

pub use file::{RunSettings, WorkloadFile};

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub workload: Workload,
    /// The engine's name; none for native, which runs on the host.
    pub engine: EngineName,
    pub target: TargetSpec,
    pub phase: Phase,
}

impl Cell {
    /// "workload/place/phase" (`seq/bind@vm/warm`), as criterion and filters name it.
    pub fn id(&self) -> String {
        self.key().to_string()
    }

    /// The cell as result rows name it.
    pub fn key(&self) -> CellKey {
        CellKey {
            workload: self.workload.name.clone(),
            engine: self.engine.clone(),
            target: self.target,
            phase: self.phase,
        }
    }

    /// Its target on its engine, as the run's pool knows it.
    pub(crate) fn place(&self) -> Place {
        Place::new(self.engine.clone(), self.target)
    }
}

/// One rep of one cell in the run order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
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
    /// The engines' names, in the order given; every container target runs on each.
    pub engines: Vec<String>,
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
    /// The engines' names (`--engine`); default: the one engine named `default`.
    pub engines: Option<Vec<String>>,
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
        let engines = overrides
            .engines
            .clone()
            .unwrap_or_else(|| vec![DEFAULT_ENGINE.to_string()]);
        let places = matrix::places(&targets, &engines)?;
        let explicit = overrides.targets.is_some() && overrides.workloads.is_some();
        let only = overrides.workloads.as_deref();
        let (cells, skipped) = matrix::cells(&file, &places, only, explicit)?;
        let target_ci = overrides.target_ci.or(file.run.target_ci);
        let max_reps = max_reps(&file, overrides, reps, target_ci.is_some())?;
        Ok(Plan {
            cells,
            targets,
            engines,
            reps,
            target_ci,
            max_reps,
            warmup: overrides.warmup.unwrap_or(file.run.warmup),
            seed: overrides.seed.unwrap_or(file.run.seed),
            skipped,
            only: overrides.workloads.clone(),
            scale: overrides.scale,
            file,
        })
    }

    /// Warm-up rounds first, then measured rounds; each round runs every cell once, in an
    /// order shuffled with the run's seed so no cell always follows the same neighbour.
    pub(crate) fn steps(&self) -> Vec<Step> {
        let all: Vec<usize> = (0..self.cells.len()).collect();
        let warmups = (0..self.warmup).flat_map(|r| self.round(r, true, &all));
        warmups
            .chain((0..self.reps).flat_map(|r| self.round(r, false, &all)))
            .collect()
    }

    /// Round `rep` of the warm-ups or of the measured reps, over `cells` (indices), in its
    /// shuffled order. Measured rounds past `reps` (added for the CI goal) keep the scheme.
    pub(crate) fn round(&self, rep: u32, warmup: bool, cells: &[usize]) -> Vec<Step> {
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

    /// Leave out every cell of a target the engine cannot serve, noting why.
    pub(crate) fn skip_place(&mut self, place: &Place, why: &str) -> Result<()> {
        let before = self.cells.len();
        self.cells
            .retain(|c| !(c.engine == place.engine && c.target == place.target));
        if self.cells.len() == before {
            return Ok(());
        }
        if !self.cells.iter().any(|c| c.target == place.target) {
            self.targets.retain(|t| *t != place.target);
        }
        self.skipped.push(format!("*/{place}/*: {why}"));
        if self.cells.is_empty() {
            return Err(Error::input(
                self.file.path.display().to_string(),
                format!("no cell is left to run: target {place} cannot run here ({why})"),
            ));
        }
        Ok(())
    }

    pub(crate) fn needs_docker(&self) -> bool {
        self.targets.iter().any(|t| t.kind.in_container())
    }

    /// The ids of the datasets the cells read, each once, in the plan's order.
    pub(crate) fn dataset_ids(&self) -> Vec<String> {
        self.datasets(|_| true).iter().map(|d| d.id()).collect()
    }

    /// The datasets the image targets read, each once: what their data image holds.
    pub(crate) fn image_datasets(&self) -> Vec<DatasetSpec> {
        self.datasets(|c| c.target.kind.from_image())
    }

    fn datasets(&self, of: impl Fn(&Cell) -> bool) -> Vec<DatasetSpec> {
        let mut datasets: Vec<DatasetSpec> = Vec::new();
        for dataset in self
            .cells
            .iter()
            .filter(|c| of(c))
            .filter_map(|c| DatasetSpec::of(&c.workload))
        {
            if !datasets.contains(&dataset) {
                datasets.push(dataset);
            }
        }
        datasets
    }
}

/// Most measured reps per cell: the override's, the file's, else 3 × reps with a CI target
/// and `reps` without; never fewer than `reps`.
fn max_reps(file: &WorkloadFile, o: &Overrides, reps: u32, target: bool) -> Result<u32> {
    let default = if target { reps.saturating_mul(3) } else { reps };
    let max = o.max_reps.or(file.run.max_reps).unwrap_or(default);
    if max < reps {
        return Err(Error::input(
            "--max-reps",
            format!("{max} is fewer than the {reps} reps every cell runs"),
        ));
    }
    Ok(max)
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
    fn a_target_the_engine_cannot_serve_is_left_out_with_why() {
        let file = WorkloadFile::parse(Path::new("t.toml"), FILE).unwrap();
        let mut plan = Plan::new(file, &Overrides::default()).unwrap();
        let place = |engine: &str, target: &str| Place {
            engine: engine.into(),
            target: target.parse().unwrap(),
        };
        let tmpfs: TargetSpec = "tmpfs".parse().unwrap();
        plan.skip_place(&place(DEFAULT_ENGINE, "tmpfs"), "not here")
            .unwrap();
        assert_eq!(plan.cells.len(), 5);
        assert!(plan.cells.iter().all(|c| c.target != tmpfs));
        assert!(!plan.targets.contains(&tmpfs));
        assert_eq!(plan.skipped.last().unwrap(), "*/tmpfs/*: not here");
        plan.skip_place(&place("", "native"), "no").unwrap();
        let err = plan
            .skip_place(&place(DEFAULT_ENGINE, "bind:ro"), "no")
            .unwrap_err();
        assert!(err.to_string().contains("no cell is left"), "{err}");
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

    #[test]
    fn max_reps_defaults_to_three_times_reps_with_a_target_and_is_never_below_reps() {
        let file = |run: &str| {
            let text = format!("[run]\nreps = 4\n{run}\n[[workload]]\nkind = \"seq-read\"\n");
            WorkloadFile::parse(Path::new("t.toml"), &text).unwrap()
        };
        let none = Overrides::default();
        assert_eq!(max_reps(&file(""), &none, 4, false).unwrap(), 4);
        assert_eq!(max_reps(&file(""), &none, 4, true).unwrap(), 12);
        assert_eq!(max_reps(&file("max_reps = 9"), &none, 4, true).unwrap(), 9);
        let cli = Overrides {
            max_reps: Some(6),
            ..Default::default()
        };
        assert_eq!(max_reps(&file("max_reps = 9"), &cli, 4, true).unwrap(), 6);
        let err = max_reps(&file("max_reps = 3"), &none, 4, true).unwrap_err();
        assert!(err.to_string().contains("fewer than the 4 reps"), "{err}");
    }
}
