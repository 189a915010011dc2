//! What mountbench and a side of a two-sided probe say to each other, one JSON object a
//! line: the acts mountbench orders, the side's replies, and what an act came to on the
//! side before it is a reply.

use serde::{Deserialize, Serialize};

/// What mountbench asks one side to do. Names are relative to the rep's folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "act", rename_all = "kebab-case")]
pub enum Act {
    /// Make folder `name` (and its parents).
    Mkdir {
        name: String,
    },
    /// Remove folder `name` and everything in it; gone already is fine.
    Clear {
        name: String,
    },
    /// Create or truncate `name`, write `text`, fsync.
    Write {
        name: String,
        text: String,
    },
    /// Open `name` read-write and keep it open.
    Hold {
        name: String,
    },
    /// What held `name` reads from its start.
    ReadHeld {
        name: String,
    },
    /// Lock held `name` exclusively without blocking, retrying for `wait_ms`.
    Lock {
        name: String,
        kind: LockKind,
        wait_ms: u64,
    },
    /// Close held `name`, dropping its locks and its map.
    Close {
        name: String,
    },
    /// Close every held file.
    CloseAll,
    /// Map held `name` MAP_SHARED and write `text` at its start through the map.
    MapWrite {
        name: String,
        text: String,
    },
    /// msync the map of held `name`.
    Msync {
        name: String,
    },
    /// Look (a fresh open and read each time) until `name` starts with `text`.
    AwaitText {
        name: String,
        text: String,
        bound_ms: u64,
    },
    /// Look until `name` is there to `lstat` and listed by `readdir`.
    AwaitListed {
        name: String,
        bound_ms: u64,
    },
    /// Look until `name` is gone to both `lstat` and `readdir`; says whether they disagreed.
    AwaitGone {
        name: String,
        bound_ms: u64,
    },
    /// Look until `name`'s `uid:gid mode` reads `want`.
    AwaitStat {
        name: String,
        want: String,
        bound_ms: u64,
    },
    Unlink {
        name: String,
    },
    Rename {
        from: String,
        to: String,
    },
    /// `uid:gid mode` of `name`.
    Stat {
        name: String,
    },
    Chmod {
        name: String,
        mode: u32,
    },
    Chown {
        name: String,
        uid: u32,
        gid: u32,
    },
    /// The names in folder `name`, sorted, comma-separated.
    List {
        name: String,
    },
    /// This side is done: close everything and exit.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockKind {
    /// `flock(LOCK_EX | LOCK_NB)`.
    Flock,
    /// `fcntl(F_SETLK, F_WRLCK)` over the whole file (POSIX record lock).
    Fcntl,
}

/// A side's answer to one act.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "kebab-case")]
pub enum Reply {
    /// Done; what it found, and how long the act took (for an await: until it saw it).
    Did {
        said: String,
        micros: f64,
    },
    /// An await that did not see what it looked for within its bound; the last look.
    Missed {
        last: String,
        micros: f64,
    },
    /// The OS refused the act: its errno.
    Refused {
        errno: String,
        micros: f64,
    },
    /// The act could not be carried out at all (unknown name, unreadable order).
    Broke {
        message: String,
    },
    Ended,
}

/// What an act came to short of a reply.
pub(super) enum Done {
    Said(String),
    Missed(String),
}
