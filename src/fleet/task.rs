//! One fleet node's task: the agent runs its node's whole matrix inside the task's
//! container, in interleaved rounds as a run on one host does, each target a folder the task
//! mounted at a fixed path. The result files come back framed on stdout (fleet/frame.rs).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::frame;
use crate::cancel::CancelToken;
use crate::datadir::DataDir;
use crate::env::TargetFacts;
use crate::error::{Error, IoContext, Result};
use crate::percent::Percent;
use crate::plan::{Overrides, Plan, WorkloadFile};
use crate::run::RunOptions;
use crate::size::ByteSize;
use crate::targets::agent_binary::AgentBinaries;
use crate::targets::hosts::HostFactory;
use crate::targets::native::NativeHost;
use crate::targets::session::Session as AgentSession;
use crate::targets::spec::{Place, TargetKind};
use crate::targets::{AgentHost, ExecOutput};

/// Where the task mounts the node's data dir (a bind: the `bind` target lives under it).
pub const DATA_MOUNT: &str = "/mbt/data";
/// The `volume` target: a volume of the node's engine, made for this task.
pub const VOLUME_MOUNT: &str = "/mbt/volume";
/// The `volume-opts` target: the same with the file's driver options (e.g. NFS).
pub const VOLUME_OPTS_MOUNT: &str = "/mbt/volume-opts";
/// The `tmpfs` target.
pub const TMPFS_MOUNT: &str = "/mbt/tmpfs";
/// A small tmpfs for the results folder: the task's root is read-only.
pub const WORK_MOUNT: &str = "/mbt/work";

/// The targets a fleet node's task can run: each a mount of the task.
pub const FLEET_TARGETS: [TargetKind; 4] = [
    TargetKind::Bind,
    TargetKind::Volume,
    TargetKind::VolumeOpts,
    TargetKind::Tmpfs,
];

/// What the coordinator asks every node's task to run: the workload file and the run's
/// choices, as `mountbench run` takes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskPlan {
    pub run_id: String,
    pub workload_path: PathBuf,
    pub workload_text: String,
    pub targets: Vec<crate::targets::spec::TargetSpec>,
    pub reps: Option<u32>,
    pub warmup: Option<u32>,
    pub seed: Option<u64>,
    pub only: Option<Vec<String>>,
    pub scale: Option<f64>,
    pub target_ci: Option<Percent>,
    pub max_reps: Option<u32>,
    pub keep_free: Option<ByteSize>,
}

impl TaskPlan {
    /// The plan as the node runs it (checked on the coordinator first, the same way).
    pub fn plan(&self) -> Result<Plan> {
        let file = WorkloadFile::parse(&self.workload_path, &self.workload_text)?;
        let overrides = Overrides {
            targets: Some(self.targets.clone()),
            engines: None,
            reps: self.reps,
            warmup: self.warmup,
            seed: self.seed,
            workloads: self.only.clone(),
            scale: self.scale,
            target_ci: self.target_ci,
            max_reps: self.max_reps,
        };
        Plan::new(file, &overrides)
    }
}

/// The task's end, sent as the last record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskStatus {
    /// Why the node's run stopped before its end, if it did.
    pub error: Option<String>,
    pub failed_reps: usize,
    pub interrupted: bool,
    /// The files sent before this record, by name.
    pub files: Vec<String>,
}

/// Run the plan here (inside the task) and write the result files and the status framed
/// on stdout. Errors only when stdout cannot be written.
pub fn run_task(task: &TaskPlan, cancel: CancelToken) -> Result<()> {
    let out = Path::new(WORK_MOUNT).join("out");
    let ran = run_here(task, &out, cancel);
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    let mut files = Vec::new();
    if out.is_dir() {
        for entry in std::fs::read_dir(&out).at(&out)? {
            let path = entry.at(&out)?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !path.is_file() {
                continue;
            }
            let bytes = std::fs::read(&path).at(&path)?;
            frame::write_record(&mut stdout, name, &bytes).map_err(stdout_error)?;
            files.push(name.to_string());
        }
    }
    let status = match ran {
        Ok(summary) => TaskStatus {
            error: None,
            failed_reps: summary.failed_reps.len(),
            interrupted: summary.interrupted,
            files,
        },
        Err(e) => TaskStatus {
            error: Some(e.to_string()),
            failed_reps: 0,
            interrupted: false,
            files,
        },
    };
    let json = serde_json::to_vec(&status).map_err(|e| Error::Protocol(e.to_string()))?;
    frame::write_record(&mut stdout, frame::STATUS, &json).map_err(stdout_error)
}

fn stdout_error(e: std::io::Error) -> Error {
    Error::io("stdout", e)
}

fn run_here(task: &TaskPlan, out: &Path, cancel: CancelToken) -> Result<crate::run::RunSummary> {
    let plan = task.plan()?;
    let exe = std::env::current_exe().map_err(|e| Error::io("the agent binary", e))?;
    let data_dir = PathBuf::from(DATA_MOUNT);
    let data = DataDir::open(&data_dir)?;
    let hosts = TaskHosts {
        agent: exe.clone(),
        data,
        cancel: cancel.clone(),
    };
    let options = RunOptions {
        out: Some(out.to_path_buf()),
        data_dir,
        engines: Vec::new(),
        agents: AgentBinaries::host_only(exe),
        drop_caches: false,
        progress: true,
        cancel,
        keep_free: task.keep_free,
    };
    crate::run::run_on_hosts(plan, options, &task.run_id, Box::new(hosts))
}

/// The hosts of a node's task: the agent as a child process over each target's mount.
struct TaskHosts {
    agent: PathBuf,
    data: DataDir,
    cancel: CancelToken,
}

impl TaskHosts {
    fn root(&self, kind: TargetKind) -> Option<PathBuf> {
        match kind {
            TargetKind::Bind => Some(self.data.host_root()),
            TargetKind::Volume => Some(PathBuf::from(VOLUME_MOUNT)),
            TargetKind::VolumeOpts => Some(PathBuf::from(VOLUME_OPTS_MOUNT)),
            TargetKind::Tmpfs => Some(PathBuf::from(TMPFS_MOUNT)),
            // Not in FLEET_TARGETS: a kind runs on a fleet node only once added there.
            _ => None,
        }
    }
}

impl HostFactory for TaskHosts {
    fn start(&mut self, place: &Place) -> Result<Box<dyn AgentHost>> {
        let root = self.root(place.target.kind).ok_or_else(|| {
            Error::Protocol(format!("{} is not a target of a fleet node", place.target))
        })?;
        let backup = self.data.backup_root();
        for dir in [&root, &backup] {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        let host = NativeHost::new(&self.agent, &root, &backup, self.cancel.clone());
        Ok(Box::new(MountHost {
            host,
            target: place.target.to_string(),
        }))
    }

    fn cannot_serve(&self, place: &Place) -> Option<String> {
        match self.root(place.target.kind) {
            Some(_) if !place.target.ro => None,
            _ => Some(format!("{} is not a target of a fleet node", place.target)),
        }
    }
}

/// The agent over one mount of the task, named as its target.
#[derive(Clone)]
struct MountHost {
    host: NativeHost,
    target: String,
}

impl AgentHost for MountHost {
    fn exec(&mut self, args: &[String]) -> Result<ExecOutput> {
        self.host.exec(args)
    }
    fn root(&self) -> PathBuf {
        self.host.root()
    }
    fn prep_root(&self) -> PathBuf {
        self.host.prep_root()
    }
    fn facts(&self) -> TargetFacts {
        TargetFacts {
            target: self.target.clone(),
            ..self.host.facts()
        }
    }
    fn teardown(&mut self) -> Result<()> {
        self.host.teardown()
    }
    fn backup_root(&self) -> PathBuf {
        self.host.backup_root()
    }
    fn peer(&self) -> Result<Box<dyn AgentHost>> {
        Ok(Box::new(self.clone()))
    }
    fn open(&mut self, args: &[String]) -> Result<Box<dyn AgentSession>> {
        self.host.open(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_plan_is_the_run_the_file_and_flags_say() {
        let text = std::fs::read_to_string("workloads/quick.toml").unwrap();
        let task = TaskPlan {
            run_id: "r".into(),
            workload_path: "workloads/quick.toml".into(),
            workload_text: text,
            targets: vec!["bind".parse().unwrap(), "tmpfs".parse().unwrap()],
            reps: Some(2),
            warmup: Some(0),
            seed: Some(7),
            only: None,
            scale: Some(0.01),
            target_ci: None,
            max_reps: None,
            keep_free: None,
        };
        let json = serde_json::to_string(&task).unwrap();
        let back: TaskPlan = serde_json::from_str(&json).unwrap();
        let plan = back.plan().unwrap();
        assert_eq!(plan.reps, 2);
        assert_eq!(plan.targets, task.targets);
        assert!(plan
            .cells
            .iter()
            .all(|c| c.target.kind != TargetKind::Native));
    }
}
