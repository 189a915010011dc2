//! `owner` and `chown`: the owner a file the target writes gets as the other side sees it,
//! a `chmod` round trip, and a `chown` made on one side seen on the other. Containers run
//! without CAP_CHOWN, so when the target may not chown the other side does (the detail
//! says which); when neither may, the probe is skipped.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::acts::{Act, Reply};
use super::duo::{Duo, Play, Said, Who, BOUND_MS};
use crate::workload::probe::Outcome;

/// A uid and gid no side runs as.
const OTHER_ID: u32 = 4242;

/// `uid:gid 0644` of `path` (the permission bits only).
pub(super) fn owner_mode(path: &Path) -> std::io::Result<String> {
    let m = std::fs::symlink_metadata(path)?;
    Ok(format!("{}:{} {:04o}", m.uid(), m.gid(), m.mode() & 0o7777))
}

/// A file `stem` with `text`, created on this side; its name.
fn create_here(d: &mut Duo, stem: &str, text: &str) -> Play<String> {
    let name = d.at(stem);
    let write = Act::Write {
        name: name.clone(),
        text: text.to_string(),
    };
    d.must(Who::Here, "create", &write)?;
    Ok(name)
}

pub fn owner_and_mode(d: &mut Duo) -> Play<Outcome> {
    let name = create_here(d, "owned", "whose")?;
    let written = d.must(Who::Here, "stat", &Act::Stat { name: name.clone() })?;
    let owner = match seen_there(d, &name, &written.said)? {
        Ok(_) => "the other side sees the writer's owner".to_string(),
        Err(other) => format!("written as {}, seen as {other}", written.said),
    };
    let chmod = Act::Chmod {
        name: name.clone(),
        mode: 0o640,
    };
    d.must(Who::Here, "chmod", &chmod)?;
    let changed = d.must(Who::Here, "stat", &Act::Stat { name: name.clone() })?;
    let (mode, detail) = match seen_there(d, &name, &changed.said)? {
        Ok(s) => (
            "chmod 0640 seen".to_string(),
            format!("seen after {}", s.took()),
        ),
        Err(other) => (
            format!("chmod 0640 not seen (still {other})"),
            String::new(),
        ),
    };
    let detail = format!("written as {}; {detail}", written.said);
    Ok(Outcome::saw(format!("{owner}; {mode}"), detail))
}

pub fn chown(d: &mut Duo) -> Play<Outcome> {
    let name = create_here(d, "given", "given away")?;
    let give = Act::Chown {
        name: name.clone(),
        uid: OTHER_ID,
        gid: OTHER_ID,
    };
    let (by, sees, refused) = match d.ask(Who::Here, &give)? {
        Reply::Did { .. } => (Who::Here, Who::There, String::new()),
        Reply::Refused { errno, .. } => match d.ask(Who::There, &give)? {
            Reply::Did { .. } => (Who::There, Who::Here, format!("target: chown {errno}; ")),
            Reply::Refused { errno: e2, .. } => {
                let note = format!("neither side may chown (target: {errno}, other side: {e2})");
                return Ok(Outcome::Skipped { note });
            }
            other => return Ok(Outcome::saw("an unexpected answer", format!("{other:?}"))),
        },
        other => return Ok(Outcome::saw("an unexpected answer", format!("{other:?}"))),
    };
    let now = d.must(by, "stat", &Act::Stat { name: name.clone() })?;
    let facts = match now.said.starts_with(&format!("{OTHER_ID}:{OTHER_ID} ")) {
        true => "the chown holds",
        false => "the chown did not hold",
    };
    let by_name = match by {
        Who::Here => "the target",
        Who::There => "the other side",
    };
    let look = Act::AwaitStat {
        name,
        want: now.said.clone(),
        bound_ms: BOUND_MS,
    };
    let (seen, detail) = match d.ask(sees, &look)? {
        Reply::Did { said, micros } => {
            let s = Said { said, micros };
            (
                "seen across".to_string(),
                format!("{refused}chowned by {by_name}, seen after {}", s.took()),
            )
        }
        Reply::Missed { last, .. } => (format!("not seen across (still {last})"), refused),
        Reply::Refused { errno, .. } => (format!("the other side's stat: {errno}"), refused),
        other => return Ok(Outcome::saw("an unexpected answer", format!("{other:?}"))),
    };
    Ok(Outcome::saw(format!("{facts}, {seen}"), detail))
}

/// Whether the other side sees `name` as `want` within the bound: Ok when it does, else
/// what it last saw.
fn seen_there(d: &mut Duo, name: &str, want: &str) -> Play<std::result::Result<Said, String>> {
    let look = Act::AwaitStat {
        name: name.into(),
        want: want.into(),
        bound_ms: BOUND_MS,
    };
    Ok(match d.ask(Who::There, &look)? {
        Reply::Did { said, micros } => Ok(Said { said, micros }),
        Reply::Missed { last, .. } => Err(last),
        Reply::Refused { errno, .. } => Err(errno),
        other => Err(format!("{other:?}")),
    })
}
