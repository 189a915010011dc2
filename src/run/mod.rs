//! Executing a plan: targets started lazily, datasets prepared once, one agent call per rep,
//! every rep recorded and the result files rewritten atomically right after it.

#[cfg(test)]
mod fake;
mod out_dir;
mod pool;
mod progress;
mod record;
mod resume;
mod rounds;
mod start;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::agent::{RepSpec, Role};
use crate::analysis::{analyze_with_goal, Analysis};
use crate::cancel::CancelToken;
use crate::datadir::DataDir;
use crate::env::{DatasetFacts, Env};
use crate::error::{Error, IoContext, Result};
use crate::export;
use crate::plan::{Plan, Step};
use crate::results::Results;
use crate::targets::hosts::{HostFactory, Hosts};
use crate::targets::spec::{TargetKind, TargetSpec};
use crate::workload::dataset::DatasetSpec;
use crate::workload::{cache, Phase};
use out_dir::OutDir;
use pool::Pool;
use progress::{Done, Progress};
pub use record::StepOutcome;
use resume::StepKey;
use start::{connect_if_needed, Start};

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Results folder; default `results/<host>/<run-id>`.
    pub out: Option<PathBuf>,
    pub data_dir: PathBuf,
    /// The mountbench binary that serves as the agent.
    pub agent_exe: PathBuf,
    /// Also drop the host's page cache before cold reps (root on Linux).
    pub drop_caches: bool,
    /// Progress bar on a terminal, plain lines otherwise; nothing when false.
    pub progress: bool,
    /// Cancelled (Ctrl-C, SIGTERM): the run stops after the rep in flight, which is stopped.
    pub cancel: CancelToken,
}

pub struct RunSummary {
    pub run_id: String,
    pub out_dir: PathBuf,
    pub failed_reps: Vec<String>,
    pub teardown_errors: Vec<String>,
    pub analysis: Analysis,
    pub skipped: Vec<String>,
    pub interrupted: bool,
}

/// Run a whole plan in its interleaved order with progress, then finish.
pub fn run(plan: Plan, options: RunOptions) -> Result<RunSummary> {
    Session::open(plan, options)?.run_all()
}

/// Finish an interrupted run in `dir`: only the steps without a successful rep run.
pub fn resume(dir: &Path, options: RunOptions) -> Result<RunSummary> {
    Session::resume(dir, options)?.run_all()
}

/// Steps of this invocation: run so far, and known so far (rounds add more).
struct Tally {
    ran: usize,
    total: usize,
}

pub struct Session {
    pub plan: Plan,
    options: RunOptions,
    out: OutDir,
    env: Env,
    results: Results,
    data: DataDir,
    pool: Pool,
    progress: Box<dyn Progress>,
    /// Reps run so far, warm-ups and failures included; seeds each rep's shuffle.
    seq: u64,
    /// Steps already recorded as successful (a resumed run).
    done: BTreeSet<StepKey>,
}

impl Session {
    /// Check everything the user gave before creating anything, then connect the engine
    /// (when a container target is planned) and collect the environment.
    pub fn open(plan: Plan, options: RunOptions) -> Result<Session> {
        let mut start = Start::fresh(&plan, &options, connect_if_needed)?;
        let hosts = real_hosts(&plan, &options, &mut start);
        Ok(Session::new(plan, options, start, hosts))
    }

    /// Reopen an interrupted run's folder with the plan it was started with.
    pub fn resume(dir: &Path, mut options: RunOptions) -> Result<Session> {
        let (plan, mut start) = Start::resume(dir, &mut options, connect_if_needed)?;
        let hosts = real_hosts(&plan, &options, &mut start);
        Ok(Session::new(plan, options, start, hosts))
    }

    pub(crate) fn new(
        plan: Plan,
        options: RunOptions,
        start: Start,
        hosts: Box<dyn HostFactory>,
    ) -> Session {
        Session {
            progress: progress::for_stderr(options.progress),
            plan,
            options,
            out: start.out,
            env: start.env,
            results: start.results,
            data: start.data,
            pool: Pool::new(hosts),
            seq: start.seq,
            done: start.done,
        }
    }

    /// The step loop: every pending step in the plan's order, then rounds for the CI goal,
    /// until done or cancelled.
    fn run_all(mut self) -> Result<RunSummary> {
        let steps = self.pending_steps();
        let run_id = &self.results.meta.run_id;
        let skipped = &self.plan.skipped;
        self.progress
            .begin(run_id, &self.out.path, steps.len(), skipped);
        let mut tally = Tally {
            ran: 0,
            total: steps.len(),
        };
        let mut interrupted = self.run_steps(steps, &mut tally)?;
        let mut round = self.plan.reps;
        while !interrupted {
            let Some(cells) = rounds::next_round(&self.plan, &self.results, round) else {
                break;
            };
            let steps = self.plan.round(round, false, &cells);
            let steps = resume::not_done(&self.plan, &self.done, steps);
            tally.total += steps.len();
            self.progress.round(round, steps.len());
            interrupted = self.run_steps(steps, &mut tally)?;
            round += 1;
        }
        self.progress.end();
        let mut summary = self.finish()?;
        summary.interrupted = interrupted;
        Ok(summary)
    }

    /// Run `steps` in order; true when cancelled before the last.
    fn run_steps(&mut self, steps: Vec<Step>, tally: &mut Tally) -> Result<bool> {
        for step in steps {
            if self.options.cancel.is_cancelled() {
                return Ok(true);
            }
            let cell = self.plan.cells[step.cell].id();
            self.progress.step(&cell);
            let outcome = self.run_step(step)?;
            let done = Done::new(tally.ran, tally.total, &cell, step, &outcome);
            self.progress.done(&done);
            tally.ran += 1;
        }
        Ok(false)
    }

    /// The steps of the plan not yet done, in the plan's order.
    pub fn pending_steps(&self) -> Vec<Step> {
        resume::pending(&self.plan, &self.done)
    }

    pub fn run_id(&self) -> &str {
        &self.results.meta.run_id
    }

    pub fn out_dir(&self) -> &Path {
        &self.out.path
    }

    /// Run one step, record it and rewrite the result files. A failure is recorded as a
    /// failed rep; only errors writing the results themselves are returned.
    pub fn run_step(&mut self, step: Step) -> Result<StepOutcome> {
        if self.out.create()? {
            self.save_env()?;
        }
        let cell = self.plan.cells[step.cell].clone();
        self.seq += 1;
        let rep = RepSpec {
            workload: cell.workload.clone(),
            phase: cell.phase,
            root: PathBuf::new(),
            scratch: self.scratch(&cell.target),
            seq: self.seq,
            backup: PathBuf::new(),
            role: Role::Solo,
            data_root: None,
        };
        let drop_caches = self.options.drop_caches && cell.phase == Phase::Cold;
        let answer = self.execute(cell.target, rep, drop_caches);
        if answer.is_err() {
            self.pool.restart_if_dead(cell.target);
        }
        let recorded = record::record(&self.results.meta, &cell, step, answer);
        let measured = if step.warmup {
            None
        } else {
            recorded.histograms
        };
        self.results.record(recorded.rows, cell.key(), measured);
        export::write_all(&self.out.path, &self.results, &self.analysis())?;
        Ok(recorded.outcome)
    }

    /// Start the target and prepare its dataset if not done, then run the rep.
    fn execute(
        &mut self,
        target: TargetSpec,
        mut rep: RepSpec,
        drop_caches: bool,
    ) -> record::Answer {
        if self.pool.start(target)? {
            self.save_env()?;
        }
        if let Some(dataset) = DatasetSpec::of(&rep.workload) {
            self.prepare(target, &dataset)?;
        }
        let t = self.pool.get(target)?;
        rep.root = t.root();
        rep.backup = t.backup_root();
        if drop_caches {
            cache::drop_host_caches().map_err(|e| Error::io("/proc/sys/vm/drop_caches", e))?;
        }
        t.run_rep(&rep)
    }

    /// Generate or reuse a dataset on a target, once per run; recorded in env.json.
    fn prepare(&mut self, target: TargetSpec, dataset: &DatasetSpec) -> Result<()> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let Some(report) = self.pool.get(target)?.prepare_dataset(dataset, threads)? else {
            return Ok(());
        };
        self.progress.dataset(target, &report);
        self.env.datasets.push(DatasetFacts {
            target: target.to_string(),
            report,
        });
        self.save_env()
    }

    /// The statistics so far, judged against the plan's CI goal.
    fn analysis(&self) -> Analysis {
        analyze_with_goal(&self.results, rounds::goal(&self.plan))
    }

    fn save_env(&mut self) -> Result<()> {
        self.env.targets = self.pool.facts();
        self.out.write_env(&self.env)
    }

    /// The folder of written files under a target's root, unique per run and target.
    fn scratch(&self, target: &TargetSpec) -> String {
        format!("{}-{}", self.run_id(), target.to_string().replace(':', "-"))
    }

    /// Tear every target down, remove scratch files on the host, write the final files.
    pub fn finish(mut self) -> Result<RunSummary> {
        let teardown_errors = self.pool.teardown();
        self.remove_scratch()?;
        let analysis = self.analysis();
        if self.out.created() {
            self.env.finished = Some(crate::env::now());
            self.save_env()?;
            export::write_all(&self.out.path, &self.results, &analysis)?;
        }
        Ok(RunSummary {
            run_id: self.run_id().to_string(),
            out_dir: self.out.path.clone(),
            failed_reps: record::failed_reps(&self.results.reps),
            teardown_errors,
            analysis,
            skipped: self.plan.skipped.clone(),
            interrupted: false,
        })
    }

    /// Scratch folders the targets left on the host: backups, and native and bind files.
    fn remove_scratch(&self) -> Result<()> {
        for spec in &self.plan.targets {
            let scratch = self.scratch(spec);
            let mut leftovers = vec![self.data.backup_root().join(&scratch)];
            if matches!(spec.kind, TargetKind::Native | TargetKind::Bind) {
                leftovers.push(self.data.host_root().join("scratch").join(&scratch));
            }
            for dir in leftovers.into_iter().filter(|d| d.exists()) {
                std::fs::remove_dir_all(&dir).at(&dir)?;
            }
        }
        Ok(())
    }
}

/// The hosts of a real run: the agent binary natively or in containers of the engine.
fn real_hosts(plan: &Plan, options: &RunOptions, start: &mut Start) -> Box<dyn HostFactory> {
    let hosts = Hosts::new(
        options.agent_exe.clone(),
        start.data.clone(),
        start.engine.take(),
        start.results.meta.run_id.clone(),
        plan.file.targets.clone(),
        options.cancel.clone(),
    );
    Box::new(hosts.with_datasets(plan.dataset_ids()))
}
