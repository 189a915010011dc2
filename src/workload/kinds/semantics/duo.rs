//! mountbench's part in the two-sided probes: each probe's script played act by act between
//! the target (here) and its other side (there), one folder per probe, and its outcome.
//!
//! A refusal by the OS ends the probe with the side, the step and the errno; a broken line
//! or a side's own failure ends the rep (the next probes could not be trusted either).

use std::time::{Duration, Instant};

use super::sides::{Act, Reply};
use super::{held, locks, mmap, owner, phantom};
use crate::error::{Error, Result};
use crate::workload::party::{Line, There};
use crate::workload::probe::{Observation, Outcome, Probe};

/// How long a side may take to answer an act, beyond the act's own bound.
const ANSWER: Duration = Duration::from_secs(60);

/// How long an await looks before it gives up: what "within a bound" means in the facts.
pub const BOUND_MS: u64 = 2000;

/// Which side does an act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Here,
    There,
}

impl Who {
    fn name(self) -> &'static str {
        match self {
            Who::Here => "target",
            Who::There => "other side",
        }
    }
}

/// Why a script stopped early: the probe's answer (a refusal), or the rep's failure.
pub enum Stop {
    Probe(Outcome),
    Rep(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Rep(e)
    }
}

pub type Play<T> = std::result::Result<T, Stop>;

/// What a side said an act came to, and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Said {
    pub said: String,
    pub micros: f64,
}

impl Said {
    /// How long it took: `85 µs`, `12.3 ms`.
    pub fn took(&self) -> String {
        took(self.micros)
    }
}

/// `85 µs` below a millisecond, `12.3 ms` above.
pub fn took(micros: f64) -> String {
    match micros < 1000.0 {
        true => format!("{micros:.0} µs"),
        false => format!("{:.1} ms", micros / 1000.0),
    }
}

/// The two sides' lines, with the folder of the probe being played.
pub struct Duo<'a> {
    here: &'a mut dyn Line,
    there: &'a mut dyn Line,
    pub dir: String,
}

impl Duo<'_> {
    /// `dir/name`.
    pub fn at(&self, name: &str) -> String {
        format!("{}/{name}", self.dir)
    }

    /// Whatever `who` replies to `act` (refusals and misses included).
    pub fn ask(&mut self, who: Who, act: &Act) -> Result<Reply> {
        let line: &mut dyn Line = match who {
            Who::Here => self.here,
            Who::There => self.there,
        };
        ask(line, act, who.name())
    }

    /// An act that must work: what it said; otherwise the probe fails at `step` on `who`.
    pub fn must(&mut self, who: Who, step: &str, act: &Act) -> Play<Said> {
        let failed = |errno: String| {
            let step = format!("{}: {step}", who.name());
            Stop::Probe(Outcome::Failed { step, errno })
        };
        match self.ask(who, act)? {
            Reply::Did { said, micros } => Ok(Said { said, micros }),
            Reply::Refused { errno, .. } => Err(failed(errno)),
            Reply::Missed { last, .. } => Err(failed(format!(
                "not seen within {} s (last look: {last})",
                BOUND_MS / 1000
            ))),
            other => Err(Stop::Rep(unexpected(who.name(), &other))),
        }
    }
}

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
    let mut duo = Duo {
        here,
        there,
        dir: String::new(),
    };
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
    end(duo.there, "other side")?;
    end(duo.here, "target")?;
    Ok(seen)
}

fn play(probe: Probe, d: &mut Duo) -> Play<Outcome> {
    match probe {
        Probe::Flock => locks::exclusive(d, super::sides::LockKind::Flock),
        Probe::Fcntl => locks::exclusive(d, super::sides::LockKind::Fcntl),
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

fn end(line: &mut dyn Line, who: &str) -> Result<()> {
    match ask(line, &Act::End, who)? {
        Reply::Ended => Ok(()),
        other => Err(unexpected(who, &other)),
    }
}

/// Send `act`, read the reply; a broken side is an error naming it.
fn ask(line: &mut dyn Line, act: &Act, who: &str) -> Result<Reply> {
    let text = serde_json::to_string(act).expect("acts serialize");
    let within = ANSWER + Duration::from_millis(BOUND_MS);
    let reply = line
        .send_line(&text)
        .and_then(|()| line.recv_line(within))
        .map_err(|e| Error::Agent(format!("{who}: {e}")))?;
    match serde_json::from_str::<Reply>(&reply) {
        Ok(Reply::Broke { message }) => Err(Error::Agent(format!("{who}: {message}"))),
        Ok(reply) => Ok(reply),
        Err(e) => Err(Error::Protocol(format!(
            "{who}: unreadable reply ({e}): {}",
            reply.chars().take(200).collect::<String>()
        ))),
    }
}

fn unexpected(who: &str, reply: &Reply) -> Error {
    Error::Protocol(format!("{who}: unexpected reply {reply:?}"))
}
