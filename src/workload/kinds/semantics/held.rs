//! `unlink-held` and `rename-held`: the target holds a file open while the other side
//! unlinks it, or renames another file over it. Locally the open file lives on (its old
//! content readable) and nothing is left in the folder; network and FUSE filesystems leave
//! silly-renamed names (`.nfs…`, `.fuse_hidden…`) or answer ESTALE.

use super::acts::{Act, Reply};
use super::duo::{Duo, Play, Said, Who, BOUND_MS};
use crate::workload::probe::Outcome;

const OLD: &str = "the old content";
const NEW: &str = "the new content";

pub fn unlink(d: &mut Duo) -> Play<Outcome> {
    let name = d.at("held");
    hold_old(d, &name)?;
    d.must(Who::There, "unlink", &Act::Unlink { name: name.clone() })?;
    let reads = read_held(d, &name)?;
    let left = leftovers(d, &[])?;
    Ok(Outcome::saw(
        format!("after the unlink the open file {reads}; {left}"),
        "",
    ))
}

pub fn rename_over(d: &mut Duo) -> Play<Outcome> {
    let name = d.at("held");
    let new = d.at("incoming");
    hold_old(d, &name)?;
    let text = NEW.to_string();
    d.must(
        Who::There,
        "create",
        &Act::Write {
            name: new.clone(),
            text,
        },
    )?;
    let rename = Act::Rename {
        from: new,
        to: name.clone(),
    };
    d.must(Who::There, "rename over", &rename)?;
    let reads = read_held(d, &name)?;
    let look = Act::AwaitText {
        name,
        text: NEW.into(),
        bound_ms: BOUND_MS,
    };
    let (fresh, detail) = match d.ask(Who::Here, &look)? {
        Reply::Did { said, micros } => {
            let s = Said { said, micros };
            (
                "a new open reads the new".to_string(),
                format!("seen after {}", s.took()),
            )
        }
        Reply::Missed { last, .. } => (format!("a new open still reads '{last}'"), String::new()),
        Reply::Refused { errno, .. } => (format!("a new open: {errno}"), String::new()),
        other => return Ok(Outcome::saw("an unexpected answer", format!("{other:?}"))),
    };
    let left = leftovers(d, &["held"])?;
    Ok(Outcome::saw(
        format!("after the rename the open file {reads}; {fresh}; {left}"),
        detail,
    ))
}

/// The target writes `name` with the old content, the other side sees it, the target opens it.
fn hold_old(d: &mut Duo, name: &str) -> Play<()> {
    let write = Act::Write {
        name: name.into(),
        text: OLD.into(),
    };
    d.must(Who::Here, "create", &write)?;
    let listed = Act::AwaitListed {
        name: name.into(),
        bound_ms: BOUND_MS,
    };
    d.must(Who::There, "see the file", &listed)?;
    d.must(Who::Here, "open", &Act::Hold { name: name.into() })?;
    Ok(())
}

/// What the held file reads now, in words.
fn read_held(d: &mut Duo, name: &str) -> Play<String> {
    Ok(
        match d.ask(Who::Here, &Act::ReadHeld { name: name.into() })? {
            Reply::Did { said, .. } if said == OLD => "still reads the old content".into(),
            Reply::Did { said, .. } if said == NEW => "reads the new content".into(),
            Reply::Did { said, .. } => {
                format!("reads '{}'", said.chars().take(40).collect::<String>())
            }
            Reply::Refused { errno, .. } => format!("reads {errno}"),
            other => format!("answers {other:?}"),
        },
    )
}

/// Names in the probe's folder beyond `expected`, as the target lists them (digits of
/// silly-rename suffixes dropped, so the words compare).
fn leftovers(d: &mut Duo, expected: &[&str]) -> Play<String> {
    let listed = d.must(
        Who::Here,
        "list",
        &Act::List {
            name: d.dir.clone(),
        },
    )?;
    let extra: Vec<String> = listed
        .said
        .split(',')
        .filter(|n| !n.is_empty() && !expected.contains(n))
        .map(|n| {
            n.trim_end_matches(|c: char| c.is_ascii_hexdigit())
                .to_string()
                + "…"
        })
        .collect();
    Ok(match extra.is_empty() {
        true => "nothing left in the folder".into(),
        false => format!("left in the folder: {}", extra.join(", ")),
    })
}
