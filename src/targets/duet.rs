//! A semantics rep on a target: the one-sided probes as one agent's run, then the two-sided
//! ones conducted between the target's agent and one on its other side (the host over a
//! bind's folder or native's, a second container on a volume); a target with no other side
//! (tmpfs, layer) gets them skipped with the reason.

use std::time::Instant;

use super::driven::open;
use super::{AgentHost, Target};
use crate::agent::{RepResult, RepSpec, Role};
use crate::error::{Error, Result};
use crate::metric::Metric;
use crate::workload::party::Duet;

impl Target {
    pub(super) fn run_duet(&mut self, spec: &RepSpec, duet: &dyn Duet) -> Result<(RepResult, f64)> {
        let (mut result, wall): (RepResult, f64) = self.call("run", spec)?;
        let overhead = (wall - result.agent_seconds).max(0.0);
        if !duet.two_sided() {
            return Ok((result, overhead));
        }
        let started = Instant::now();
        let (here, there) = self.here_and_there();
        let mut here = open(here, spec, Role::Solo)?;
        let mut there = match there {
            Ok(host) => Ok(open(host, spec, Role::Solo)?),
            Err(why) => Err(why),
        };
        let lines = match there.as_mut() {
            Ok(t) => Ok(t.as_mut() as &mut dyn crate::workload::party::Line),
            Err(why) => Err(why.clone()),
        };
        let seen = duet.conduct(here.as_mut(), lines)?;
        if let Ok(t) = there {
            t.finish()
                .map_err(|e| Error::Agent(format!("other side: {e}")))?;
        }
        here.finish()
            .map_err(|e| Error::Agent(format!("target: {e}")))?;
        let seconds = started.elapsed().as_secs_f64();
        if let Some(m) = result
            .metrics
            .iter_mut()
            .find(|m| m.metric == Metric::Probes)
        {
            m.ops += seen.len() as u64;
            m.seconds += seconds;
        }
        result.agent_seconds += seconds;
        result.probes.extend(seen);
        Ok((result, overhead))
    }

    /// The target's agent and the one on its other side: the host side where there is
    /// one, else a second container on the same storage, else why there is none.
    fn here_and_there(
        &mut self,
    ) -> (
        &mut dyn AgentHost,
        std::result::Result<&mut dyn AgentHost, String>,
    ) {
        if self.host_side.is_none() {
            if !self.spec.kind.shareable() {
                let why = format!(
                    "{} storage belongs to one container",
                    self.spec.kind.as_str()
                );
                return (self.host.as_mut(), Err(why));
            }
            if let Err(e) = self.start_peer() {
                return (self.host.as_mut(), Err(e.to_string()));
            }
        }
        let there = match self.host_side.as_deref_mut() {
            Some(h) => h,
            None => self.peer.as_deref_mut().expect("started above"),
        };
        (self.host.as_mut(), Ok(there))
    }
}
