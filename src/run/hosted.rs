//! A run on hosts the caller gives, with no engine to connect: a fleet node's task, where
//! every target is a folder the task has mounted (fleet/task.rs).

use super::start::{self, Start};
use super::{RunOptions, RunSummary, Session};
use crate::error::Result;
use crate::plan::Plan;
use crate::targets::hosts::HostFactory;

/// Run `plan` under the run id `run_id` (the fleet run's, shared by every node) on the hosts
/// `hosts` gives.
pub(crate) fn run_on_hosts(
    plan: Plan,
    options: RunOptions,
    run_id: &str,
    hosts: Box<dyn HostFactory>,
) -> Result<RunSummary> {
    let start = Start::fresh_as(run_id.to_string(), &plan, &options, |_| Ok(Vec::new()))?;
    let plan = start::skip_unserved(plan, hosts.as_ref())?;
    let mut session = Session::new(plan, options, start, hosts);
    session.preflight_targets()?;
    session.run_all()
}

/// A new run id: the UTC time and a random suffix.
pub fn new_run_id() -> String {
    start::run_id()
}
