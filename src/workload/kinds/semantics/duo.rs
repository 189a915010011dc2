//! What the two-sided probes' scripts stand on: the two sides' lines ([`Duo`]), an act asked
//! of one side and its answer, and how a script stops.
//!
//! A refusal by the OS ends the probe with the side, the step and the errno; a broken line
//! or a side's own failure ends the rep (the next probes could not be trusted either).

use std::time::Duration;

use super::acts::{Act, Reply};
use crate::error::{Error, Result};
use crate::workload::party::Line;
use crate::workload::probe::Outcome;

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

impl<'a> Duo<'a> {
    /// Both sides' lines, before any probe's folder.
    pub fn new(here: &'a mut dyn Line, there: &'a mut dyn Line) -> Duo<'a> {
        Duo {
            here,
            there,
            dir: String::new(),
        }
    }

    /// End the other side, then the target.
    pub fn end(self) -> Result<()> {
        end(self.there, "other side")?;
        end(self.here, "target")
    }

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

/// Tell one side it is done; it must say it ended.
pub fn end(line: &mut dyn Line, who: &str) -> Result<()> {
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

/// A reply that makes no sense here, as the rep's error.
pub fn unexpected(who: &str, reply: &Reply) -> Error {
    Error::Protocol(format!("{who}: unexpected reply {reply:?}"))
}
