//! Removing a fleet job so that nothing of it is left on any node.

use std::time::{Duration, Instant};

use crate::engine::swarm::SwarmEngine;
use crate::error::Result;

/// Removes the job when the run ends, whichever way (an error, Ctrl-C, a panic).
pub(super) struct Removal<'a> {
    pub(super) client: &'a dyn SwarmEngine,
    pub(super) service: Option<String>,
}

impl Removal<'_> {
    pub(super) fn remove(mut self) -> Result<()> {
        match self.service.take() {
            Some(id) => remove_job(self.client, &id),
            None => Ok(()),
        }
    }
}

impl Drop for Removal<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.service.take() {
            let _ = remove_job(self.client, &id);
        }
    }
}

/// How long the nodes that answer may take to remove a retired job's containers.
const RETIRE_WAIT: std::time::Duration = Duration::from_secs(60);

/// Retire the job (its tasks' containers and volumes removed on every node that answers),
/// wait until the manager lists no task of it on a ready node, then delete it. A node that
/// is down keeps its container until it is back and hears the job is gone.
pub(super) fn remove_job(client: &dyn SwarmEngine, service: &str) -> Result<()> {
    if client.retire_service(service)? {
        let started = Instant::now();
        while started.elapsed() < RETIRE_WAIT {
            let ready: Vec<String> = client
                .nodes()?
                .into_iter()
                .filter(|n| n.ready)
                .map(|n| n.id)
                .collect();
            let tasks = client.tasks(service)?;
            if !tasks.iter().any(|t| ready.contains(&t.node_id)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    client.remove_service(service)
}
