//! Looking again and again until something is seen or a bound passes: what the two-sided
//! probes' awaits and lock retries share.

use std::time::{Duration, Instant};

use super::acts::Done;
use crate::workload::probe::evidence::errno_name;

/// Looks are back to back this long, then spaced by `PAUSE`.
const EAGER: Duration = Duration::from_millis(20);
const PAUSE: Duration = Duration::from_micros(500);

/// Look until `look` says it saw what it wants or `bound_ms` passed. An error from a look
/// is a look that did not see it (a file not there yet reads ENOENT), kept as the last.
pub(super) fn look_until(
    bound_ms: u64,
    mut look: impl FnMut() -> std::io::Result<(bool, String)>,
) -> Done {
    let started = Instant::now();
    let bound = Duration::from_millis(bound_ms);
    loop {
        let last = match look() {
            Ok((true, said)) => return Done::Said(said),
            Ok((false, said)) => said,
            Err(e) => errno_name(&e),
        };
        if started.elapsed() >= bound {
            return Done::Missed(last);
        }
        pause(started);
    }
}

/// Retry `try_it` until it works or `wait_ms` passed; its last error otherwise.
pub(super) fn await_ok(
    wait_ms: u64,
    mut try_it: impl FnMut() -> std::io::Result<()>,
) -> std::io::Result<()> {
    let started = Instant::now();
    loop {
        match try_it() {
            Err(_) if started.elapsed() < Duration::from_millis(wait_ms) => pause(started),
            done => return done,
        }
    }
}

pub(super) fn pause(started: Instant) {
    match started.elapsed() < EAGER {
        true => std::thread::yield_now(),
        false => std::thread::sleep(PAUSE),
    }
}
