//! Targets: where a workload runs. Every target runs the same agent, natively as a child
//! process or inside a long-lived container through `exec`.

pub mod agent_binary;
pub mod container;
pub mod data_image;
pub mod data_pack;
pub mod dataset_volume;
mod driven;
mod duet;
pub mod elf;
mod exit;
pub mod folder_probe;
pub mod hosts;
pub mod image;
pub mod native;
pub mod recipe;
pub mod session;
pub mod settings;
pub mod shared_folder;
pub mod spec;
pub mod volume_copy;
pub mod volume_opts;

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::de::DeserializeOwned;

use crate::agent::{CpuCalibration, FsSpace, MountFacts, PrepareSpec, RepResult, RepSpec, Role};
use crate::env::TargetFacts;
use crate::error::{one_line, Error, Result};
use crate::targets::spec::TargetSpec;
use crate::workload::dataset::{DatasetSpec, PrepareReport};
use exit::exit_error;

/// What one agent invocation produced.
pub struct ExecOutput {
    pub(crate) stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_code: Option<i64>,
    /// Wall time of the whole invocation as seen from the host.
    pub(crate) seconds: f64,
}

/// Runs agent commands where the storage under test is.
pub trait AgentHost: Send {
    fn exec(&mut self, args: &[String]) -> Result<ExecOutput>;
    /// Where the agent measures.
    fn root(&self) -> PathBuf;
    /// Where the agent writes datasets (differs from `root` on `:ro` targets).
    fn prep_root(&self) -> PathBuf;
    /// Where the agent reads the dataset `id` (its persistent volume on the `volume` target).
    fn data_root(&self, _id: &str) -> PathBuf {
        self.root()
    }
    /// Where the agent generates the dataset `id`.
    fn data_prep_root(&self, _id: &str) -> PathBuf {
        self.prep_root()
    }
    fn facts(&self) -> TargetFacts;
    /// Remove whatever the host created; safe to call twice.
    fn teardown(&mut self) -> Result<()>;
    /// Whether the host can still serve reps (a container may have been killed).
    fn alive(&self) -> bool {
        true
    }
    /// The host folder for backup archives, as the agent sees it.
    fn backup_root(&self) -> PathBuf;
    /// A second agent on the same storage, for workloads with two parties (shared-volume).
    fn peer(&self) -> Result<Box<dyn AgentHost>>;
    /// An agent command held open, for driven reps (coherence, watch).
    fn open(&mut self, _args: &[String]) -> Result<Box<dyn session::Session>> {
        Err(Error::Session("this host cannot hold an agent open".into()))
    }
}

pub(crate) struct Target {
    pub(crate) spec: TargetSpec,
    host: Box<dyn AgentHost>,
    /// The second agent of two-party workloads, started on first use.
    peer: Option<Box<dyn AgentHost>>,
    /// The agent on the host over the same folder (native, and bind's source), if any.
    host_side: Option<Box<dyn AgentHost>>,
    prepared: BTreeSet<String>,
    pub(crate) mount: Option<MountFacts>,
    /// The CPU kernel timed where the agent runs.
    pub(crate) cpu: Option<CpuCalibration>,
}

impl Target {
    pub(crate) fn new(spec: TargetSpec, host: Box<dyn AgentHost>) -> Self {
        Target {
            spec,
            host,
            peer: None,
            host_side: None,
            prepared: BTreeSet::new(),
            mount: None,
            cpu: None,
        }
    }

    /// The same, with the agent on the host over the same folder.
    pub(crate) fn with_host_side(self, host_side: Option<Box<dyn AgentHost>>) -> Self {
        Target { host_side, ..self }
    }

    pub(crate) fn root(&self) -> PathBuf {
        self.host.root()
    }

    pub(crate) fn backup_root(&self) -> PathBuf {
        self.host.backup_root()
    }

    /// Generate or reuse a dataset once per run on this target; on the image targets only
    /// check the copy the data image brought (its manifest and every file's size).
    pub(crate) fn prepare_dataset(
        &mut self,
        dataset: &DatasetSpec,
        threads: usize,
    ) -> Result<Option<PrepareReport>> {
        if self.prepared.contains(&dataset.id()) {
            return Ok(None);
        }
        let spec = PrepareSpec {
            dataset: dataset.clone(),
            root: self.host.data_prep_root(&dataset.id()),
            threads,
            existing: self.spec.kind.from_image(),
        };
        let (report, _): (PrepareReport, f64) = self.call("prepare", &spec)?;
        self.prepared.insert(dataset.id());
        Ok(Some(report))
    }

    /// Run one rep; returns the agent's result and the overhead outside its own timing.
    pub(crate) fn run_rep(&mut self, spec: &RepSpec) -> Result<(RepResult, f64)> {
        let spec = &RepSpec {
            data_root: DatasetSpec::of(&spec.workload).map(|d| self.host.data_root(&d.id())),
            ..spec.clone()
        };
        if let Some(driven) = spec.workload.params.driven() {
            return self.run_driven(spec, driven);
        }
        if spec.workload.params.needs_peer() {
            return self.run_pair(spec);
        }
        if let Some(duet) = spec.workload.params.duet() {
            return self.run_duet(spec, duet);
        }
        let (result, wall): (RepResult, f64) = self.call("run", spec)?;
        let overhead = (wall - result.agent_seconds).max(0.0);
        Ok((result, overhead))
    }

    /// Start the second agent on the same storage, unless it runs.
    fn start_peer(&mut self) -> Result<()> {
        if self.peer.is_none() {
            self.peer = Some(self.host.peer()?);
        }
        Ok(())
    }

    /// A two-party rep: the reader on the peer and the writer here, started together. The
    /// rep's figures are the reader's; the writer's must succeed too.
    fn run_pair(&mut self, spec: &RepSpec) -> Result<(RepResult, f64)> {
        self.start_peer()?;
        let peer = self.peer.as_mut().expect("set above");
        let host = &mut self.host;
        let reader = RepSpec {
            role: Role::Reader,
            ..spec.clone()
        };
        let writer = RepSpec {
            role: Role::Writer,
            ..spec.clone()
        };
        let (read, wrote) = std::thread::scope(|s| {
            let r = s.spawn(|| call(peer.as_mut(), "run", &reader));
            let w = call(host.as_mut(), "run", &writer);
            let r = r
                .join()
                .unwrap_or(Err(Error::Panicked { thread: "reader" }));
            (r, w)
        });
        let (_, _): (RepResult, f64) = wrote.map_err(|e| party("writer", e))?;
        let (result, wall): (RepResult, f64) = read.map_err(|e| party("reader", e))?;
        let overhead = (wall - result.agent_seconds).max(0.0);
        Ok((result, overhead))
    }

    /// The mount holding the root as the agent sees it.
    pub(crate) fn mount_facts(&mut self) -> Result<MountFacts> {
        if let Some(m) = &self.mount {
            return Ok(m.clone());
        }
        let args = vec![
            "agent".into(),
            "mountinfo".into(),
            "--path".into(),
            self.host.root().display().to_string(),
        ];
        let out = self.host.exec(&args)?;
        let facts: MountFacts = parse_output(&out)?;
        self.mount = Some(facts.clone());
        Ok(facts)
    }

    /// Time the CPU kernel where the agent runs, once.
    pub(crate) fn calibrate(&mut self) -> Result<CpuCalibration> {
        if let Some(c) = &self.cpu {
            return Ok(c.clone());
        }
        let out = self.host.exec(&["agent".into(), "calibrate".into()])?;
        let calibration: CpuCalibration = parse_output(&out)?;
        self.cpu = Some(calibration.clone());
        Ok(calibration)
    }

    /// Size and free space of the filesystem where datasets go, as the agent sees it.
    pub(crate) fn space(&mut self) -> Result<FsSpace> {
        let args = vec![
            "agent".into(),
            "statfs".into(),
            "--path".into(),
            self.host.prep_root().display().to_string(),
        ];
        parse_output(&self.host.exec(&args)?)
    }

    pub(crate) fn facts(&self) -> TargetFacts {
        let mut f = self.host.facts();
        f.mount = self.mount.clone();
        f
    }

    pub(crate) fn alive(&self) -> bool {
        self.host.alive()
    }

    pub(crate) fn teardown(&mut self) -> Result<()> {
        let peer = match self.peer.take() {
            Some(mut p) => p.teardown(),
            None => Ok(()),
        };
        self.host.teardown().and(peer)
    }

    fn call<S: serde::Serialize, T: DeserializeOwned>(
        &mut self,
        command: &str,
        spec: &S,
    ) -> Result<(T, f64)> {
        call(self.host.as_mut(), command, spec)
    }
}

/// One party of a two-party or driven rep failed.
fn party(party: &'static str, e: Error) -> Error {
    Error::Party {
        party,
        source: Box::new(e),
    }
}

/// `agent COMMAND --spec JSON`.
fn agent_args<S: serde::Serialize>(command: &str, spec: &S) -> Vec<String> {
    let json = serde_json::to_string(spec).expect("agent specs serialize");
    vec!["agent".into(), command.into(), "--spec".into(), json]
}

/// One agent command with a JSON spec; its JSON answer and the wall seconds it took.
fn call<S: serde::Serialize, T: DeserializeOwned>(
    host: &mut dyn AgentHost,
    command: &str,
    spec: &S,
) -> Result<(T, f64)> {
    let out = host.exec(&agent_args(command, spec))?;
    Ok((parse_output(&out)?, out.seconds))
}

fn parse_output<T: DeserializeOwned>(out: &ExecOutput) -> Result<T> {
    match out.exit_code {
        Some(0) => serde_json::from_slice(&out.stdout).map_err(|e| {
            Error::Protocol(format!(
                "unreadable agent answer ({e}): {}",
                one_line(&String::from_utf8_lossy(&out.stdout))
                    .chars()
                    .take(200)
                    .collect::<String>()
            ))
        }),
        code => Err(exit_error(code, &out.stderr)),
    }
}
