//! Driven workloads (coherence, watch): one agent changes files, another on the other side
//! of the storage checks each change, and mountbench conducts both change by change over the
//! agents' stdin and stdout. The channel is not the storage under test, so a change the
//! checker has not seen is known to have been made (and when, on the checker's clock).
//!
//! For each change: the checker is armed (it starts looking), the changer makes it and says
//! when it began and ended, the checker is told and judges it: seen after so long, whether
//! its first look after the change still found the old state, or never seen within the limit.
//! In bursts, a group of changes is armed, then made back to back (their orders sent at
//! once), then judged one by one.

mod change;
mod clock;
mod conduct;
mod duet;
mod poll;
mod serve;

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::duration::HumanDuration;
use crate::error::{Error, IoContext, Result};
use crate::workload::check::Check;
use crate::workload::rep::Rep;

pub use change::Change;
pub use clock::{boot_id, now_ns};
pub use conduct::{conduct, Conducted};
pub use duet::{Duet, There};
pub use poll::Poller;
pub use serve::{serve, Party};

/// What mountbench tells an agent of a driven rep, one JSON object per line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "order", rename_all = "kebab-case")]
pub enum Order {
    /// Answer with your clock (for the offset between the two sides' clocks).
    Clock,
    /// Checker: start looking for change `change`.
    Arm { change: u32 },
    /// Changer: make change `change`.
    Make { change: u32 },
    /// Checker: change `change` was made from `start_ns` to `end_ns` on your clock, give or
    /// take `slack_ns`; judge it.
    Judge {
        change: u32,
        start_ns: u64,
        end_ns: u64,
        slack_ns: u64,
    },
    /// The rep is over: clean up and exit.
    End,
}

/// What an agent answers, one JSON object per line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub enum Answer {
    Clock {
        now_ns: u64,
        boot_id: String,
    },
    Armed {
        change: u32,
    },
    Made {
        change: u32,
        start_ns: u64,
        end_ns: u64,
    },
    Judged {
        change: u32,
        outcome: Outcome,
    },
    Ended,
    Failed {
        message: String,
    },
}

/// How the checker found one change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Seen `latency_ns` after the change (after it ended for content, began for events);
    /// `stale`: the first look after the change still found the old state.
    Seen { latency_ns: u64, stale: bool },
    /// Not seen within the wait limit.
    Lost,
}

/// One side's line to its agent, as mountbench holds it.
pub trait Line {
    fn send_line(&mut self, line: &str) -> Result<()>;
    /// The next line, or an error when none came `within`.
    fn recv_line(&mut self, within: Duration) -> Result<String>;
}

/// The agent that makes the changes.
pub trait Changer {
    /// Change `change`, ready to be made (and timed).
    fn change(&mut self, change: u32) -> Change;
    /// Remove what the changes left.
    fn clean(&mut self) -> Result<()>;
}

/// The agent that looks for them.
pub trait Checker {
    fn arm(&mut self, change: u32) -> Result<()>;
    fn judge(&mut self, change: u32, window: Window) -> Result<Outcome>;
}

/// When a change was made, on the checker's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub start_ns: u64,
    pub end_ns: u64,
    /// The uncertainty of the clocks' offset: 0 when both sides run on one kernel.
    pub slack_ns: u64,
}

/// Which way a driven workload's changes cross, in workload files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The host (or, for watch without a host side, a second container) changes, the
    /// container checks.
    HostToContainer,
    /// The container changes, the host checks.
    ContainerToHost,
}

/// Who changes and who checks, relative to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sides {
    /// The host changes the target's folder through its host side; the target checks.
    HostToTarget,
    /// The target changes; the host checks through its host side.
    TargetToHost,
    /// The host side changes where there is one, else a second container on the same
    /// storage; the target checks.
    OtherToTarget,
}

/// A workload kind that is driven change by change.
pub trait Driven {
    fn sides(&self) -> Sides;
    fn changes(&self) -> u32;
    /// How long a change may take to be seen before it counts as lost.
    fn limit(&self) -> Duration;
    /// Changes made back to back before any is judged (1: one at a time).
    fn burst(&self) -> u32 {
        1
    }
    fn changer(&self, rep: &Rep) -> Result<Box<dyn Changer>>;
    fn checker(&self, rep: &Rep) -> Result<Box<dyn Checker>>;
}

/// The rep's folder, the same on both sides (each under its own root), created.
pub fn folder(rep: &Rep) -> Result<PathBuf> {
    let dir = rep.scratch_dir().join(rep.spec.seq.to_string());
    std::fs::create_dir_all(&dir).at(&dir)?;
    Ok(dir)
}

/// Remove what the changes left; already gone is fine.
pub fn remove_folder(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(Error::io(dir, e)),
        _ => Ok(()),
    }
}

/// The checks every driven kind makes: one thread, some changes, a sane wait limit.
pub(crate) fn check(c: &Check, changes: u32, limit: HumanDuration) -> Result<()> {
    c.one_thread("a driven workload has one side changing and one checking")?;
    c.positive("changes", changes as u64)?;
    if limit.0.is_zero() || limit.0 > Duration::from_secs(600) {
        return Err(c.error("limit", "must be more than 0 and at most 10m"));
    }
    Ok(())
}

/// What a driven kind answers when asked to run as one rep.
pub fn not_one_rep(kind: &str) -> Error {
    Error::Protocol(format!(
        "{kind} runs as two parties (`agent party`), not as one rep"
    ))
}
