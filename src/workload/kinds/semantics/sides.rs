//! One side of a two-sided probe: the agent that does the acts mountbench orders ([`acts`],
//! one a line) in the rep's folder on its own root (the same folder the other side sees
//! through its own root). Held files stay open across acts by name, with their locks and
//! their maps.
//!
//! [`acts`]: super::acts

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, ErrorKind, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::acts::{Act, Done, Reply};
use super::looks::{await_ok, look_until};
use super::mmap::Map;
use super::owner::owner_mode;
use super::phantom::Presence;
use crate::error::{Error, Result};
use crate::workload::probe::evidence::errno_name;

/// Obey acts from `input` in `base` until `End`; a broken act is answered and ends it.
pub fn serve(base: &Path, input: &mut dyn BufRead, output: &mut dyn Write) -> Result<()> {
    let mut side = Side {
        base: base.to_path_buf(),
        held: BTreeMap::new(),
    };
    let mut line = String::new();
    loop {
        line.clear();
        let read = input.read_line(&mut line);
        match read {
            Ok(0) => return Err(Error::Protocol("the acts ended before `end`".into())),
            Err(e) => return Err(Error::Protocol(format!("reading acts: {e}"))),
            Ok(_) if line.trim().is_empty() => continue,
            Ok(_) => {}
        }
        let reply = match serde_json::from_str::<Act>(&line) {
            Ok(Act::End) => Reply::Ended,
            Ok(act) => side.obey(act),
            Err(e) => Reply::Broke {
                message: format!("unreadable act ({e}): {}", line.trim()),
            },
        };
        let text = serde_json::to_string(&reply).expect("replies serialize");
        writeln!(output, "{text}")
            .and_then(|()| output.flush())
            .map_err(|e| Error::Protocol(format!("writing replies: {e}")))?;
        match reply {
            Reply::Ended => {
                // The rep's folder, once the last side leaves it empty.
                let _ = fs::remove_dir(base);
                return Ok(());
            }
            Reply::Broke { message } => return Err(Error::Agent(message)),
            _ => {}
        }
    }
}

/// A file a side keeps open, and its map if it made one.
struct Held {
    file: File,
    map: Option<Map>,
}

struct Side {
    base: PathBuf,
    held: BTreeMap<String, Held>,
}

impl Side {
    fn obey(&mut self, act: Act) -> Reply {
        let started = Instant::now();
        let micros = || started.elapsed().as_secs_f64() * 1e6;
        match self.act(act) {
            Ok(Done::Said(said)) => Reply::Did {
                said,
                micros: micros(),
            },
            Ok(Done::Missed(last)) => Reply::Missed {
                last,
                micros: micros(),
            },
            Err(Fault::Os(e)) => Reply::Refused {
                errno: errno_name(&e),
                micros: micros(),
            },
            Err(Fault::Broke(message)) => Reply::Broke { message },
        }
    }

    fn act(&mut self, act: Act) -> std::result::Result<Done, Fault> {
        let said: &str = match act {
            Act::ReadHeld { .. }
            | Act::AwaitText { .. }
            | Act::AwaitListed { .. }
            | Act::AwaitGone { .. }
            | Act::AwaitStat { .. }
            | Act::Stat { .. }
            | Act::List { .. } => return self.look(act),
            Act::Mkdir { name } => fs::create_dir_all(self.path(&name)).map(|()| "made")?,
            Act::Clear { name } => match fs::remove_dir_all(self.path(&name)) {
                Err(e) if e.kind() != ErrorKind::NotFound => Err(e)?,
                _ => "cleared",
            },
            Act::Write { name, text } => {
                let mut file = File::create(self.path(&name))?;
                file.write_all(text.as_bytes())?;
                file.sync_all().map(|()| "written")?
            }
            Act::Hold { name } => {
                let path = self.path(&name);
                let file = OpenOptions::new().read(true).write(true).open(path)?;
                self.held.insert(name, Held { file, map: None });
                "held"
            }
            Act::Lock {
                name,
                kind,
                wait_ms,
            } => {
                let file = &self.held(&name)?.file;
                await_ok(wait_ms, || super::locks::lock(file, kind)).map(|()| "locked")?
            }
            Act::Close { name } => {
                self.held.remove(&name).ok_or_else(|| unknown(&name))?;
                "closed"
            }
            Act::CloseAll => {
                self.held.clear();
                "closed"
            }
            Act::MapWrite { name, text } => {
                let held = self.held.get_mut(&name).ok_or_else(|| unknown(&name))?;
                let map = Map::shared(&held.file)?;
                map.write(text.as_bytes());
                held.map = Some(map);
                "written through the map"
            }
            Act::Msync { name } => {
                let map = self.held(&name)?.map.as_ref();
                map.ok_or_else(|| Fault::Broke(format!("{name} is not mapped")))?
                    .sync()
                    .map(|()| "synced")?
            }
            Act::Unlink { name } => fs::remove_file(self.path(&name)).map(|()| "unlinked")?,
            Act::Rename { from, to } => {
                fs::rename(self.path(&from), self.path(&to)).map(|()| "renamed")?
            }
            Act::Chmod { name, mode } => {
                let perms = fs::Permissions::from_mode(mode);
                fs::set_permissions(self.path(&name), perms).map(|()| "changed")?
            }
            Act::Chown { name, uid, gid } => {
                std::os::unix::fs::chown(self.path(&name), Some(uid), Some(gid))
                    .map(|()| "changed")?
            }
            Act::End => "ended",
        };
        Ok(Done::Said(said.to_string()))
    }

    /// An act that only looks: what it found.
    fn look(&self, act: Act) -> std::result::Result<Done, Fault> {
        match act {
            Act::ReadHeld { name } => {
                let mut text = String::new();
                let mut file = &self.held(&name)?.file;
                std::io::Seek::rewind(&mut file)?;
                file.read_to_string(&mut text)?;
                Ok(Done::Said(text))
            }
            Act::AwaitText {
                name,
                text,
                bound_ms,
            } => {
                let path = self.path(&name);
                Ok(look_until(bound_ms, || {
                    let now = fs::read(&path)?;
                    let seen = now.starts_with(text.as_bytes());
                    let prefix = &now[..now.len().min(text.len())];
                    Ok((seen, String::from_utf8_lossy(prefix).into_owned()))
                }))
            }
            Act::AwaitListed { name, bound_ms } => {
                let path = self.path(&name);
                Ok(look_until(bound_ms, || {
                    let seen = Presence::of(&path)?;
                    Ok((seen.there && seen.listed, seen.words()))
                }))
            }
            Act::AwaitGone { name, bound_ms } => {
                Ok(super::phantom::await_gone(&self.path(&name), bound_ms))
            }
            Act::AwaitStat {
                name,
                want,
                bound_ms,
            } => {
                let path = self.path(&name);
                Ok(look_until(bound_ms, || {
                    let now = owner_mode(&path)?;
                    Ok((now == want, now))
                }))
            }
            Act::Stat { name } => Ok(Done::Said(owner_mode(&self.path(&name))?)),
            Act::List { name } => {
                let mut names = super::files::listing(&self.path(&name))?;
                names.sort();
                Ok(Done::Said(names.join(",")))
            }
            other => Err(Fault::Broke(format!("{other:?} is not a look"))),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.base.join(name)
    }

    fn held(&self, name: &str) -> std::result::Result<&Held, Fault> {
        self.held.get(name).ok_or_else(|| unknown(name))
    }
}

/// Why an act did not get done: the OS said no, or the order made no sense.
pub(super) enum Fault {
    Os(std::io::Error),
    Broke(String),
}

impl From<std::io::Error> for Fault {
    fn from(e: std::io::Error) -> Fault {
        Fault::Os(e)
    }
}

fn unknown(name: &str) -> Fault {
    Fault::Broke(format!("{name} is not held"))
}
