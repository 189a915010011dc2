//! `coherence`: one side of a bind mount creates, overwrites, renames and deletes files while
//! the other checks each change byte for byte: how long until the new state is seen, whether
//! the first look after the change still found the old one (stale), and changes never seen
//! within the limit (lost). The host changes and the container checks, or the reverse.
//!
//! Each file goes through four changes: created with content, overwritten in place with
//! other content of another length, renamed, deleted.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::duration::HumanDuration;
use crate::error::{Error, Result};
use crate::metric::Metric;
use crate::size::ByteSize;
use crate::workload::check::Check;
use crate::workload::dataset::DatasetSpec;
use crate::workload::kinds::{Kind, Scale};
use crate::workload::party::{
    self, Change, Changer, Checker, Direction, Driven, Outcome, Poller, Sides, Window,
};
use crate::workload::rep::{Measured, Rep};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Coherence {
    pub changes: u32,
    pub file_size: ByteSize,
    pub direction: Direction,
    /// A change not seen this long after it was made is lost.
    pub limit: HumanDuration,
}

impl Default for Coherence {
    fn default() -> Self {
        Coherence {
            changes: 200,
            file_size: ByteSize(4 << 10),
            direction: Direction::HostToContainer,
            limit: HumanDuration(Duration::from_secs(3)),
        }
    }
}

impl Kind for Coherence {
    fn check(&self, c: &Check) -> Result<()> {
        c.one_thread("coherence has one side changing and one checking")?;
        c.positive("changes", self.changes as u64)?;
        c.positive("file_size", self.file_size.0)?;
        if self.file_size.0 > 64 << 20 {
            return Err(c.error(
                "file_size",
                "must be at most 64MiB (each look reads it whole)",
            ));
        }
        if self.limit.0.is_zero() || self.limit.0 > Duration::from_secs(600) {
            return Err(c.error("limit", "must be more than 0 and at most 10m"));
        }
        Ok(())
    }

    fn direct_block(&self) -> Option<ByteSize> {
        None
    }

    fn dataset(&self, _seed: u64) -> Option<DatasetSpec> {
        None
    }

    fn footprint(&self) -> u64 {
        2 * (self.file_size.0 + 4)
    }

    fn metrics(&self) -> &'static [Metric] {
        &[Metric::Seen, Metric::Stale, Metric::Lost]
    }

    fn run(&self, _rep: &Rep) -> Result<Measured> {
        Err(party::not_one_rep("coherence"))
    }

    fn scaled(&self, scale: Scale) -> Self {
        Coherence {
            changes: scale.count(self.changes),
            ..self.clone()
        }
    }

    fn driven(&self) -> Option<&dyn Driven> {
        Some(self)
    }
}

impl Driven for Coherence {
    fn sides(&self) -> Sides {
        match self.direction {
            Direction::HostToContainer => Sides::HostToTarget,
            Direction::ContainerToHost => Sides::TargetToHost,
        }
    }

    fn changes(&self) -> u32 {
        self.changes
    }

    fn limit(&self) -> Duration {
        self.limit.0
    }

    fn changer(&self, rep: &Rep) -> Result<Box<dyn Changer>> {
        let files = Files::new(rep, self.file_size.0)?;
        Ok(Box::new(FileChanger(files)))
    }

    fn checker(&self, rep: &Rep) -> Result<Box<dyn Checker>> {
        let files = Files::new(rep, self.file_size.0)?;
        Ok(Box::new(FileChecker {
            files,
            limit: self.limit.0,
            poller: None,
        }))
    }
}

/// The rep's folder and what each change leaves in it.
#[derive(Debug, Clone)]
struct Files {
    dir: PathBuf,
    size: u64,
    seed: u64,
}

impl Files {
    fn new(rep: &Rep, size: u64) -> Result<Files> {
        Ok(Files {
            dir: party::folder(rep)?,
            size,
            seed: rep.shuffle_seed(),
        })
    }

    /// The content change `k` writes: a header naming it, then bytes of its own.
    fn content(&self, k: u32) -> Vec<u8> {
        let len = (self.size + u64::from(k % 4)) as usize;
        let mut bytes = format!("mountbench coherence change {k}\n").into_bytes();
        let mut x = self.seed ^ (u64::from(k) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        while bytes.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes.push(x as u8);
        }
        bytes.truncate(len);
        bytes
    }

    /// Where change `k` acts and the state it leaves there: content, or no file.
    fn after(&self, k: u32) -> (PathBuf, Option<Vec<u8>>) {
        let file = k / 4;
        let (name, content) = match k % 4 {
            0 | 1 => (format!("f{file}"), Some(self.content(k))),
            2 => (format!("g{file}"), Some(self.content(k - 1))),
            _ => (format!("g{file}"), None),
        };
        (self.dir.join(name), content)
    }
}

struct FileChanger(Files);

impl Changer for FileChanger {
    fn change(&mut self, k: u32) -> Change {
        match self.0.after(k) {
            (to, _) if k % 4 == 2 => Change::Rename {
                from: self.0.dir.join(format!("f{}", k / 4)),
                to,
            },
            (path, Some(bytes)) => Change::Write {
                path,
                bytes,
                append: false,
            },
            (path, None) => Change::Remove(path),
        }
    }

    fn clean(&mut self) -> Result<()> {
        party::remove_folder(&self.0.dir)
    }
}

struct FileChecker {
    files: Files,
    limit: Duration,
    poller: Option<Poller>,
}

impl Checker for FileChecker {
    fn arm(&mut self, k: u32) -> Result<()> {
        let (path, want) = self.files.after(k);
        let mut got = Vec::with_capacity(want.as_ref().map_or(0, |w| w.len() + 1));
        let look = move || holds(&path, want.as_deref(), &mut got);
        self.poller = Some(Poller::start(look));
        Ok(())
    }

    fn judge(&mut self, _k: u32, window: Window) -> Result<Outcome> {
        let poller = self
            .poller
            .take()
            .ok_or_else(|| Error::Protocol("judged a change that was not armed".into()))?;
        poller.settle(window, self.limit)
    }
}

/// Whether `path` holds exactly `want` (None: there is no such file), read into `got` (kept
/// from look to look, so looking allocates nothing). A file that vanishes or changes under
/// the look, or whose handle a file share has just made stale, is simply not (yet) the new
/// state.
fn holds(path: &Path, want: Option<&[u8]>, got: &mut Vec<u8>) -> Result<bool> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(want.is_none()),
        Err(e) if is_stale(&e) => return Ok(false),
        Err(e) => return Err(Error::io(path, e)),
    };
    let Some(want) = want else {
        return Ok(false);
    };
    got.clear();
    match Read::by_ref(&mut file)
        .take(want.len() as u64 + 1)
        .read_to_end(got)
    {
        Ok(_) => Ok(got.as_slice() == want),
        Err(e) if e.kind() == ErrorKind::NotFound || is_stale(&e) => Ok(false),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// ESTALE: a file share's handle to a file the other side replaced.
fn is_stale(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(rustix::io::Errno::STALE.raw_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> Files {
        Files {
            dir: dir.to_path_buf(),
            size: 100,
            seed: 7,
        }
    }

    #[test]
    fn each_change_leaves_the_state_the_checker_expects() {
        let root = tempfile::tempdir().unwrap();
        let mut changer = FileChanger(files(root.path()));
        let f = files(root.path());
        for k in 0..8 {
            let (path, want) = f.after(k);
            let got = &mut Vec::new();
            assert!(!holds(&path, want.as_deref(), got).unwrap(), "before {k}");
            changer.change(k).make().unwrap();
            assert!(holds(&path, want.as_deref(), got).unwrap(), "after {k}");
        }
        assert_ne!(f.content(0), f.content(1));
        assert_eq!(f.content(1).len(), 101);
        changer.clean().unwrap();
        assert!(!root.path().exists());
        changer.clean().unwrap();
    }
}
