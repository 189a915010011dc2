//! Where a session starts from: everything the user gave checked before anything is
//! created, then every engine connected (when a container target is planned) and checked to
//! see the data dir, the data dir opened and the environment collected.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::out_dir::OutDir;
use super::RunOptions;
use crate::datadir::DataDir;
use crate::engine::address::{DockerEnv, EngineAddress};
use crate::engine::Engine;
use crate::env::{now, Env, HostFacts, WorkloadFileFacts};
use crate::error::{Error, Result};
use crate::plan::{Plan, Step};
use crate::results::{CellKey, RepRow, Results, RunMeta, SCHEMA};
use crate::targets::agent_binary::EngineKind;
use crate::targets::folder_probe;
use crate::targets::hosts::HostFactory;
use crate::targets::spec::Place;

/// Connects the engines of a plan; tests give one that connects nothing.
pub(crate) type Connect = fn(&[EngineAddress]) -> Result<Vec<Arc<Engine>>>;

pub(crate) struct Start {
    pub(crate) out: OutDir,
    pub(crate) env: Env,
    pub(crate) results: Results,
    pub(crate) data: DataDir,
    pub(crate) engines: Vec<Arc<Engine>>,
    /// Steps already recorded as successful (a resumed run).
    pub(crate) done: BTreeSet<StepKey>,
    /// Reps already run, warm-ups and failures included.
    pub(crate) seq: u64,
}

/// A step as result rows name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct StepKey {
    cell: CellKey,
    rep: u32,
    warmup: bool,
}

impl StepKey {
    pub(crate) fn of_row(r: &RepRow) -> StepKey {
        StepKey {
            cell: r.cell(),
            rep: r.rep,
            warmup: r.warmup,
        }
    }

    pub(crate) fn of_step(plan: &Plan, s: &Step) -> StepKey {
        StepKey {
            cell: plan.cells[s.cell].key(),
            rep: s.rep,
            warmup: s.warmup,
        }
    }
}

impl Start {
    /// A new run of `plan`.
    pub(crate) fn fresh(plan: &Plan, options: &RunOptions, connect: Connect) -> Result<Start> {
        Start::fresh_as(run_id(), plan, options, connect)
    }

    /// A new run of `plan` under the run id `id` (a fleet node's, shared by every node).
    pub(crate) fn fresh_as(
        id: String,
        plan: &Plan,
        options: &RunOptions,
        connect: Connect,
    ) -> Result<Start> {
        DataDir::check(&options.data_dir)?;
        let out = OutDir::check(options.out.clone().unwrap_or_else(|| {
            let hostname = HostFacts::collect(Path::new("/")).hostname;
            PathBuf::from("results").join(hostname).join(&id)
        }))?;
        check_drop_caches(options)?;
        let engines = connect(&addresses(plan, options)?)?;
        check_agent_binaries(&engines, options)?;
        let data = DataDir::open(&options.data_dir)?;
        check_shared_folders(&engines, &data, &id, options)?;
        let mut host = HostFacts::collect(&data.path);
        host.data_dir = data.path.display().to_string();
        let mut env = env_of(&id, host, plan, options.drop_caches);
        env.engines = engines
            .iter()
            .map(|e| (e.address.name.clone(), e.facts.clone()))
            .collect();
        Ok(Start {
            out,
            results: Results::new(run_meta(&env)),
            env,
            data,
            engines,
            done: BTreeSet::new(),
            seq: 0,
        })
    }
}

/// The plan less the places the hosts cannot serve (a target an engine cannot make storage
/// for), each noted as skipped.
pub(crate) fn skip_unserved(mut plan: Plan, hosts: &dyn HostFactory) -> Result<Plan> {
    for engine in plan.engines.clone() {
        for target in plan.targets.clone() {
            let place = Place::new(engine.as_str(), target);
            if let Some(why) = hosts.cannot_serve(&place) {
                plan.skip_place(&place, &why)?;
            }
        }
    }
    Ok(plan)
}

/// The engines a fresh plan runs on: none without a container target, else those named with
/// `--engine` (each name once, contexts looked up), else the one the docker CLI would use.
fn addresses(plan: &Plan, options: &RunOptions) -> Result<Vec<EngineAddress>> {
    if !plan.needs_docker() {
        return Ok(Vec::new());
    }
    let addresses = EngineAddress::chosen(&options.engines, &DockerEnv::from_process())?;
    let names: Vec<String> = addresses.iter().map(|a| a.name.clone()).collect();
    if names != plan.engines {
        return Err(Error::input(
            "--engine",
            format!(
                "the plan's engines {:?} are not the ones given ({names:?})",
                plan.engines
            ),
        ));
    }
    Ok(addresses)
}

/// Every engine connected, one after the other; the first that fails stops the run before
/// anything is created on any of them.
pub(crate) fn connect_all(addresses: &[EngineAddress]) -> Result<Vec<Arc<Engine>>> {
    addresses
        .iter()
        .map(|a| Ok(Arc::new(Engine::connect(a)?)))
        .collect()
}

/// Before anything is measured: each engine's containers must see the data dir, since every
/// container target bind-mounts folders of it.
pub(crate) fn check_shared_folders(
    engines: &[Arc<Engine>],
    data: &DataDir,
    run_id: &str,
    options: &RunOptions,
) -> Result<()> {
    for engine in engines {
        folder_probe::check_engine(engine, data, run_id, &options.agents)?;
    }
    Ok(())
}

/// Every agent binary the user gave fits one of the engines, before anything is created.
pub(crate) fn check_agent_binaries(engines: &[Arc<Engine>], options: &RunOptions) -> Result<()> {
    let kinds: Vec<(String, EngineKind)> = engines
        .iter()
        .map(|e| (e.address.name.clone(), EngineKind::of(&e.facts)))
        .collect();
    Ok(options.agents.check_engines(&kinds)?)
}

pub(crate) fn check_drop_caches(options: &RunOptions) -> Result<()> {
    if options.drop_caches && !rustix::process::geteuid().is_root() {
        return Err(Error::input(
            "--drop-caches",
            crate::platform::cache_drop().needs,
        ));
    }
    Ok(())
}

/// What every result row of the run repeats.
pub(crate) fn run_meta(env: &Env) -> RunMeta {
    RunMeta {
        run_id: env.run_id.clone(),
        host: env.host.hostname.clone(),
        os: format!("{} {}", env.host.os, env.host.kernel),
        engine_labels: env.engine_labels(),
    }
}

pub(crate) fn run_id() -> String {
    format!(
        "{}-{:04x}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S"),
        rand::random::<u16>()
    )
}

/// The run's environment record, before any engine or target is up.
fn env_of(run_id: &str, host: HostFacts, plan: &Plan, drop_caches: bool) -> Env {
    let file = &plan.file;
    Env {
        schema: SCHEMA,
        run_id: run_id.to_string(),
        mountbench_version: env!("CARGO_PKG_VERSION").to_string(),
        started: now(),
        finished: None,
        host,
        engines: BTreeMap::new(),
        engine: None,
        targets: Vec::new(),
        workload_file: WorkloadFileFacts {
            path: file.path.display().to_string(),
            hash: file.hash.clone(),
            text: file.text.clone(),
        },
        reps: plan.reps,
        warmup: plan.warmup,
        seed: plan.seed,
        drop_caches,
        datasets: Vec::new(),
        plan_targets: plan.targets.iter().map(|t| t.to_string()).collect(),
        plan_engines: plan.engines.clone(),
        only: plan.only.clone(),
        scale: plan.scale,
        resumed: Vec::new(),
        target_ci: plan.target_ci,
        max_reps: Some(plan.max_reps),
    }
}
