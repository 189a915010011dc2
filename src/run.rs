//! Executing a plan: targets started lazily, datasets prepared once, one agent call per rep,
//! every rep recorded and the result files rewritten atomically right after it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use crate::agent::{RepResult, RepSpec};
use crate::analysis::{analyze, Analysis};
use crate::datadir::DataDir;
use crate::env::{Env, HostFacts};
use crate::error::{Error, IoContext, Result};
use crate::export;
use crate::measure::{LatencySummary, OpHistograms};
use crate::metric::Metric;
use crate::plan::{Overrides, Plan, Step, WorkloadFile};
use crate::results::{write_atomic, CellKey, RepRow, Results, RunMeta, SCHEMA};
use crate::targets::container::{ContainerConfig, ContainerHost};
use crate::targets::engine::Engine;
use crate::targets::native::NativeHost;
use crate::targets::spec::{TargetKind, TargetSpec};
use crate::targets::{image, Target};
use crate::workload::cache;
use crate::workload::dataset::DatasetSpec;

const MAX_RESTARTS: u32 = 3;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Ask a running plan to stop after the rep in flight (Ctrl-C, SIGTERM).
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

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
}

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    pub ok: bool,
    pub error: Option<String>,
    /// Seconds of the headline metric, as measured inside the agent.
    pub seconds: f64,
    pub bytes: u64,
    pub mib_s: f64,
}

pub struct Session {
    pub plan: Plan,
    options: RunOptions,
    pub out_dir: PathBuf,
    env: Env,
    results: Results,
    data: DataDir,
    engine: Option<Arc<Engine>>,
    image: Option<String>,
    targets: BTreeMap<TargetSpec, Target>,
    broken: BTreeMap<TargetSpec, String>,
    /// Teardowns that failed before the end of the run (a dead target's), for the summary.
    teardown_errors: Vec<String>,
    /// Times a target's container was found dead after a failed rep and started anew.
    restarts: BTreeMap<TargetSpec, u32>,
    seq: u64,
    out_created: bool,
    /// Steps already recorded as successful (a resumed run).
    done: BTreeSet<StepKey>,
    /// Held while the session writes its folder, so two runs never write one folder.
    _lock: Option<std::fs::File>,
}

/// A step as result rows name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct StepKey {
    workload: String,
    target: String,
    phase: String,
    rep: u32,
    warmup: bool,
}

impl StepKey {
    fn of_row(r: &RepRow) -> StepKey {
        StepKey {
            workload: r.workload.clone(),
            target: r.target.clone(),
            phase: r.phase.clone(),
            rep: r.rep,
            warmup: r.warmup,
        }
    }

    fn of_step(plan: &Plan, s: &Step) -> StepKey {
        let cell = &plan.cells[s.cell];
        StepKey {
            workload: cell.workload.name.clone(),
            target: cell.target.to_string(),
            phase: cell.phase.to_string(),
            rep: s.rep,
            warmup: s.warmup,
        }
    }
}

fn check_drop_caches(options: &RunOptions) -> Result<()> {
    if options.drop_caches && !rustix::process::geteuid().is_root() {
        return Err(Error::input(
            "--drop-caches",
            "needs root (it writes /proc/sys/vm/drop_caches)",
        ));
    }
    Ok(())
}

fn connect_if_needed(plan: &Plan) -> Result<Option<Arc<Engine>>> {
    Ok(if plan.needs_docker() {
        Some(Arc::new(Engine::connect()?))
    } else {
        None
    })
}

/// An exclusive lock on the results folder itself, refused at once when another run holds it.
fn lock_out(dir: &Path) -> Result<std::fs::File> {
    let handle = std::fs::File::open(dir).at(dir)?;
    rustix::fs::flock(
        &handle,
        rustix::fs::FlockOperation::NonBlockingLockExclusive,
    )
    .map_err(|_| {
        Error::input(
            dir.display().to_string(),
            "another mountbench run is writing this folder",
        )
    })?;
    Ok(handle)
}

fn run_id() -> String {
    format!(
        "{}-{:04x}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S"),
        rand::random::<u16>()
    )
}

/// Refuse an --out folder that already holds files (results are never overwritten) or that
/// cannot be created; checked before anything is created.
fn check_out(out: &Path) -> Result<()> {
    let place = format!("--out {}", out.display());
    if let Ok(mut entries) = std::fs::read_dir(out) {
        if entries.next().is_some() {
            return Err(Error::input(
                place,
                "already holds files; give a new folder (results are never overwritten)",
            ));
        }
        return Ok(());
    }
    if out.exists() {
        return Err(Error::input(place, "is not a folder"));
    }
    let ancestor = out
        .ancestors()
        .skip(1)
        .find(|a| a.as_os_str().is_empty() || a.exists())
        .unwrap_or(Path::new("."));
    let ancestor = if ancestor.as_os_str().is_empty() {
        Path::new(".")
    } else {
        ancestor
    };
    if !ancestor.is_dir() {
        return Err(Error::input(
            place,
            format!("cannot be created: {} is not a folder", ancestor.display()),
        ));
    }
    rustix::fs::access(ancestor, rustix::fs::Access::WRITE_OK).map_err(|e| {
        Error::input(
            place,
            format!("cannot be created in {}: {e}", ancestor.display()),
        )
    })
}

impl Session {
    /// Check everything the user gave before creating anything, then connect the engine
    /// (when a container target is planned) and write env.json.
    pub fn open(plan: Plan, options: RunOptions) -> Result<Session> {
        DataDir::check(&options.data_dir)?;
        let id = run_id();
        let host_facts = HostFacts::collect(Path::new("/"));
        let out_dir = options.out.clone().unwrap_or_else(|| {
            PathBuf::from("results")
                .join(&host_facts.hostname)
                .join(&id)
        });
        check_out(&out_dir)?;
        check_drop_caches(&options)?;
        let engine = connect_if_needed(&plan)?;
        let data = DataDir::open(&options.data_dir)?;
        let mut host = HostFacts::collect(&data.path);
        host.data_dir = data.path.display().to_string();
        let mut env = Env::new(&id, host, &plan, options.drop_caches);
        env.engine = engine.as_ref().map(|e| e.facts.clone());
        let meta = RunMeta {
            run_id: id,
            host: env.host.hostname.clone(),
            os: format!("{} {}", env.host.os, env.host.kernel),
            engine: env.engine_label(),
        };
        Ok(Session::with(
            plan,
            options,
            out_dir,
            env,
            Results::new(meta),
            data,
            engine,
        ))
    }

    /// Reopen an interrupted run's folder: the same plan (rebuilt from env.json, not from
    /// the workload file on disk, which may have changed since), its successful reps kept,
    /// its failed reps to be run again.
    pub fn resume(dir: &Path, mut options: RunOptions) -> Result<Session> {
        let mut env = Env::load(dir)?;
        let lock = lock_out(dir)?;
        let place = dir.join("env.json").display().to_string();
        let file =
            WorkloadFile::parse(Path::new(&env.workload_file.path), &env.workload_file.text)?;
        let targets = env
            .plan_targets
            .iter()
            .map(|t| t.parse::<TargetSpec>().map_err(|e| Error::input(&place, e)))
            .collect::<Result<Vec<_>>>()?;
        if targets.is_empty() {
            return Err(Error::input(
                &place,
                "records no targets; it was written by an older mountbench that cannot resume",
            ));
        }
        let overrides = Overrides {
            targets: Some(targets),
            reps: Some(env.reps),
            warmup: Some(env.warmup),
            seed: Some(env.seed),
            workloads: env.only.clone(),
            scale: env.scale,
        };
        let plan = Plan::new(file, &overrides)?;
        options.out = Some(dir.to_path_buf());
        options.drop_caches = env.drop_caches;
        DataDir::check(&options.data_dir)?;
        check_drop_caches(&options)?;
        let mut results = if dir.join("reps.csv").is_file() {
            Results::load(dir)?
        } else {
            Results::new(RunMeta {
                run_id: env.run_id.clone(),
                host: env.host.hostname.clone(),
                os: format!("{} {}", env.host.os, env.host.kernel),
                engine: env.engine_label(),
            })
        };
        if results.meta.run_id != env.run_id {
            return Err(Error::input(
                dir.join("reps.csv").display().to_string(),
                format!(
                    "belongs to run {}, env.json to run {}",
                    results.meta.run_id, env.run_id
                ),
            ));
        }
        let failed = results.reps.iter().filter(|r| !r.ok).count();
        results.reps.retain(|r| r.ok);
        let done: BTreeSet<StepKey> = results.reps.iter().map(StepKey::of_row).collect();
        let engine = connect_if_needed(&plan)?;
        let data = DataDir::open(&options.data_dir)?;
        env.finished = None;
        env.resumed.push(format!(
            "{}: {} reps done kept, {failed} failed rows dropped to be run again",
            crate::env::now(),
            done.len()
        ));
        let seq = results.reps.len() as u64 + failed as u64;
        let mut session =
            Session::with(plan, options, dir.to_path_buf(), env, results, data, engine);
        session.seq = seq;
        session.out_created = true;
        session.done = done;
        session._lock = Some(lock);
        Ok(session)
    }

    fn with(
        plan: Plan,
        options: RunOptions,
        out_dir: PathBuf,
        env: Env,
        results: Results,
        data: DataDir,
        engine: Option<Arc<Engine>>,
    ) -> Session {
        Session {
            plan,
            options,
            out_dir,
            env,
            results,
            data,
            engine,
            image: None,
            targets: BTreeMap::new(),
            broken: BTreeMap::new(),
            restarts: BTreeMap::new(),
            teardown_errors: Vec::new(),
            seq: 0,
            out_created: false,
            done: BTreeSet::new(),
            _lock: None,
        }
    }

    /// The steps of the plan not yet done, in the plan's order.
    pub fn pending_steps(&self) -> Vec<Step> {
        self.plan
            .steps()
            .into_iter()
            .filter(|s| !self.done.contains(&StepKey::of_step(&self.plan, s)))
            .collect()
    }

    pub fn run_id(&self) -> &str {
        &self.results.meta.run_id
    }

    fn ensure_out(&mut self) -> Result<()> {
        if !self.out_created {
            std::fs::create_dir_all(&self.out_dir).map_err(|e| {
                Error::input(
                    format!("--out {}", self.out_dir.display()),
                    format!("cannot create it: {e}"),
                )
            })?;
            self.out_created = true;
            self._lock = Some(lock_out(&self.out_dir)?);
            self.save_env()?;
        }
        Ok(())
    }

    fn save_env(&mut self) -> Result<()> {
        self.env.targets = self.targets.values().map(Target::facts).collect();
        let json = serde_json::to_vec_pretty(&self.env).expect("env serializes");
        write_atomic(&self.out_dir.join("env.json"), &json)
    }

    fn scratch(&self, target: &TargetSpec) -> String {
        format!("{}-{}", self.run_id(), target.to_string().replace(':', "-"))
    }

    /// The target of a cell, started on first use.
    fn target(&mut self, spec: TargetSpec) -> Result<&mut Target> {
        if let Some(why) = self.broken.get(&spec) {
            return Err(Error::Docker(format!(
                "target {spec} could not start: {why}"
            )));
        }
        if !self.targets.contains_key(&spec) {
            match self.start_target(spec) {
                Ok(mut target) => {
                    if let Err(e) = target.mount_facts() {
                        let _ = target.teardown();
                        self.broken.insert(spec, e.to_string());
                        return Err(e);
                    }
                    self.targets.insert(spec, target);
                    self.save_env()?;
                }
                Err(e) => {
                    self.broken.insert(spec, e.to_string());
                    return Err(e);
                }
            }
        }
        Ok(self.targets.get_mut(&spec).expect("inserted above"))
    }

    fn start_target(&mut self, spec: TargetSpec) -> Result<Target> {
        let host_root = self.data.host_root();
        std::fs::create_dir_all(&host_root).at(&host_root)?;
        let backup_root = self.data.backup_root();
        std::fs::create_dir_all(&backup_root).at(&backup_root)?;
        if spec.kind == TargetKind::Native {
            return Ok(Target::new(
                spec,
                Box::new(NativeHost::new(
                    &self.options.agent_exe,
                    &host_root,
                    &backup_root,
                )),
            ));
        }
        let engine = self
            .engine
            .clone()
            .ok_or_else(|| Error::Docker("no engine connected".into()))?;
        if self.image.is_none() {
            self.image = Some(image::ensure(&engine, &self.options.agent_exe)?);
        }
        let config = ContainerConfig {
            run_id: &self.results.meta.run_id,
            image: self.image.as_deref().expect("set above"),
            bind_source: &host_root,
            backup_source: &backup_root,
            settings: &self.plan.file.targets,
        };
        let host = ContainerHost::start(engine, spec, &config)?;
        Ok(Target::new(spec, Box::new(host)))
    }

    /// Run one step, record it and rewrite the result files. A failure is recorded as a
    /// failed rep; only errors writing the results themselves are returned.
    pub fn run_step(&mut self, step: Step) -> Result<StepOutcome> {
        self.ensure_out()?;
        let cell = self.plan.cells[step.cell].clone();
        self.seq += 1;
        let spec = RepSpec {
            workload: cell.workload.clone(),
            phase: cell.phase,
            root: PathBuf::new(),
            scratch: self.scratch(&cell.target),
            seq: self.seq,
            backup: PathBuf::new(),
            role: crate::agent::Role::Solo,
        };
        let drop_caches = self.options.drop_caches && cell.phase == crate::workload::Phase::Cold;
        let outcome = self.execute(cell.target, spec, drop_caches);
        if outcome.is_err() {
            self.restart_if_dead(cell.target);
        }
        let key = CellKey {
            workload: cell.workload.name.clone(),
            target: cell.target.to_string(),
            phase: cell.phase.to_string(),
        };
        let (rows, hist, result) = self.rows(&cell, step, outcome);
        let measured = if step.warmup { None } else { hist };
        self.results.record(rows, key, measured);
        let analysis = analyze(&self.results);
        export::write_all(&self.out_dir, &self.results, &analysis)?;
        Ok(result)
    }

    /// After a failed rep: a target whose container died (killed, out of memory) is torn down
    /// so that its next rep starts a fresh one, up to MAX_RESTARTS times per target.
    fn restart_if_dead(&mut self, spec: TargetSpec) {
        let Some(target) = self.targets.get_mut(&spec) else {
            return;
        };
        if target.alive() {
            return;
        }
        if let Err(e) = target.teardown() {
            self.teardown_errors.push(format!("{spec}: {e}"));
        }
        self.targets.remove(&spec);
        let restarts = self.restarts.entry(spec).or_insert(0);
        *restarts += 1;
        if *restarts > MAX_RESTARTS {
            self.broken.insert(
                spec,
                format!("its container died {restarts} times; not started again"),
            );
        }
    }

    fn execute(
        &mut self,
        target: TargetSpec,
        mut spec: RepSpec,
        drop_caches: bool,
    ) -> Result<(RepResult, f64)> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let dataset = DatasetSpec::of(&spec.workload);
        let t = self.target(target)?;
        let prepared = match &dataset {
            Some(ds) => t.prepare_dataset(ds, threads)?,
            None => None,
        };
        spec.root = t.root();
        spec.backup = t.backup_root();
        if let Some(report) = prepared {
            if self.options.progress {
                let what = if report.reused {
                    "reused".to_string()
                } else {
                    format!(
                        "generated in {:.1} s ({:.0} MiB/s)",
                        report.seconds, report.mib_s
                    )
                };
                eprintln!(
                    "mountbench: dataset {} on {target}: {} files, {}, {what}",
                    report.id,
                    report.files,
                    crate::size::ByteSize(report.bytes)
                );
            }
            self.env.datasets.push(crate::env::DatasetFacts {
                target: target.to_string(),
                report,
            });
            self.save_env()?;
        }
        let t = self.targets.get_mut(&target).expect("started above");
        if drop_caches {
            cache::drop_host_caches().map_err(|e| Error::io("/proc/sys/vm/drop_caches", e))?;
        }
        t.run_rep(&spec)
    }

    fn rows(
        &self,
        cell: &crate::plan::Cell,
        step: Step,
        outcome: Result<(RepResult, f64)>,
    ) -> (Vec<RepRow>, Option<OpHistograms>, StepOutcome) {
        let meta = &self.results.meta;
        let base = |metric: Metric| RepRow {
            schema: SCHEMA,
            run_id: meta.run_id.clone(),
            host: meta.host.clone(),
            os: meta.os.clone(),
            engine: meta.engine.clone(),
            workload: cell.workload.name.clone(),
            kind: cell.workload.params.kind().to_string(),
            target: cell.target.to_string(),
            phase: cell.phase.to_string(),
            metric,
            rep: step.rep,
            warmup: step.warmup,
            bytes: 0,
            ops: 0,
            seconds: 0.0,
            mib_s: 0.0,
            ops_s: 0.0,
            p50_us: None,
            p99_us: None,
            residency: None,
            overhead_s: None,
            ok: false,
            error: String::new(),
            au: None,
        };
        let parsed = outcome.and_then(|(r, overhead)| {
            let h = OpHistograms::decode(&r.histograms).map_err(Error::Agent)?;
            Ok((r, overhead, h))
        });
        match parsed {
            Ok((result, overhead, hist)) => {
                let rows: Vec<RepRow> = result
                    .metrics
                    .iter()
                    .map(|m| {
                        let lat = hist.get(m.metric.main_op()).map(LatencySummary::of);
                        let mib_s = m.bytes as f64 / (1 << 20) as f64 / m.seconds;
                        RepRow {
                            bytes: m.bytes,
                            ops: m.ops,
                            seconds: m.seconds,
                            mib_s,
                            ops_s: m.ops as f64 / m.seconds,
                            p50_us: lat.map(|l| l.p50_us),
                            p99_us: lat.map(|l| l.p99_us),
                            residency: result.residency,
                            overhead_s: Some(overhead),
                            ok: true,
                            au: m.au,
                            ..base(m.metric)
                        }
                    })
                    .collect();
                let head = &rows[0];
                let outcome = StepOutcome {
                    ok: true,
                    error: None,
                    seconds: head.seconds,
                    bytes: head.bytes,
                    mib_s: head.mib_s,
                };
                (rows, Some(hist), outcome)
            }
            Err(e) => {
                let message = e.to_string();
                let rows = cell
                    .workload
                    .params
                    .metrics()
                    .iter()
                    .map(|m| RepRow {
                        error: message.clone(),
                        ..base(*m)
                    })
                    .collect();
                let outcome = StepOutcome {
                    ok: false,
                    error: Some(message),
                    seconds: 0.0,
                    bytes: 0,
                    mib_s: 0.0,
                };
                (rows, None, outcome)
            }
        }
    }

    /// Tear every target down, remove scratch files on the host, write the final files.
    pub fn finish(mut self) -> Result<RunSummary> {
        let mut teardown_errors = std::mem::take(&mut self.teardown_errors);
        for (spec, target) in self.targets.iter_mut() {
            if let Err(e) = target.teardown() {
                teardown_errors.push(format!("{spec}: {e}"));
            }
        }
        for spec in self.plan.targets.clone() {
            let mut leftovers = vec![self.data.backup_root().join(self.scratch(&spec))];
            if matches!(spec.kind, TargetKind::Native | TargetKind::Bind) {
                leftovers.push(
                    self.data
                        .host_root()
                        .join("scratch")
                        .join(self.scratch(&spec)),
                );
            }
            for dir in leftovers.into_iter().filter(|d| d.exists()) {
                std::fs::remove_dir_all(&dir).at(&dir)?;
            }
        }
        let mut failed_reps: Vec<String> = self
            .results
            .reps
            .iter()
            .filter(|r| !r.ok)
            .map(|r| {
                let kind = if r.warmup { "warm-up" } else { "rep" };
                format!(
                    "{}/{}/{} {kind} {}: {}",
                    r.workload, r.target, r.phase, r.rep, r.error
                )
            })
            .collect();
        // A failed rep has one row per metric; name it once.
        failed_reps.dedup();
        let analysis = analyze(&self.results);
        if self.out_created {
            self.env.finished = Some(crate::env::now());
            self.save_env()?;
            export::write_all(&self.out_dir, &self.results, &analysis)?;
        }
        Ok(RunSummary {
            run_id: self.run_id().to_string(),
            out_dir: self.out_dir.clone(),
            failed_reps,
            teardown_errors,
            analysis,
            skipped: self.plan.skipped.clone(),
            interrupted: false,
        })
    }
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
    run_session(Session::open(plan, options)?)
}

/// Finish an interrupted run in `dir`: only the steps without a successful rep run.
pub fn resume(dir: &Path, options: RunOptions) -> Result<RunSummary> {
    run_session(Session::resume(dir, options)?)
}

fn run_session(mut session: Session) -> Result<RunSummary> {
    let steps = session.pending_steps();
    let progress = session.options.progress;
    let bar = (progress && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(steps.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} ETA {eta} {msg}",
            )
            .expect("constant template")
            .progress_chars("=> "),
        );
        bar
    });
    if progress {
        eprintln!(
            "mountbench: run {} → {} ({} reps to do)",
            session.run_id(),
            session.out_dir.display(),
            steps.len()
        );
        for s in &session.plan.skipped {
            eprintln!("mountbench: skipped {s}");
        }
    }
    let mut interrupted_run = false;
    for (i, step) in steps.iter().enumerate() {
        if interrupted() {
            interrupted_run = true;
            break;
        }
        let cell_id = session.plan.cells[step.cell].id();
        if let Some(bar) = &bar {
            bar.set_message(cell_id.clone());
        }
        let outcome = session.run_step(*step)?;
        let label = if step.warmup {
            format!("warm-up {}", step.rep + 1)
        } else {
            format!("rep {}", step.rep + 1)
        };
        let line = match &outcome.error {
            None => format!(
                "[{}/{}] {cell_id} {label}: {:.1} MiB/s",
                i + 1,
                steps.len(),
                outcome.mib_s
            ),
            Some(e) => format!("[{}/{}] {cell_id} {label}: FAILED: {e}", i + 1, steps.len()),
        };
        match &bar {
            Some(bar) => {
                if !outcome.ok {
                    bar.println(line);
                }
                bar.inc(1);
            }
            None if progress => eprintln!("{line}"),
            None => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut summary = session.finish()?;
    summary.interrupted = interrupted_run;
    Ok(summary)
}
