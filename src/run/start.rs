//! Where a session starts from: everything the user gave checked before anything is
//! created, then the engine connected (when a container target is planned), the data dir
//! opened and the environment collected.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::out_dir::OutDir;
use super::resume::StepKey;
use super::RunOptions;
use crate::datadir::DataDir;
use crate::env::{Env, HostFacts};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::results::{Results, RunMeta};
use crate::targets::engine::Engine;
use crate::targets::folder_probe;
use crate::targets::hosts::HostFactory;

/// Connects the container engine a plan needs; tests give one that connects nothing.
pub(crate) type Connect = fn(&Plan) -> Result<Option<Arc<Engine>>>;

pub(crate) struct Start {
    pub(crate) out: OutDir,
    pub(crate) env: Env,
    pub(crate) results: Results,
    pub(crate) data: DataDir,
    pub(crate) engine: Option<Arc<Engine>>,
    /// Steps already recorded as successful (a resumed run).
    pub(crate) done: BTreeSet<StepKey>,
    /// Reps already run, warm-ups and failures included.
    pub(crate) seq: u64,
}

impl Start {
    /// A new run of `plan`.
    pub(crate) fn fresh(plan: &Plan, options: &RunOptions, connect: Connect) -> Result<Start> {
        DataDir::check(&options.data_dir)?;
        let id = run_id();
        let out = OutDir::check(options.out.clone().unwrap_or_else(|| {
            let hostname = HostFacts::collect(Path::new("/")).hostname;
            PathBuf::from("results").join(hostname).join(&id)
        }))?;
        check_drop_caches(options)?;
        let engine = connect(plan)?;
        let data = DataDir::open(&options.data_dir)?;
        check_shared_folder(engine.as_deref(), &data, &id, options)?;
        let mut host = HostFacts::collect(&data.path);
        host.data_dir = data.path.display().to_string();
        let mut env = Env::new(&id, host, plan, options.drop_caches);
        env.engine = engine.as_ref().map(|e| e.facts.clone());
        Ok(Start {
            out,
            results: Results::new(run_meta(&env)),
            env,
            data,
            engine,
            done: BTreeSet::new(),
            seq: 0,
        })
    }
}

/// The plan less the targets the hosts cannot serve on this engine, each noted as skipped.
pub(crate) fn skip_unserved(mut plan: Plan, hosts: &dyn HostFactory) -> Result<Plan> {
    for target in plan.targets.clone() {
        if let Some(why) = hosts.cannot_serve(target) {
            plan.skip_target(target, &why)?;
        }
    }
    Ok(plan)
}

pub(crate) fn connect_if_needed(plan: &Plan) -> Result<Option<Arc<Engine>>> {
    Ok(if plan.needs_docker() {
        Some(Arc::new(Engine::connect_default()?))
    } else {
        None
    })
}

/// Before anything is measured: the engine's containers must see the data dir, since every
/// container target bind-mounts folders of it.
pub(crate) fn check_shared_folder(
    engine: Option<&Engine>,
    data: &DataDir,
    run_id: &str,
    options: &RunOptions,
) -> Result<()> {
    match engine {
        Some(engine) => folder_probe::check_engine(engine, data, run_id, &options.agent_exe),
        None => Ok(()),
    }
}

pub(crate) fn check_drop_caches(options: &RunOptions) -> Result<()> {
    if options.drop_caches && !rustix::process::geteuid().is_root() {
        return Err(Error::input(
            "--drop-caches",
            "needs root (it writes /proc/sys/vm/drop_caches)",
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
        engine: env.engine_label(),
    }
}

fn run_id() -> String {
    format!(
        "{}-{:04x}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S"),
        rand::random::<u16>()
    )
}
