//! A driven rep (coherence, watch) on a target: the changer and the checker held open on
//! their two sides and conducted change by change.

use std::time::Instant;

use super::session::Session;
use super::{agent_args, party, AgentHost, Target};
use crate::agent::{RepResult, RepSpec, Role};
use crate::error::{Error, Result};
use crate::workload::party::{self, Driven, Sides};

impl Target {
    /// The rep's figures come from mountbench's conducting, not from one agent's answer.
    pub(super) fn run_driven(
        &mut self,
        spec: &RepSpec,
        driven: &dyn Driven,
    ) -> Result<(RepResult, f64)> {
        let wall = Instant::now();
        let (changer, checker) = self.sides(driven.sides())?;
        let mut changer = open(changer, spec, Role::Writer)?;
        let mut checker = open(checker, spec, Role::Reader)?;
        let conducted = party::conduct(driven, changer.as_mut(), checker.as_mut())?;
        changer.finish().map_err(|e| party("changer", e))?;
        checker.finish().map_err(|e| party("checker", e))?;
        let measured = conducted.measured(spec.workload.params.metrics());
        let result = RepResult {
            metrics: measured.metrics,
            histograms: measured.histograms.encode(),
            residency: None,
            agent_seconds: conducted.seconds,
            probes: Vec::new(),
        };
        let overhead = (wall.elapsed().as_secs_f64() - conducted.seconds).max(0.0);
        Ok((result, overhead))
    }

    /// The changing agent and the checking one.
    fn sides(&mut self, sides: Sides) -> Result<(&mut dyn AgentHost, &mut dyn AgentHost)> {
        let no_host_side = || {
            Error::Session(format!(
                "target {} has no folder on the host to change or check",
                self.spec
            ))
        };
        match sides {
            Sides::HostToTarget => {
                let other = self.host_side.as_deref_mut().ok_or_else(no_host_side)?;
                Ok((other, self.host.as_mut()))
            }
            Sides::TargetToHost => {
                let other = self.host_side.as_deref_mut().ok_or_else(no_host_side)?;
                Ok((self.host.as_mut(), other))
            }
            Sides::OtherToTarget => {
                if self.host_side.is_none() {
                    self.start_peer()?;
                }
                let other = match self.host_side.as_deref_mut() {
                    Some(h) => h,
                    None => self.peer.as_deref_mut().expect("started above"),
                };
                Ok((other, self.host.as_mut()))
            }
        }
    }
}

/// Start `role`'s agent on `host`, over its own root.
pub(super) fn open(
    host: &mut dyn AgentHost,
    spec: &RepSpec,
    role: Role,
) -> Result<Box<dyn Session>> {
    let spec = RepSpec {
        role,
        root: host.root(),
        ..spec.clone()
    };
    host.open(&agent_args("party", &spec))
}
