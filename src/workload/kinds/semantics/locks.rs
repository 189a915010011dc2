//! `flock` and `fcntl`: is an exclusive lock taken on one side exclusive on the other? The
//! target locks a file, the other side tries the same lock without waiting (it must be
//! refused), the target lets go, the other side tries again (it must get it).

use std::fs::File;
use std::os::fd::AsRawFd;

use rustix::fs::FlockOperation;

use super::acts::{Act, LockKind, Reply};
use super::duo::{Duo, Play, Who, BOUND_MS};
use crate::workload::probe::Outcome;

/// Take `kind` of exclusive lock on `file` without waiting.
pub(super) fn lock(file: &File, kind: LockKind) -> std::io::Result<()> {
    match kind {
        LockKind::Flock => rustix::fs::flock(file, FlockOperation::NonBlockingLockExclusive)
            .map_err(std::io::Error::from),
        LockKind::Fcntl => {
            // SAFETY: a zeroed flock is a valid value of the struct; the fields set below
            // ask for a write lock over the whole file.
            let mut fl: libc::flock = unsafe { std::mem::zeroed() };
            fl.l_type = libc::F_WRLCK as _;
            fl.l_whence = libc::SEEK_SET as _;
            // SAFETY: the fd is open for as long as `file` lives; F_SETLK only reads `fl`.
            let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &fl) };
            match rc {
                -1 => Err(std::io::Error::last_os_error()),
                _ => Ok(()),
            }
        }
    }
}

pub fn exclusive(d: &mut Duo, kind: LockKind) -> Play<Outcome> {
    let f = d.at("locked");
    let name = || f.clone();
    let lock = |wait_ms| Act::Lock {
        name: name(),
        kind,
        wait_ms,
    };
    let text = "lock".to_string();
    d.must(Who::Here, "create", &Act::Write { name: name(), text })?;
    let listed = Act::AwaitListed {
        name: name(),
        bound_ms: BOUND_MS,
    };
    d.must(Who::There, "see the file", &listed)?;
    d.must(Who::Here, "open", &Act::Hold { name: name() })?;
    d.must(Who::There, "open", &Act::Hold { name: name() })?;
    d.must(Who::Here, "lock", &lock(0))?;
    let refused = match d.ask(Who::There, &lock(0))? {
        Reply::Refused { errno, .. } => errno,
        Reply::Did { .. } => {
            return Ok(Outcome::saw(
                "not exclusive: both sides held the lock at once",
                "",
            ))
        }
        other => return Ok(unexpected(&other)),
    };
    d.must(Who::Here, "unlock (close)", &Act::Close { name: name() })?;
    let facts = match d.ask(Who::There, &lock(BOUND_MS))? {
        Reply::Did { .. } => "exclusive: the other side was refused, then got it once released",
        Reply::Refused { .. } => "the other side was refused, and still was once it was released",
        other => return Ok(unexpected(&other)),
    };
    Ok(Outcome::saw(facts, format!("refused with {refused}")))
}

fn unexpected(reply: &Reply) -> Outcome {
    Outcome::saw("an unexpected answer to a lock", format!("{reply:?}"))
}
