//! Reading each node's results back from its task's logs into its folder.

use std::collections::BTreeMap;
use std::path::Path;

use super::frame;
use super::task::TaskStatus;
use super::watch::Fate;
use super::{FleetRequest, NodeOutcome};
use crate::atomic::write_atomic;
use crate::engine::swarm::job::NodeInfo;
use crate::engine::swarm::SwarmEngine;
use crate::error::{Error, IoContext, Result};

/// Read each node's results from its task's logs into its folder.
pub(super) fn collect(
    client: &dyn SwarmEngine,
    request: &FleetRequest,
    chosen: &[NodeInfo],
    fates: &BTreeMap<String, Fate>,
) -> Result<Vec<NodeOutcome>> {
    let mut outcomes = Vec::new();
    for node in chosen {
        let mut outcome = NodeOutcome {
            hostname: node.hostname.clone(),
            node_id: node.id.clone(),
            dir: None,
            failure: None,
            failed_reps: 0,
        };
        let (task, ended) = match fates.get(&node.id) {
            Some(Fate::Complete { task }) => (task, None),
            Some(Fate::Ended { task, why }) => (task, Some(why.clone())),
            Some(Fate::Lost { why }) => {
                outcome.failure = Some(why.clone());
                outcomes.push(outcome);
                continue;
            }
            None => {
                outcome.failure = Some("no fate was decided".into());
                outcomes.push(outcome);
                continue;
            }
        };
        let dir = request.out.node_dir(&node.hostname, &request.task.run_id);
        match read_back(client, task, &dir) {
            Ok((status, wrote)) => {
                outcome.dir = wrote.then_some(dir);
                outcome.failed_reps = status.failed_reps;
                outcome.failure = status.error.or(ended);
            }
            Err(e) => {
                let why = ended.unwrap_or_else(|| e.to_string());
                outcome.failure = Some(with_last_words(client, task, why));
            }
        }
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// `why`, and the last line the task wrote on stderr, if any.
fn with_last_words(client: &dyn SwarmEngine, task: &str, why: String) -> String {
    let tail = client.task_stderr_tail(task, 3).unwrap_or_default();
    match tail.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(last) => format!("{why}; it said: {}", last.trim()),
        None => why,
    }
}

/// One task's records: its result files written to `dir`; its status. True when files
/// were written.
fn read_back(client: &dyn SwarmEngine, task: &str, dir: &Path) -> Result<(TaskStatus, bool)> {
    let text = client.task_stdout(task)?;
    let records = frame::Records::read(&text)?;
    let status = records.get(frame::STATUS).ok_or_else(|| {
        Error::Protocol("its output ended before its status (the task was cut short)".into())
    })??;
    let status: TaskStatus =
        serde_json::from_slice(&status).map_err(|e| Error::Protocol(format!("its status: {e}")))?;
    if status.files.is_empty() {
        return Ok((status, false));
    }
    std::fs::create_dir_all(dir).at(dir)?;
    for name in &status.files {
        if name.contains('/') || name.starts_with('.') {
            return Err(Error::Protocol(format!("a result file named {name:?}")));
        }
        let bytes = records
            .get(name)
            .ok_or_else(|| Error::Protocol(format!("result file {name} did not arrive")))??;
        write_atomic(&dir.join(name), &bytes)?;
    }
    Ok((status, true))
}
