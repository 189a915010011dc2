//! Fleet runs: the same workload file on every chosen node of a Docker Swarm, through one
//! global job of the agent image. Each node's task runs that node's whole matrix (fleet/task.rs)
//! and sends its result files back framed in its logs; each node becomes a host in the
//! results, `results/<node>/<run-id>/`, and the fleet report merges them (report/fleet.rs).
//!
//! Flow: check everything (manager, nodes, targets) → the agent image on the manager →
//! the job → watch the tasks (fleet/watch.rs) → read each task's logs → remove the job (its
//! tasks' containers and volumes go with it) → write the folders.

mod collect;
pub mod frame;
pub mod kubernetes;
pub mod nodes;
mod removal;
pub mod task;
pub mod watch;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use crate::cancel::CancelToken;
use crate::engine::address::EngineAddress;
use crate::engine::client::{AGENT_LABEL, RUN_LABEL};
use crate::engine::swarm::job::{JobMount, JobSpec, NodeInfo, TaskInfo};
use crate::engine::swarm::{self, ApiAbilities, SwarmEngine};
use crate::error::{Error, Result};
use crate::targets::agent_binary::AgentBinaries;
use crate::targets::image::{self, AGENT_PATH};
use crate::targets::spec::TargetKind;
use nodes::NodeFilter;
use task::TaskPlan;

/// Size of the task's tmpfs for its results folder.
const WORK_SIZE: u64 = 256 << 20;

pub struct FleetRequest {
    pub manager: EngineAddress,
    pub filters: Vec<NodeFilter>,
    pub task: TaskPlan,
    /// The data dir on every node: it must exist there; the bind target lives under it.
    pub node_data_dir: PathBuf,
    /// Node folders go to `<out>/<node>/<run-id>/` (`results/`), or `<out>/<node>/` when the
    /// user named the folder; the fleet report beside them.
    pub out: FleetOut,
    /// An image the nodes already have or can pull; default: the agent image packed on the
    /// manager (which every other node must have been given: docs/fleet.md).
    pub image: Option<String>,
    pub agents: AgentBinaries,
    pub cancel: CancelToken,
}

#[derive(Debug, Clone)]
pub enum FleetOut {
    /// `results/`: `results/<node>/<run-id>/`, the fleet's report in `results/fleet/<run-id>/`.
    Results(PathBuf),
    /// `--out DIR`: `DIR/<node>/`, the fleet's report in `DIR/`.
    Named(PathBuf),
}

impl FleetOut {
    pub fn node_dir(&self, node: &str, run_id: &str) -> PathBuf {
        match self {
            FleetOut::Results(root) => root.join(node).join(run_id),
            FleetOut::Named(dir) => dir.join(node),
        }
    }

    pub fn fleet_dir(&self, run_id: &str) -> PathBuf {
        match self {
            FleetOut::Results(root) => root.join("fleet").join(run_id),
            FleetOut::Named(dir) => dir.clone(),
        }
    }
}

/// One node's end of a fleet run.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeOutcome {
    pub hostname: String,
    pub node_id: String,
    /// Its results folder, when any result came back.
    pub dir: Option<PathBuf>,
    /// Why the node failed, if it did.
    pub failure: Option<String>,
    pub failed_reps: usize,
}

pub struct FleetSummary {
    pub run_id: String,
    pub fleet_dir: PathBuf,
    pub nodes: Vec<NodeOutcome>,
    pub left_out: Vec<String>,
    pub interrupted: bool,
    pub seconds: f64,
    /// What the task's hardening could not have on this engine.
    pub not_applied: Vec<String>,
}

/// Progress lines for people (stderr).
pub type Say<'a> = &'a mut dyn FnMut(&str);

/// Check, run the job, collect every node's results and remove the job.
pub fn run(request: FleetRequest, say: Say) -> Result<FleetSummary> {
    let started = Instant::now();
    let plan = request.task.plan()?;
    check_targets(&plan.targets)?;
    let client = swarm::connect(&request.manager)?;
    let client = client.as_ref();
    if let Some(why) = client.not_a_manager() {
        return Err(Error::input(
            format!("--swarm {}", request.manager.endpoint),
            format!("is not a swarm manager: {why}"),
        ));
    }
    let agent_arch = request.image.is_none().then_some(std::env::consts::ARCH);
    let chosen = nodes::choose(&client.nodes()?, &request.filters, agent_arch)?;
    node_data_dir(&request.node_data_dir)?;
    let image = match &request.image {
        Some(image) => image.clone(),
        None => image::ensure(client.engine(), &request.agents)?,
    };
    let abilities = client.abilities();
    let job = job_spec(&request, &plan, &image, &chosen.nodes)?;
    let names: Vec<&str> = chosen.nodes.iter().map(|n| n.hostname.as_str()).collect();
    say(&format!(
        "fleet run {} on {} node(s): {}; agent image {image}",
        request.task.run_id,
        names.len(),
        names.join(", ")
    ));
    let service = client.create_job(&job, abilities)?;
    let guard = removal::Removal {
        client,
        service: Some(service.clone()),
    };
    let watched = {
        let mut manager = Live {
            client,
            service: &service,
        };
        let mut note = |n: &NodeInfo, s: &str| say(&format!("  {}: {s}", n.hostname));
        watch::watch(&mut manager, &chosen.nodes, &request.cancel, &mut note)
    };
    let fates = match watched {
        Ok(Some(fates)) => fates,
        Ok(None) => {
            drop(guard);
            return Ok(summary(
                &request,
                Vec::new(),
                chosen.left_out,
                true,
                started,
                abilities,
            ));
        }
        Err(e) => return Err(e),
    };
    let outcomes = collect::collect(client, &request, &chosen.nodes, &fates)?;
    guard.remove()?;
    Ok(summary(
        &request,
        outcomes,
        chosen.left_out,
        false,
        started,
        abilities,
    ))
}

fn summary(
    request: &FleetRequest,
    nodes: Vec<NodeOutcome>,
    left_out: Vec<String>,
    interrupted: bool,
    started: Instant,
    abilities: ApiAbilities,
) -> FleetSummary {
    let mut not_applied = Vec::new();
    if !abilities.cap_drop {
        not_applied.push(
            "CapabilityDrop (needs API 1.41): the tasks keep Docker's default capabilities".into(),
        );
    }
    if !abilities.pids_limit {
        not_applied.push("the pids limit (needs API 1.41)".into());
    }
    not_applied.push("network none: Swarm cannot attach a task to `none`; the task joins no network of the job, so it gets its node's default bridge where the node has one".into());
    FleetSummary {
        run_id: request.task.run_id.clone(),
        fleet_dir: request.out.fleet_dir(&request.task.run_id),
        nodes,
        left_out,
        interrupted,
        seconds: started.elapsed().as_secs_f64(),
        not_applied,
    }
}

/// The targets a node's task can run; anything else is refused before anything is made.
fn check_targets(targets: &[crate::targets::spec::TargetSpec]) -> Result<()> {
    for t in targets {
        if !task::FLEET_TARGETS.contains(&t.kind) || t.ro {
            let why = match t.kind {
                TargetKind::Native => "a fleet node runs containers only: a container cannot be native, so bind is each node's baseline; leave native out",
                _ => "a fleet node's task runs bind, volume, volume-opts and tmpfs (read-write) only",
            };
            return Err(Error::input(format!("--targets {t}"), why));
        }
    }
    Ok(())
}

/// The data dir on every node: an absolute path (whether it exists there, only the node
/// can say).
fn node_data_dir(dir: &std::path::Path) -> Result<&str> {
    dir.to_str().filter(|d| d.starts_with('/')).ok_or_else(|| {
        Error::input(
            format!("--data-dir {}", dir.display()),
            "a fleet run needs an absolute path that exists on every node",
        )
    })
}

/// The job: the task's mounts (the node's data dir, the targets', a work tmpfs), hardened.
fn job_spec(
    request: &FleetRequest,
    plan: &crate::plan::Plan,
    image: &str,
    chosen: &[NodeInfo],
) -> Result<JobSpec> {
    let settings = &plan.file.targets;
    let dir = node_data_dir(&request.node_data_dir)?;
    let mut mounts = vec![
        JobMount::Bind {
            source: dir.to_string(),
            target: task::DATA_MOUNT.into(),
        },
        JobMount::Tmpfs {
            target: task::WORK_MOUNT.into(),
            size: WORK_SIZE,
        },
    ];
    for t in &plan.targets {
        mounts.push(match t.kind {
            TargetKind::Volume => JobMount::Volume {
                target: task::VOLUME_MOUNT.into(),
                driver_opts: BTreeMap::new(),
            },
            TargetKind::VolumeOpts => JobMount::Volume {
                target: task::VOLUME_OPTS_MOUNT.into(),
                driver_opts: settings.volume_opts.driver_opts.clone(),
            },
            TargetKind::Tmpfs => JobMount::Tmpfs {
                target: task::TMPFS_MOUNT.into(),
                size: settings.tmpfs.size.0,
            },
            _ => continue,
        });
    }
    let spec = serde_json::to_string(&request.task).map_err(|e| Error::Protocol(e.to_string()))?;
    let run_id = &request.task.run_id;
    let mut constraints: Vec<String> = request.filters.iter().map(NodeFilter::constraint).collect();
    constraints.push("node.platform.os==linux".into());
    let _ = chosen;
    Ok(JobSpec {
        name: format!("mountbench-{run_id}"),
        labels: BTreeMap::from([
            (RUN_LABEL.to_string(), run_id.clone()),
            (AGENT_LABEL.to_string(), "fleet".to_string()),
        ]),
        image: image.to_string(),
        command: vec![
            AGENT_PATH.into(),
            "agent".into(),
            "fleet-task".into(),
            "--spec".into(),
            spec,
        ],
        hostname: "{{.Node.Hostname}}".into(),
        mounts,
        constraints,
        memory_bytes: settings.container.memory.0 as i64,
        pids: settings.container.pids,
    })
}

/// The manager's view of one job, for the watch.
struct Live<'a> {
    client: &'a dyn SwarmEngine,
    service: &'a str,
}

impl watch::Manager for Live<'_> {
    fn tasks(&mut self) -> Result<Vec<TaskInfo>> {
        self.client.tasks(self.service)
    }
    fn nodes(&mut self) -> Result<Vec<NodeInfo>> {
        self.client.nodes()
    }
}

/// The manager `--swarm` names: an endpoint or a Docker context, as `--engine` takes them.
pub fn manager_address(text: &str) -> Result<EngineAddress> {
    let bad = |e: crate::engine::error::EngineError| Error::input("--swarm", e.to_string());
    let arg: crate::engine::endpoint::EngineArg = format!("swarm={text}").parse().map_err(bad)?;
    let env = crate::engine::address::DockerEnv::from_process();
    let mut found = EngineAddress::resolve(&[arg], &env).map_err(bad)?;
    Ok(found.remove(0))
}

/// `mountbench clean --swarm`: remove every fleet job (of `run`, or all) the manager has;
/// their tasks' containers and volumes go with them. Returns the services removed.
pub fn clean(manager: &EngineAddress, run: Option<&str>) -> Result<Vec<String>> {
    let client = swarm::connect(manager)?;
    let client = client.as_ref();
    if let Some(why) = client.not_a_manager() {
        return Err(Error::input(
            format!("--swarm {}", manager.endpoint),
            format!("is not a swarm manager: {why}"),
        ));
    }
    let mut removed = Vec::new();
    for (id, name) in client.services_labelled(RUN_LABEL, run)? {
        removal::remove_job(client, &id)?;
        removed.push(name);
    }
    Ok(removed)
}
