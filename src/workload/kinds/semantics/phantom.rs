//! `phantom`: the other side unlinks a file the target has looked at; do the target's
//! `lstat` and `readdir` agree that it is gone, and how soon? A cached entry shows as `lstat`
//! finding a file `readdir` no longer lists (and an `open` of it failing oddly).

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use super::acts::{Act, Done, Reply};
use super::duo::{took, Duo, Play, Who, BOUND_MS};
use super::looks::pause;
use crate::workload::probe::evidence::errno_name;
use crate::workload::probe::Outcome;

/// One look at a name: does `lstat` find it, does `readdir` of its folder list it?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Presence {
    pub there: bool,
    pub listed: bool,
}

impl Presence {
    pub fn of(path: &Path) -> std::io::Result<Presence> {
        let there = match fs::symlink_metadata(path) {
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        let (dir, name) = (path.parent(), path.file_name());
        let listed = match (dir, name) {
            (Some(dir), Some(name)) => {
                let mut entries = fs::read_dir(dir)?;
                entries.any(|e| e.is_ok_and(|e| e.file_name() == name))
            }
            _ => false,
        };
        Ok(Presence { there, listed })
    }

    pub fn words(self) -> String {
        let say = |b: bool, yes: &str, no: &str| if b { yes } else { no }.to_string();
        format!(
            "lstat: {}, readdir: {}",
            say(self.there, "found", "gone"),
            say(self.listed, "listed", "gone")
        )
    }
}

/// Look until `path` is gone to both; `Said` what happened on the way, `Missed` the last look.
pub(super) fn await_gone(path: &Path, bound_ms: u64) -> Done {
    let started = Instant::now();
    let mut first = true;
    let mut split: Option<String> = None;
    loop {
        let seen = match Presence::of(path) {
            Ok(p) => p,
            Err(e) => return Done::Missed(errno_name(&e)),
        };
        if !seen.there && !seen.listed {
            let said = match (first, split) {
                (true, _) => "gone to lstat and readdir at the first look".to_string(),
                (false, None) => "gone to lstat and readdir together, after a while".to_string(),
                (false, Some(how)) => {
                    format!("lstat and readdir disagreed ({how}), then both gone")
                }
            };
            return Done::Said(said);
        }
        if seen.there != seen.listed && split.is_none() {
            let open = match fs::File::open(path) {
                Ok(_) => "opens".to_string(),
                Err(e) => super::files::errno_only(&e),
            };
            split = Some(format!("{}, open: {open}", seen.words()));
        }
        if started.elapsed() >= Duration::from_millis(bound_ms) {
            return Done::Missed(split.unwrap_or_else(|| seen.words()));
        }
        first = false;
        pause(started);
    }
}

pub fn after_unlink(d: &mut Duo) -> Play<Outcome> {
    let name = d.at("doomed");
    let text = "soon gone".to_string();
    d.must(
        Who::There,
        "create",
        &Act::Write {
            name: name.clone(),
            text,
        },
    )?;
    let listed = Act::AwaitListed {
        name: name.clone(),
        bound_ms: BOUND_MS,
    };
    d.must(Who::Here, "see the file", &listed)?;
    d.must(Who::There, "unlink", &Act::Unlink { name: name.clone() })?;
    let gone = Act::AwaitGone {
        name,
        bound_ms: BOUND_MS,
    };
    Ok(match d.ask(Who::Here, &gone)? {
        Reply::Did { said, micros } => Outcome::saw(said, format!("gone after {}", took(micros))),
        Reply::Missed { last, .. } => Outcome::saw(
            format!(
                "still there {} s after the unlink ({last})",
                BOUND_MS / 1000
            ),
            "",
        ),
        Reply::Refused { errno, .. } => Outcome::Failed {
            step: "target: look".into(),
            errno,
        },
        other => Outcome::saw("an unexpected answer", format!("{other:?}")),
    })
}
