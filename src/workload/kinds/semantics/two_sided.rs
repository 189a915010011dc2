//! The two-sided probes played in turn: each probe's script (in its family's file) played
//! act by act between the target (here) and its other side (there), one folder per probe,
//! and its outcome.

use std::time::Instant;

use super::acts::{Act, LockKind, Reply};
use super::duo::{end, unexpected, Duo, Play, Stop, Who};
use super::{held, locks, mmap, owner, phantom};
use crate::error::Result;
use crate::workload::party::{Line, There};
use crate::workload::probe::{Observation, Outcome, Probe};

/// Play every two-sided probe of `probes` (in order) and end both sides.
pub fn conduct(probes: &[Probe], here: &mut dyn Line, there: There) -> Result<Vec<Observation>> {
    let two: Vec<Probe> = probes.iter().copied().filter(|p| p.two_sided()).collect();
    let mut seen = Vec::with_capacity(two.len());
    let there = match there {
        Ok(there) => there,
        Err(why) => {
            for probe in two {
                let note = format!("no second side: {why}");
                seen.push(observation(probe, Outcome::Skipped { note }, 0.0));
            }
            end(here, "target")?;
            return Ok(seen);
        }
    };
    let mut duo = Duo::new(here, there);
    for probe in two {
        let started = Instant::now();
        duo.dir = probe.name().to_string();
        let mkdir = Act::Mkdir {
            name: probe.name().into(),
        };
        let outcome = match duo.ask(Who::Here, &mkdir)? {
            Reply::Did { .. } => match play(probe, &mut duo) {
                Ok(o) | Err(Stop::Probe(o)) => o,
                Err(Stop::Rep(e)) => return Err(e),
            },
            Reply::Refused { errno, .. } => Outcome::Failed {
                step: "target: mkdir".into(),
                errno,
            },
            other => return Err(unexpected("target", &other)),
        };
        tidy(&mut duo)?;
        seen.push(observation(
            probe,
            outcome,
            started.elapsed().as_secs_f64() * 1e6,
        ));
    }
    duo.end()?;
    Ok(seen)
}

fn play(probe: Probe, d: &mut Duo) -> Play<Outcome> {
    match probe {
        Probe::Flock => locks::exclusive(d, LockKind::Flock),
        Probe::Fcntl => locks::exclusive(d, LockKind::Fcntl),
        Probe::MmapShared => mmap::shared_write(d),
        Probe::Phantom => phantom::after_unlink(d),
        Probe::UnlinkHeld => held::unlink(d),
        Probe::RenameHeld => held::rename_over(d),
        Probe::Owner => owner::owner_and_mode(d),
        Probe::Chown => owner::chown(d),
        other => Ok(Outcome::Skipped {
            note: format!("{} is a one-sided probe", other.name()),
        }),
    }
}

/// Close what both sides hold and clear the probe's folder.
fn tidy(d: &mut Duo) -> Result<()> {
    d.ask(Who::There, &Act::CloseAll)?;
    d.ask(Who::Here, &Act::CloseAll)?;
    let clear = Act::Clear {
        name: d.dir.clone(),
    };
    d.ask(Who::Here, &clear).map(drop)
}

fn observation(probe: Probe, outcome: Outcome, micros: f64) -> Observation {
    Observation {
        probe,
        outcome,
        micros,
    }
}
