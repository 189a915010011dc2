//! Executing a plan: targets started lazily, datasets prepared once, one agent call per rep,
//! every rep recorded and the result files rewritten atomically right after it.

#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod fake;
mod hosted;
mod out_dir;
mod pool;
pub mod preflight;
mod progress;
mod record;
mod resume;
mod rounds;
#[cfg(test)]
mod rounds_tests;
mod start;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::agent::{RepSpec, Role};
use crate::analysis::{analyze_with_goal, Analysis};
use crate::cancel::CancelToken;
use crate::datadir::DataDir;
use crate::engine::endpoint::EngineArg;
use crate::env::{DatasetFacts, Env};
use crate::error::{Error, IoContext, Result};
use crate::export;
use crate::plan::{Plan, Step};
use crate::results::Results;
use crate::size::ByteSize;
use crate::targets::hosts::{HostFactory, Hosts};
use crate::targets::spec::Place;
use crate::workload::dataset::{self, DatasetSpec};
use crate::workload::Phase;
pub use hosted::new_run_id;
pub(crate) use hosted::run_on_hosts;
use out_dir::OutDir;
use pool::Pool;
use progress::{Done, Progress};
pub use record::StepOutcome;
use start::{connect_all, Start, StepKey};

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Results folder; default `results/<host>/<run-id>`.
    pub out: Option<PathBuf>,
    pub data_dir: PathBuf,
    /// The engines of `--engine` (their names are the plan's); empty: the one the docker CLI
    /// would use. A resume reconnects the engines its env.json records.
    pub engines: Vec<EngineArg>,
    /// The agent binaries: the host's own, and Linux ones for other architectures.
    pub agents: crate::targets::agent_binary::AgentBinaries,
    /// Also drop the host's page cache before cold reps (root; drop_caches on Linux, purge on macOS).
    pub drop_caches: bool,
    /// Progress bar on a terminal, plain lines otherwise; nothing when false.
    pub progress: bool,
    /// Cancelled (Ctrl-C, SIGTERM): the run stops after the rep in flight, which is stopped.
    pub cancel: CancelToken,
    /// `--keep-free`: bytes kept free where datasets go, over the file's `[run] keep_free`.
    pub keep_free: Option<ByteSize>,
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

pub(crate) struct Session {
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
    /// Datasets that failed to generate, by target and id, with why: their reps fail at
    /// once with that error instead of generating again.
    failed_datasets: BTreeMap<(Place, String), String>,
}

impl Session {
    /// Check everything the user gave before creating anything, then connect the engine
    /// (when a container target is planned) and collect the environment.
    pub(crate) fn open(plan: Plan, options: RunOptions) -> Result<Session> {
        let keep = preflight::keep_free(&plan, options.keep_free);
        preflight::check_host(&plan, &options.data_dir, keep)?;
        let new_data_dir = !options.data_dir.exists();
        let mut start = Start::fresh(&plan, &options, connect_all)?;
        let hosts = real_hosts(&plan, &options, &mut start);
        let plan = start::skip_unserved(plan, hosts.as_ref()).inspect_err(|_| {
            if new_data_dir {
                start.data.remove_if_empty();
            }
        })?;
        let mut session = Session::new(plan, options, start, hosts);
        if let Err(e) = session.preflight_targets() {
            if new_data_dir {
                session.data.remove_if_empty();
            }
            return Err(e);
        }
        Ok(session)
    }

    /// Reopen an interrupted run's folder with the plan it was started with.
    pub(crate) fn resume(dir: &Path, mut options: RunOptions) -> Result<Session> {
        let (plan, mut start) = Start::resume(dir, &mut options, connect_all)?;
        let keep = preflight::keep_free(&plan, options.keep_free);
        preflight::check_host(&plan, &options.data_dir, keep)?;
        let hosts = real_hosts(&plan, &options, &mut start);
        let plan = start::skip_unserved(plan, hosts.as_ref())?;
        let mut session = Session::new(plan, options, start, hosts);
        session.preflight_targets()?;
        Ok(session)
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
            failed_datasets: BTreeMap::new(),
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
    pub(crate) fn pending_steps(&self) -> Vec<Step> {
        resume::pending(&self.plan, &self.done)
    }

    pub(crate) fn run_id(&self) -> &str {
        &self.results.meta.run_id
    }

    /// Run one step, record it and rewrite the result files. A failure is recorded as a
    /// failed rep; only errors writing the results themselves are returned.
    pub(crate) fn run_step(&mut self, step: Step) -> Result<StepOutcome> {
        if self.out.create()? {
            self.save_env()?;
        }
        let cell = self.plan.cells[step.cell].clone();
        self.seq += 1;
        let place = cell.place();
        let rep = RepSpec {
            workload: cell.workload.clone(),
            phase: cell.phase,
            root: PathBuf::new(),
            scratch: self.scratch(&place),
            seq: self.seq,
            backup: PathBuf::new(),
            role: Role::Solo,
            data_root: None,
        };
        let drop_caches = self.options.drop_caches && cell.phase == Phase::Cold;
        let answer = self.execute(&place, rep, drop_caches);
        if answer.is_err() {
            self.pool.restart_if_dead(&place);
        }
        let recorded = record::record(&self.results.meta, &cell, step, answer);
        let measured = recorded.histograms.filter(|_| !step.warmup);
        let rows = recorded.rows;
        self.results
            .record(rows, cell.key(), measured, recorded.probes);
        export::write_all(&self.out.path, &self.results, &self.analysis())?;
        Ok(recorded.outcome)
    }

    /// Start the target and prepare its dataset if not done, then run the rep.
    fn execute(&mut self, place: &Place, mut rep: RepSpec, drop_caches: bool) -> record::Answer {
        if self.pool.start(place)? {
            if let Some(copy) = self.pool.get(place)?.facts().copy {
                self.progress
                    .note(&format!("mountbench: {place}: {}", copy.describe()));
            }
            self.save_env()?;
        }
        if let Some(dataset) = DatasetSpec::of(&rep.workload) {
            self.prepare(place, &dataset)?;
        }
        let t = self.pool.get(place)?;
        rep.root = t.root();
        rep.backup = t.backup_root();
        if drop_caches {
            crate::platform::drop_all_caches().map_err(Error::CacheDrop)?;
        }
        t.run_rep(&rep)
    }

    /// Generate or reuse a dataset on a target, once per run; recorded in env.json. A
    /// dataset that failed to generate fails every later rep that reads it with the same
    /// error, without generating again (unless its container died meanwhile).
    fn prepare(&mut self, place: &Place, dataset: &DatasetSpec) -> Result<()> {
        let key = (place.clone(), dataset.id());
        if let Some(why) = self.failed_datasets.get(&key) {
            return Err(Error::Dataset(why.clone()));
        }
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let prepared = self.pool.get(place)?.prepare_dataset(dataset, threads);
        let report = match prepared {
            Ok(Some(report)) => report,
            Ok(None) => return Ok(()),
            Err(e) => return Err(self.dataset_failed(key, e)),
        };
        self.progress.dataset(place, &report);
        self.env.datasets.push(DatasetFacts {
            target: place.to_string(),
            report,
        });
        self.save_env()
    }

    /// Remember a dataset that failed to generate; a generation the host stopped (native
    /// and bind write the data dir) may leave a partial folder, removed now.
    fn dataset_failed(&mut self, key: (Place, String), e: Error) -> Error {
        let (place, id) = &key;
        if place.target.kind.has_host_side() {
            let base = dataset::datasets_dir(&self.data.host_root());
            let _ = dataset::remove_stale_partials(&base, None);
        }
        if !self.pool.get(place).is_ok_and(|t| t.alive()) {
            return e;
        }
        let why = format!("{id} could not be generated on {place}: {e}");
        self.failed_datasets.insert(key, why.clone());
        Error::Dataset(why)
    }

    /// The statistics so far, judged against the plan's CI goal.
    fn analysis(&self) -> Analysis {
        analyze_with_goal(&self.results, rounds::goal(&self.plan))
    }

    fn save_env(&mut self) -> Result<()> {
        self.env.targets = self.pool.facts();
        self.out.write_env(&self.env)
    }

    /// The folder of written files under a target's root, unique per run, engine and
    /// target (the bind targets of all engines share the host's folder).
    fn scratch(&self, place: &Place) -> String {
        format!("{}-{}", self.run_id(), place.slug())
    }

    /// Tear every target down, remove scratch files on the host, write the final files.
    pub(crate) fn finish(mut self) -> Result<RunSummary> {
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
        let places = ordered_places(&self.plan);
        for place in &places {
            let scratch = self.scratch(place);
            let mut leftovers = vec![self.data.backup_root().join(&scratch)];
            if place.target.kind.has_host_side() {
                leftovers.push(self.data.host_root().join("scratch").join(&scratch));
            }
            for dir in leftovers.into_iter().filter(|d| d.exists()) {
                std::fs::remove_dir_all(&dir).at(&dir)?;
            }
        }
        Ok(())
    }
}

/// Every place of the plan's cells, each once.
fn ordered_places(plan: &Plan) -> Vec<Place> {
    let mut places: Vec<Place> = plan.cells.iter().map(|c| c.place()).collect();
    places.sort();
    places.dedup();
    places
}

/// The hosts of a real run: the agent binary natively or in containers of its engine.
fn real_hosts(plan: &Plan, options: &RunOptions, start: &mut Start) -> Box<dyn HostFactory> {
    let hosts = Hosts::new(
        options.agents.clone(),
        start.data.clone(),
        std::mem::take(&mut start.engines),
        start.results.meta.run_id.clone(),
        plan.file.targets.clone(),
        options.cancel.clone(),
    );
    let hosts = hosts
        .with_datasets(plan.dataset_ids())
        .with_image_datasets(plan.image_datasets());
    Box::new(hosts)
}
