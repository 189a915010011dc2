//! `watch`: inotify (FSEvents natively on a Mac) on the target's folder while the other side creates, modifies, renames
//! and deletes files in it (the host through a bind mount, or a second container on a
//! volume), or on the host's side of a bind mount while the container changes it: the delay
//! from each change to its event, and the events never delivered within the limit (missed),
//! as a file watcher (a dev server, a data-loader reload) lives it.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::duration::HumanDuration;
use crate::error::{Error, Result};
use crate::metric::Metric;
use crate::platform::{self, FolderEvent as Event, FolderWatch, Heard};
use crate::size::ByteSize;
use crate::workload::check::Check;
use crate::workload::dataset::DatasetSpec;
use crate::workload::kinds::{Kind, Scale};
use crate::workload::party::{
    self, now_ns, Change, Changer, Checker, Direction, Driven, Outcome, Sides, Window,
};
use crate::workload::rep::{Measured, Rep};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Watch {
    pub changes: u32,
    /// host-to-container: the container watches (changed by the host, or by a second
    /// container on a volume); container-to-host: the host watches what the container does.
    pub direction: Direction,
    /// An event not delivered this long after its change is missed.
    pub limit: HumanDuration,
    /// Changes made back to back before any event is waited for, as a `git checkout` or an
    /// unpacked archive makes them (1: one at a time).
    pub burst: u32,
}

/// The longest burst: its orders and answers stay within the agents' pipe buffers.
const MAX_BURST: u32 = 1000;

impl Default for Watch {
    fn default() -> Self {
        Watch {
            changes: 100,
            direction: Direction::HostToContainer,
            limit: HumanDuration(Duration::from_secs(1)),
            burst: 1,
        }
    }
}

impl Kind for Watch {
    fn check(&self, c: &Check) -> Result<()> {
        party::check(c, self.changes, self.limit)?;
        if self.burst == 0 || self.burst > MAX_BURST {
            return Err(c.error("burst", format!("must be 1 to {MAX_BURST}")));
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
        64 << 10
    }

    fn metrics(&self) -> &'static [Metric] {
        &[Metric::Delivered, Metric::Missed]
    }

    fn run(&self, _rep: &Rep) -> Result<Measured> {
        Err(party::not_one_rep("watch"))
    }

    fn scaled(&self, scale: Scale) -> Self {
        let changes = scale.count(self.changes);
        Watch {
            changes,
            burst: self.burst.min(changes.max(1)),
            ..self.clone()
        }
    }

    fn driven(&self) -> Option<&dyn Driven> {
        Some(self)
    }
}

impl Driven for Watch {
    fn sides(&self) -> Sides {
        match self.direction {
            Direction::HostToContainer => Sides::OtherToTarget,
            Direction::ContainerToHost => Sides::TargetToHost,
        }
    }

    fn changes(&self) -> u32 {
        self.changes
    }

    fn limit(&self) -> Duration {
        self.limit.0
    }

    fn burst(&self) -> u32 {
        self.burst
    }

    fn changer(&self, rep: &Rep) -> Result<Box<dyn Changer>> {
        Ok(Box::new(FileChanger {
            dir: party::folder(rep)?,
        }))
    }

    fn checker(&self, rep: &Rep) -> Result<Box<dyn Checker>> {
        let dir = party::folder(rep)?;
        Ok(Box::new(Watcher::start(&dir, self.limit.0)?))
    }
}

/// Change `k`: its file's four steps, and the event each must raise on which name.
fn expected(k: u32) -> (Event, String) {
    let file = k / 4;
    match k % 4 {
        0 => (Event::Create, format!("w{file}")),
        1 => (Event::Modify, format!("w{file}")),
        2 => (Event::MovedTo, format!("x{file}")),
        _ => (Event::Delete, format!("x{file}")),
    }
}

struct FileChanger {
    dir: PathBuf,
}

impl Changer for FileChanger {
    fn change(&mut self, k: u32) -> Change {
        let (event, name) = expected(k);
        let path = self.dir.join(&name);
        match event {
            // Created empty: a write here would raise the MODIFY the next change waits for.
            Event::Create => Change::Write {
                path,
                bytes: Vec::new(),
                append: false,
            },
            Event::Modify => Change::Write {
                path,
                bytes: format!("mountbench watch change {k}\n").into_bytes(),
                append: true,
            },
            Event::MovedTo => Change::Rename {
                from: self.dir.join(format!("w{}", k / 4)),
                to: path,
            },
            Event::Delete => Change::Remove(path),
        }
    }

    fn clean(&mut self) -> Result<()> {
        party::remove_folder(&self.dir)
    }
}

struct Watcher {
    heard: Heard,
    limit: Duration,
    _watch: FolderWatch,
}

impl Watcher {
    /// Watch `dir` from now on (inotify on Linux, FSEvents on macOS).
    fn start(dir: &std::path::Path, limit: Duration) -> Result<Watcher> {
        let heard = Heard::default();
        let watch =
            platform::watch_folder(dir, heard.clone(), now_ns).map_err(|e| Error::io(dir, e))?;
        Ok(Watcher {
            heard,
            limit,
            _watch: watch,
        })
    }
}

impl Checker for Watcher {
    fn arm(&mut self, _k: u32) -> Result<()> {
        Ok(())
    }

    /// The first event of the change's kind on its name heard since the change began.
    fn judge(&mut self, k: u32, window: Window) -> Result<Outcome> {
        let key = expected(k);
        let since = window.start_ns.saturating_sub(window.slack_ns);
        let deadline = window.end_ns.saturating_add(self.limit.as_nanos() as u64);
        loop {
            let found = {
                let heard = self
                    .heard
                    .lock()
                    .map_err(|_| Error::Panicked { thread: "watching" })?;
                if let Some(failed) = &heard.failed {
                    return Err(Error::Watch(failed.clone()));
                }
                heard
                    .times
                    .get(&key)
                    .and_then(|times| times.iter().find(|t| **t >= since).copied())
            };
            if let Some(at) = found {
                return Ok(Outcome::Seen {
                    latency_ns: at.saturating_sub(window.start_ns),
                    stale: false,
                });
            }
            if now_ns() >= deadline {
                return Ok(Outcome::Lost);
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window of a change begun at `start_ns` and just made, on one kernel.
    fn made_since(start_ns: u64) -> Window {
        Window {
            start_ns,
            end_ns: now_ns(),
            slack_ns: 0,
        }
    }

    #[test]
    fn every_change_on_one_kernel_is_heard() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("w");
        std::fs::create_dir_all(&dir).unwrap();
        let mut watcher = Watcher::start(&dir, Duration::from_secs(5)).unwrap();
        let mut changer = FileChanger { dir: dir.clone() };
        for k in 0..8 {
            watcher.arm(k).unwrap();
            let start_ns = now_ns();
            changer.change(k).make().unwrap();
            let window = made_since(start_ns);
            let got = watcher.judge(k, window).unwrap();
            assert!(matches!(got, Outcome::Seen { .. }), "change {k}: {got:?}");
        }
        changer.clean().unwrap();
    }

    #[test]
    fn a_burst_is_heard_change_by_change() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("w");
        std::fs::create_dir_all(&dir).unwrap();
        let mut watcher = Watcher::start(&dir, Duration::from_secs(5)).unwrap();
        let mut changer = FileChanger { dir: dir.clone() };
        let windows: Vec<Window> = (0..40)
            .map(|k| {
                let start_ns = now_ns();
                changer.change(k).make().unwrap();
                made_since(start_ns)
            })
            .collect();
        for (k, window) in (0..).zip(windows) {
            let got = watcher.judge(k, window).unwrap();
            assert!(matches!(got, Outcome::Seen { .. }), "change {k}: {got:?}");
        }
        changer.clean().unwrap();
    }

    #[test]
    fn a_create_is_not_taken_for_the_modify_after_it() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("w");
        std::fs::create_dir_all(&dir).unwrap();
        let mut watcher = Watcher::start(&dir, Duration::from_millis(50)).unwrap();
        let mut changer = FileChanger { dir: dir.clone() };
        let start_ns = now_ns();
        changer.change(0).make().unwrap();
        let window = made_since(start_ns);
        assert!(matches!(
            watcher.judge(0, window).unwrap(),
            Outcome::Seen { .. }
        ));
        assert_eq!(watcher.judge(1, window).unwrap(), Outcome::Lost);
        changer.clean().unwrap();
    }

    #[test]
    fn a_scaled_burst_is_no_longer_than_its_changes() {
        let watch = Watch {
            changes: 400,
            burst: 400,
            ..Watch::default()
        };
        let cases = [(1.0, 400, 400), (0.3, 120, 120), (2.0, 800, 400)];
        for (factor, changes, burst) in cases {
            let scaled = watch.scaled(Scale(factor));
            assert_eq!((scaled.changes, scaled.burst), (changes, burst), "{factor}");
        }
    }

    #[test]
    fn an_event_that_never_comes_is_missed() {
        let root = tempfile::tempdir().unwrap();
        let mut watcher = Watcher::start(root.path(), Duration::from_millis(20)).unwrap();
        let window = made_since(now_ns());
        assert_eq!(watcher.judge(0, window).unwrap(), Outcome::Lost);
    }
}
