//! What a fleet run asks of a Swarm, in mountbench's words: a job with one task per chosen
//! node, the nodes it can choose from and the tasks it got. The Swarm client turns these into
//! API calls; nothing here names the engine's client library.

use std::collections::BTreeMap;

/// One mount of the job's task.
#[derive(Debug, Clone, PartialEq)]
pub enum JobMount {
    /// A folder of the node (it must exist there).
    Bind {
        source: String,
        target: String,
    },
    /// A volume the node's engine makes for the task and removes with the task's container;
    /// with driver options, the local driver's (`type`, `o`, `device`).
    Volume {
        target: String,
        driver_opts: BTreeMap<String, String>,
    },
    Tmpfs {
        target: String,
        size: u64,
    },
}

/// A global job: one task on every node that the constraints let in.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub image: String,
    /// The command (the image's entry point is not used).
    pub command: Vec<String>,
    /// The task's hostname; a template like `{{.Node.Hostname}}` is filled in per node.
    pub hostname: String,
    pub mounts: Vec<JobMount>,
    /// Placement constraints, e.g. `node.id==…`.
    pub constraints: Vec<String>,
    pub memory_bytes: i64,
    pub pids: i64,
}

/// A node of the swarm as the manager sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeInfo {
    pub id: String,
    pub hostname: String,
    /// As the node's engine reports it (`x86_64`, `aarch64`).
    pub arch: String,
    pub os: String,
    pub labels: BTreeMap<String, String>,
    /// Status `ready` (not `down`, `unknown`, `disconnected`).
    pub ready: bool,
    /// Availability `active` (not `pause` or `drain`).
    pub active: bool,
    pub state: String,
}

/// Where a task is in its life, as far as a fleet run cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Not running yet (new, pending, assigned, accepted, preparing, starting).
    Waiting,
    Running,
    Complete,
    /// Failed, rejected, shut down, orphaned or removed: it ended without completing.
    Ended,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    pub id: String,
    pub node_id: String,
    pub state: TaskState,
    /// The engine's state name (`failed`, `rejected`, …).
    pub state_name: String,
    /// The engine's message and error, joined.
    pub message: String,
    pub exit_code: Option<i64>,
}

impl TaskState {
    pub fn of(name: &str) -> TaskState {
        match name {
            "running" => TaskState::Running,
            "complete" => TaskState::Complete,
            "failed" | "rejected" | "shutdown" | "orphaned" | "remove" => TaskState::Ended,
            _ => TaskState::Waiting,
        }
    }

    pub fn done(self) -> bool {
        matches!(self, TaskState::Complete | TaskState::Ended)
    }
}
