//! The second kind of engine: a Swarm manager, through which a fleet run reaches every node
//! of a swarm. [`SwarmEngine`] is what a fleet run needs from it, in mountbench's words
//! ([`job`]); the Docker-API Swarm client implements it (`client.rs`).

pub(crate) mod client;
pub mod job;

use crate::engine::address::EngineAddress;
use crate::engine::Engine;
use crate::error::Result;
use job::{JobSpec, NodeInfo, TaskInfo};

/// What the manager's API version lets a task have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiAbilities {
    /// `CapabilityDrop` (API 1.41).
    pub cap_drop: bool,
    /// The pids limit (`Resources.Limits.Pids`, API 1.41).
    pub pids_limit: bool,
}

/// What a fleet run asks of a swarm's manager.
pub(crate) trait SwarmEngine {
    /// The manager's own engine (where the agent image is packed).
    fn engine(&self) -> &Engine;
    fn abilities(&self) -> ApiAbilities;
    /// Why this engine is not a swarm manager, if it is not.
    fn not_a_manager(&self) -> Option<String>;
    fn nodes(&self) -> Result<Vec<NodeInfo>>;
    /// Create the job; the service's id.
    fn create_job(&self, job: &JobSpec, abilities: ApiAbilities) -> Result<String>;
    /// The tasks of the service.
    fn tasks(&self, service_id: &str) -> Result<Vec<TaskInfo>>;
    /// Everything the task wrote on stdout.
    fn task_stdout(&self, task_id: &str) -> Result<String>;
    /// The last `lines` lines the task wrote on stderr.
    fn task_stderr_tail(&self, task_id: &str, lines: usize) -> Result<String>;
    /// Make every node remove the job's tasks' containers and volumes; false when gone.
    fn retire_service(&self, service_id: &str) -> Result<bool>;
    /// Delete the service.
    fn remove_service(&self, service_id: &str) -> Result<()>;
    /// The services carrying `label` (with `value`, when given): (id, name).
    fn services_labelled(&self, label: &str, value: Option<&str>) -> Result<Vec<(String, String)>>;
}

/// Connect to the manager at `address` (the API version negotiated).
pub(crate) fn connect(address: &EngineAddress) -> Result<Box<dyn SwarmEngine>> {
    Ok(Box::new(client::SwarmClient::connect(address)?))
}
