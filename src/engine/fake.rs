//! An engine that runs nothing, for tests: it records what it was asked, answers agent
//! commands from a script, and says every container it started runs until removed.

use std::collections::BTreeSet;
use std::sync::Mutex;

use super::cleanup::Cleaned;
use super::containers::{
    ContainerEngine, ContainerSpec, Held, ImageBuild, ImageImport, Output, Rootfs, VolumeSpec,
};
use super::identity::EngineFacts;
use super::removal::{Made, NotRemoved};
use crate::cancel::CancelToken;
use crate::error::{Error, Result};

/// What the fake was asked, in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Call {
    CreateVolume(VolumeSpec),
    Start(ContainerSpec),
    Run { id: String, cmd: Vec<String> },
    Remove(Made),
}

/// The agent's answer to one command line (its stdout, exit 0).
pub(crate) type Answer = fn(&[String]) -> String;

pub(crate) struct FakeEngine {
    facts: EngineFacts,
    answer: Answer,
    calls: Mutex<Vec<Call>>,
    running: Mutex<BTreeSet<String>>,
}

impl FakeEngine {
    pub(crate) fn new(answer: Answer) -> FakeEngine {
        let info = serde_json::json!({"OSType": "linux", "Architecture": "x86_64"});
        let facts =
            EngineFacts::from_answers(info, serde_json::json!({}), "unix:///fake.sock", "linux");
        FakeEngine {
            facts,
            answer,
            calls: Mutex::new(Vec::new()),
            running: Mutex::new(BTreeSet::new()),
        }
    }

    pub(crate) fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    fn record(&self, call: Call) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }
}

impl ContainerEngine for FakeEngine {
    fn facts(&self) -> &EngineFacts {
        &self.facts
    }

    fn has_image(&self, _name: &str) -> bool {
        true
    }

    fn import_image(&self, image: ImageImport, _body: Rootfs) -> Result<()> {
        Err(Error::Docker(format!(
            "the fake engine imports no image ({})",
            image.name
        )))
    }

    fn build_image(&self, image: ImageBuild) -> Result<()> {
        Err(Error::Docker(format!(
            "the fake engine builds no image ({})",
            image.name
        )))
    }

    fn remove_run_images(&self, _run_id: &str) -> Result<Cleaned> {
        Ok(Cleaned::default())
    }

    fn create_volume(&self, volume: &VolumeSpec) -> Result<()> {
        self.record(Call::CreateVolume(volume.clone()));
        Ok(())
    }

    fn start(&self, container: &ContainerSpec) -> Result<String> {
        self.record(Call::Start(container.clone()));
        let id = format!("id-{}", container.name);
        if let Ok(mut running) = self.running.lock() {
            running.insert(id.clone());
        }
        Ok(id)
    }

    fn run(&self, id: &str, cmd: Vec<String>, _cancel: &CancelToken) -> Result<Output> {
        self.record(Call::Run {
            id: id.to_string(),
            cmd: cmd.clone(),
        });
        if !self.running(id) {
            return Err(Error::Docker(format!("no such container: {id}")));
        }
        Ok(Output {
            stdout: (self.answer)(&cmd).into_bytes(),
            stderr: Vec::new(),
            exit_code: Some(0),
        })
    }

    fn open(&self, _id: &str, _cmd: Vec<String>) -> Result<Held> {
        Err(Error::Docker(
            "the fake engine holds no command open".into(),
        ))
    }

    fn running(&self, id: &str) -> bool {
        self.running.lock().is_ok_and(|r| r.contains(id))
    }

    fn remove(&self, made: Made) -> Result<(), NotRemoved> {
        if let (Made::Container(id), Ok(mut running)) = (&made, self.running.lock()) {
            running.remove(id);
        }
        self.record(Call::Remove(made));
        Ok(())
    }
}
