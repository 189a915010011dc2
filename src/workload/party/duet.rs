//! Duets: probes that need both sides of the storage at once (a lock held on one side and
//! tried on the other, a map written here and read there). mountbench conducts them act by
//! act over the same lines as a driven rep; the kind says what each side does.

use std::io::{BufRead, Write};

use super::Line;
use crate::error::Result;
use crate::workload::probe::Observation;
use crate::workload::rep::Rep;

/// The other side of a target, or why it has none.
pub type There<'a> = std::result::Result<&'a mut dyn Line, String>;

/// A kind whose probes are partly played by two agents on the two sides of the storage.
pub trait Duet {
    /// Whether any chosen probe needs the two sides (else the rep is one agent's run).
    fn two_sided(&self) -> bool;

    /// Whether any chosen probe runs on the target alone (else a target with no other side
    /// cannot hold any of them).
    fn one_sided(&self) -> bool;

    /// One side's part (the agent): obey acts from `input` until the end.
    fn serve(&self, rep: &Rep, input: &mut dyn BufRead, output: &mut dyn Write) -> Result<()>;

    /// mountbench's part: play every two-sided probe between `here` (the target) and
    /// `there` (the other side; its absence skips them with the reason), then end both.
    fn conduct(&self, here: &mut dyn Line, there: There) -> Result<Vec<Observation>>;
}
