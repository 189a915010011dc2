//! Resuming an interrupted run: the same plan rebuilt from its env.json (not from the
//! workload file on disk, which may have changed since), its successful reps kept, its
//! failed reps dropped to be run again.

use std::collections::BTreeSet;
use std::path::Path;

use super::out_dir::OutDir;
use super::start::{
    check_agent_binaries, check_drop_caches, check_shared_folders, run_meta, Connect, Start,
    StepKey,
};
use super::RunOptions;
use crate::datadir::DataDir;
use crate::engine::address::{EngineAddress, Via};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::plan::WorkloadFile;
use crate::plan::{Overrides, Plan, Step};
use crate::results::Results;
use crate::targets::spec::TargetSpec;

impl Start {
    /// Reopen the run in `dir`; its plan, and the options it ran with.
    pub(crate) fn resume(
        dir: &Path,
        options: &mut RunOptions,
        connect: Connect,
    ) -> Result<(Plan, Start)> {
        let mut env = Env::load(dir)?;
        let out = OutDir::reopen(dir)?;
        let plan = plan_of(dir, &env)?;
        options.out = Some(dir.to_path_buf());
        options.drop_caches = env.drop_caches;
        DataDir::check(&options.data_dir)?;
        check_drop_caches(options)?;
        let mut results = results_of(dir, &env)?;
        let failed = results.reps.iter().filter(|r| !r.ok).count();
        results.reps.retain(|r| r.ok);
        let done: BTreeSet<StepKey> = results.reps.iter().map(StepKey::of_row).collect();
        let engines = connect(&addresses_of(&env, &plan)?)?;
        check_agent_binaries(&engines, options)?;
        let data = DataDir::open(&options.data_dir)?;
        check_shared_folders(&engines, &data, &env.run_id, options)?;
        results.meta.engine_labels = env.engine_labels();
        env.finished = None;
        env.resumed.push(format!(
            "{}: {} reps done kept, {failed} failed rows dropped to be run again",
            crate::env::now(),
            done.len()
        ));
        let seq = results.reps.len() as u64 + failed as u64;
        let start = Start {
            out,
            env,
            results,
            data,
            engines,
            done,
            seq,
        };
        Ok((plan, start))
    }
}

/// The plan as the run was started: its workload file's text, targets and overrides.
fn plan_of(dir: &Path, env: &Env) -> Result<Plan> {
    let place = dir.join("env.json").display().to_string();
    let file = WorkloadFile::parse(Path::new(&env.workload_file.path), &env.workload_file.text)?;
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
        engines: Some(env.plan_engines.clone()),
        reps: Some(env.reps),
        warmup: Some(env.warmup),
        seed: Some(env.seed),
        workloads: env.only.clone(),
        scale: env.scale,
        target_ci: env.target_ci,
        max_reps: env.max_reps,
    };
    Plan::new(file, &overrides)
}

/// The engines the run was started on, at the endpoints it recorded. An engine without
/// recorded facts was never connected (a run without container targets) and is skipped.
fn addresses_of(env: &Env, plan: &Plan) -> Result<Vec<EngineAddress>> {
    if !plan.needs_docker() {
        return Ok(Vec::new());
    }
    let mut addresses = Vec::new();
    for name in &plan.engines {
        let Some(facts) = env.engines.get(name) else {
            continue;
        };
        let endpoint = facts
            .docker_host
            .parse()
            .map_err(crate::error::Error::from)?;
        addresses.push(EngineAddress {
            name: name.clone(),
            endpoint,
            via: facts.via.clone().unwrap_or(Via::EngineFlag),
        });
    }
    Ok(addresses)
}

/// The rows recorded so far (none when the run stopped before its first rep).
fn results_of(dir: &Path, env: &Env) -> Result<Results> {
    let results = if dir.join("reps.csv").is_file() {
        Results::load(dir)?
    } else {
        Results::new(run_meta(env))
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
    Ok(results)
}

/// The steps of the plan not yet done, in the plan's order.
pub(crate) fn pending(plan: &Plan, done: &BTreeSet<StepKey>) -> Vec<Step> {
    not_done(plan, done, plan.steps())
}

/// `steps` less those already done.
pub(crate) fn not_done(plan: &Plan, done: &BTreeSet<StepKey>, steps: Vec<Step>) -> Vec<Step> {
    steps
        .into_iter()
        .filter(|s| !done.contains(&StepKey::of_step(plan, s)))
        .collect()
}
