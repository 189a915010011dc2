//! A fake host for the run loop's tests: answers the agent's commands at once, and on the
//! reps a script names fails, dies like a killed container, cancels the run, or removes a
//! folder from under it. Every start, rep and teardown is logged.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::json;

use crate::agent::{PrepareSpec, RepSpec};
use crate::cancel::CancelToken;
use crate::env::TargetFacts;
use crate::error::{Error, Result};
use crate::measure::{Op, OpHistograms};
use crate::targets::hosts::HostFactory;
use crate::targets::spec::{Place, TargetKind, TargetSpec};
use crate::targets::{AgentHost, ExecOutput};

/// What the fake does on a rep instead of succeeding.
#[derive(Debug, Clone)]
pub(super) enum Act {
    /// The agent exits 1; the host stays up.
    Fail,
    /// The agent is killed (exit 137) and the host is dead, like a killed container.
    Die,
    /// The rep succeeds and the run is cancelled meanwhile (Ctrl-C).
    Cancel(CancelToken),
    /// The rep succeeds and the folder is removed meanwhile (a results disk gone).
    RemoveDir(PathBuf),
}

#[derive(Debug, Default)]
pub(super) struct Log {
    pub(super) starts: Vec<Place>,
    /// Every rep run, on which target of which engine.
    pub(super) reps: Vec<Place>,
    pub(super) teardowns: Vec<Place>,
    /// Datasets prepared (or failed to), on which target of which engine.
    pub(super) prepares: Vec<Place>,
}

/// The factory: its script names reps by their number among all reps it served (from 1).
#[derive(Clone, Default)]
pub(super) struct FakeHosts {
    script: Arc<BTreeMap<usize, Act>>,
    log: Arc<Mutex<Log>>,
    /// Free bytes `statfs` answers (the size is twice that); plenty when None.
    free: Option<u64>,
    /// Every `prepare` fails like a full disk.
    prepare_fails: bool,
    /// Reps on this target take 0.5 s or 1.5 s by turns; all others always 0.5 s.
    jumpy: Option<TargetSpec>,
}

impl FakeHosts {
    pub(super) fn new(script: impl IntoIterator<Item = (usize, Act)>) -> FakeHosts {
        FakeHosts {
            script: Arc::new(script.into_iter().collect()),
            log: Arc::default(),
            free: None,
            prepare_fails: false,
            jumpy: None,
        }
    }

    /// The same, with reps on `target` jumping between two speeds.
    pub(super) fn jumpy(self, target: &str) -> FakeHosts {
        let target = target.parse().ok();
        FakeHosts {
            jumpy: target,
            ..self
        }
    }

    /// Targets whose filesystem has `free` bytes free.
    pub(super) fn with_free(mut self, free: u64) -> FakeHosts {
        self.free = Some(free);
        self
    }

    /// Targets where no dataset can be generated.
    pub(super) fn failing_prepare(mut self) -> FakeHosts {
        self.prepare_fails = true;
        self
    }

    pub(super) fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl HostFactory for FakeHosts {
    fn host_cpu_seconds(&mut self) -> f64 {
        FAKE_HOST_CPU_SECONDS
    }

    fn start(&mut self, place: &Place) -> Result<Box<dyn AgentHost>> {
        self.log().starts.push(place.clone());
        Ok(Box::new(FakeHost {
            spec: place.clone(),
            hosts: self.clone(),
            alive: true,
            torn_down: false,
        }))
    }
}

struct FakeHost {
    spec: Place,
    hosts: FakeHosts,
    alive: bool,
    torn_down: bool,
}

impl FakeHost {
    fn rep(&mut self, spec: &RepSpec) -> ExecOutput {
        let (n, mine) = {
            let mut log = self.hosts.log();
            log.reps.push(self.spec.clone());
            let mine = log.reps.iter().filter(|t| **t == self.spec).count();
            (log.reps.len(), mine)
        };
        match self.hosts.script.get(&n) {
            None => {}
            Some(Act::Fail) => return exited(1, "disk on fire"),
            Some(Act::Die) => {
                self.alive = false;
                return exited(137, "");
            }
            Some(Act::Cancel(token)) => token.cancel(),
            Some(Act::RemoveDir(dir)) => {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
        let mut histograms = OpHistograms::default();
        histograms.record(Op::Read, 1_000);
        let seconds = match self.hosts.jumpy {
            Some(t) if t == self.spec.target && mine % 2 == 0 => 1.5,
            _ => 0.5,
        };
        let metrics: Vec<_> = spec
            .workload
            .params
            .metrics()
            .iter()
            .map(|metric| json!({"metric": metric, "bytes": 1 << 20, "ops": 4, "seconds": seconds}))
            .collect();
        answer(json!({
            "metrics": metrics,
            "histograms": histograms.encode(),
            "residency": null,
            "agent_seconds": 0.5,
        }))
    }
}

impl AgentHost for FakeHost {
    fn exec(&mut self, args: &[String]) -> Result<ExecOutput> {
        let spec = args.get(3).map(String::as_str).unwrap_or("{}");
        let bad = |e: serde_json::Error| Error::Protocol(format!("fake: bad spec: {e}"));
        match args.get(1).map(String::as_str) {
            Some("mountinfo") => Ok(answer(json!({
                "mount_point": "/", "fs_type": "fakefs", "source": "fake", "options": "rw",
            }))),
            Some("calibrate") => {
                let seconds = FAKE_CPU_SECONDS * cpu_slowdown(self.spec.target.kind);
                Ok(answer(
                    json!({"seconds": seconds, "runs": [seconds], "checksum": 1}),
                ))
            }
            Some("statfs") => {
                let free = self.hosts.free.unwrap_or(1 << 50);
                Ok(answer(json!({
                    "path": "/fake", "size": 2 * free, "free": free, "geometry": [4096, 7, 7],
                    "mount_point": "/fake", "fs_type": "fakefs",
                })))
            }
            Some("prepare") => {
                let spec: PrepareSpec = serde_json::from_str(spec).map_err(bad)?;
                self.hosts.log().prepares.push(self.spec.clone());
                if self.hosts.prepare_fails {
                    return Ok(exited(
                        1,
                        "writing shard-00001.bin: No space left on device",
                    ));
                }
                Ok(answer(json!({
                    "id": spec.dataset.id(), "files": 2, "bytes": 2 << 20,
                    "reused": false, "seconds": 0.1, "mib_s": 20.0,
                })))
            }
            Some("run") => Ok(self.rep(&serde_json::from_str(spec).map_err(bad)?)),
            other => Err(Error::Protocol(format!("fake: no command {other:?}"))),
        }
    }

    fn root(&self) -> PathBuf {
        PathBuf::from("/fake")
    }

    fn prep_root(&self) -> PathBuf {
        self.root()
    }

    fn facts(&self) -> TargetFacts {
        TargetFacts {
            engine: String::new(),
            target: self.spec.target.to_string(),
            root: "/fake".into(),
            mount: None,
            container: None,
            image: None,
            volume: None,
            cpu: None,
            copy: None,
        }
    }

    fn teardown(&mut self) -> Result<()> {
        if !std::mem::replace(&mut self.torn_down, true) {
            self.hosts.log().teardowns.push(self.spec.clone());
        }
        Ok(())
    }

    fn alive(&self) -> bool {
        self.alive
    }

    fn backup_root(&self) -> PathBuf {
        PathBuf::from("/fake-backup")
    }

    fn peer(&self) -> Result<Box<dyn AgentHost>> {
        Err(Error::Protocol("fake: no peer".into()))
    }
}

/// The CPU kernel's time in the fake's native agent.
pub(super) const FAKE_CPU_SECONDS: f64 = 0.1;
/// The CPU kernel's time when the fake factory times the host itself (no native target).
pub(super) const FAKE_HOST_CPU_SECONDS: f64 = 0.08;

/// How much slower the fake's CPU is on a target than on the host: `volume` plays an
/// emulated engine.
pub(super) fn cpu_slowdown(kind: TargetKind) -> f64 {
    if kind == TargetKind::Volume {
        4.0
    } else {
        1.0
    }
}

fn answer(json: serde_json::Value) -> ExecOutput {
    ExecOutput {
        stdout: json.to_string().into_bytes(),
        stderr: Vec::new(),
        exit_code: Some(0),
        seconds: 0.6,
    }
}

fn exited(code: i64, stderr: &str) -> ExecOutput {
    ExecOutput {
        stdout: Vec::new(),
        stderr: stderr.as_bytes().to_vec(),
        exit_code: Some(code),
        seconds: 0.1,
    }
}
