//! The targets of a run, on every engine: each started on its first rep through the host
//! factory, started
//! anew when its container died (a few times at most), torn down at the end or when the run
//! stops on an error. A target that cannot start is broken: its reps fail with the reason.

use std::collections::BTreeMap;

use crate::agent::FsSpace;
use crate::env::TargetFacts;
use crate::error::{Error, Result};
use crate::measure::CpuFacts;
use crate::targets::hosts::HostFactory;
use crate::targets::spec::{Place, TargetKind};
use crate::targets::Target;

/// Times a target's container may die and be started anew.
pub(crate) const MAX_RESTARTS: u32 = 3;

pub(crate) struct Pool {
    hosts: Box<dyn HostFactory>,
    targets: BTreeMap<Place, Target>,
    broken: BTreeMap<Place, String>,
    /// Times a target's container was found dead after a failed rep and started anew.
    restarts: BTreeMap<Place, u32>,
    /// Teardowns that failed before the end of the run (a dead target's), for the summary.
    teardown_errors: Vec<String>,
    /// The CPU kernel's best time on the host, which every target's is compared with: the
    /// native agent's once it ran, else timed once through the host factory.
    host_cpu: Option<f64>,
}

impl Pool {
    pub(crate) fn new(hosts: Box<dyn HostFactory>) -> Pool {
        Pool {
            hosts,
            targets: BTreeMap::new(),
            broken: BTreeMap::new(),
            restarts: BTreeMap::new(),
            teardown_errors: Vec::new(),
            host_cpu: None,
        }
    }

    /// Start the target unless it runs; true when started now (its facts are new).
    pub(crate) fn start(&mut self, spec: &Place) -> Result<bool> {
        if let Some(why) = self.broken.get(spec) {
            return Err(Error::TargetDown {
                place: spec.to_string(),
                why: why.clone(),
            });
        }
        if self.targets.contains_key(spec) {
            return Ok(false);
        }
        let host = match self.hosts.start(spec) {
            Ok(host) => host,
            Err(e) => return Err(self.broke(spec.clone(), e)),
        };
        let host_side = self.hosts.host_side(spec);
        let mut target = Target::new(spec.target, host).with_host_side(host_side);
        if let Err(e) = probe(&mut target) {
            let _ = target.teardown();
            return Err(self.broke(spec.clone(), e));
        }
        self.note_cpu(&target);
        self.targets.insert(spec.clone(), target);
        Ok(true)
    }

    /// Keep the host's CPU time: the native agent's when this is native, else timed here
    /// unless known.
    fn note_cpu(&mut self, target: &Target) {
        if target.spec.kind == TargetKind::Native {
            if let Some(native) = &target.cpu {
                self.host_cpu = Some(native.seconds);
                return;
            }
        }
        if self.host_cpu.is_none() {
            self.host_cpu = Some(self.hosts.host_cpu_seconds());
        }
    }

    fn broke(&mut self, spec: Place, e: Error) -> Error {
        self.broken.insert(spec, e.to_string());
        e
    }

    /// A started target.
    pub(crate) fn get(&mut self, spec: &Place) -> Result<&mut Target> {
        self.targets.get_mut(spec).ok_or_else(|| Error::TargetDown {
            place: spec.to_string(),
            why: "it was never started".into(),
        })
    }

    /// After a failed rep: a target whose container died (killed, out of memory) is torn
    /// down so that its next rep starts a fresh one, up to MAX_RESTARTS times.
    pub(crate) fn restart_if_dead(&mut self, spec: &Place) {
        let Some(target) = self.targets.get_mut(spec) else {
            return;
        };
        if target.alive() {
            return;
        }
        if let Err(e) = target.teardown() {
            self.teardown_errors.push(format!("{spec}: {e}"));
        }
        self.targets.remove(spec);
        let restarts = self.restarts.entry(spec.clone()).or_insert(0);
        *restarts += 1;
        if *restarts > MAX_RESTARTS {
            self.broken.insert(
                spec.clone(),
                format!("its container died {restarts} times; not started again"),
            );
        }
    }

    /// What each running target measures on, its CPU speed against the host's, for env.json.
    pub(crate) fn facts(&self) -> Vec<TargetFacts> {
        let facts = |(place, t): (&Place, &Target)| {
            let mut f = t.facts();
            f.engine = place.engine.to_string();
            f.cpu = t
                .cpu
                .as_ref()
                .zip(self.host_cpu)
                .and_then(|(c, host)| CpuFacts::new(c.seconds, host));
            f
        };
        self.targets.iter().map(facts).collect()
    }

    /// Tear every target down (their facts stay for env.json), then what the factory made
    /// for the run; every teardown that failed during the run.
    pub(crate) fn teardown(&mut self) -> Vec<String> {
        let mut errors = std::mem::take(&mut self.teardown_errors);
        for (spec, target) in self.targets.iter_mut() {
            if let Err(e) = target.teardown() {
                errors.push(format!("{spec}: {e}"));
            }
        }
        errors.extend(self.hosts.teardown());
        errors
    }

    /// The free space where a target's datasets would go, asked in a host started for that
    /// alone and torn down again (the target itself is not started).
    pub(crate) fn probe_space(&mut self, place: &Place) -> Result<FsSpace> {
        let host = self.hosts.start_probe(place)?;
        let mut probe = Target::new(place.target, host);
        let space = probe.space();
        let down = probe.teardown();
        let space = space?;
        down?;
        Ok(space)
    }
}

/// What a new target's agent sees: the mount it measures and the speed of its CPU.
fn probe(target: &mut Target) -> Result<()> {
    target.mount_facts()?;
    target.calibrate()?;
    Ok(())
}

/// A run stopped by an error still removes its containers (a second teardown does nothing).
impl Drop for Pool {
    fn drop(&mut self) {
        for target in self.targets.values_mut() {
            let _ = target.teardown();
        }
    }
}
