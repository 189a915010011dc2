//! Where the run gets its hosts: a factory, so that tests drive the run loop with a fake host
//! and no engine.

use std::path::PathBuf;
use std::sync::Arc;

use super::container::{ContainerConfig, ContainerHost};
use super::engine::Engine;
use super::native::NativeHost;
use super::{image, AgentHost};
use crate::cancel::CancelToken;
use crate::datadir::DataDir;
use crate::error::{Error, IoContext, Result};
use crate::targets::settings::TargetSettings;
use crate::targets::spec::{TargetKind, TargetSpec};

/// Starts the agent host of one target.
pub trait HostFactory {
    /// A running host (a container created and started); on failure nothing is left behind.
    fn start(&mut self, spec: TargetSpec) -> Result<Box<dyn AgentHost>>;
}

/// The real hosts: a child process for `native`, a hardened container for the others.
pub struct Hosts {
    agent_exe: PathBuf,
    data: DataDir,
    /// Connected when the plan has a container target.
    engine: Option<Arc<Engine>>,
    run_id: String,
    settings: TargetSettings,
    cancel: CancelToken,
    /// The agent image, built or found on the first container target.
    image: Option<String>,
    /// The ids of the datasets the plan reads (the `volume` target keeps them).
    datasets: Vec<String>,
}

impl Hosts {
    pub fn new(
        agent_exe: PathBuf,
        data: DataDir,
        engine: Option<Arc<Engine>>,
        run_id: String,
        settings: TargetSettings,
        cancel: CancelToken,
    ) -> Hosts {
        Hosts {
            agent_exe,
            data,
            engine,
            run_id,
            settings,
            cancel,
            image: None,
            datasets: Vec::new(),
        }
    }

    /// The same, with the ids of the datasets the plan reads.
    pub fn with_datasets(self, datasets: Vec<String>) -> Hosts {
        Hosts { datasets, ..self }
    }

    fn image(&mut self, engine: &Engine) -> Result<String> {
        if let Some(image) = &self.image {
            return Ok(image.clone());
        }
        let image = image::ensure(engine, &self.agent_exe)?;
        self.image = Some(image.clone());
        Ok(image)
    }
}

impl HostFactory for Hosts {
    fn start(&mut self, spec: TargetSpec) -> Result<Box<dyn AgentHost>> {
        let host_root = self.data.host_root();
        std::fs::create_dir_all(&host_root).at(&host_root)?;
        let backup_root = self.data.backup_root();
        std::fs::create_dir_all(&backup_root).at(&backup_root)?;
        if spec.kind == TargetKind::Native {
            let cancel = self.cancel.clone();
            let host = NativeHost::new(&self.agent_exe, &host_root, &backup_root, cancel);
            return Ok(Box::new(host));
        }
        let engine = self
            .engine
            .clone()
            .ok_or_else(|| Error::Docker("no engine connected".into()))?;
        let image = self.image(&engine)?;
        let config = ContainerConfig {
            run_id: &self.run_id,
            image: &image,
            bind_source: &host_root,
            backup_source: &backup_root,
            settings: &self.settings,
            cancel: &self.cancel,
            datasets: &self.datasets,
        };
        Ok(Box::new(ContainerHost::start(engine, spec, &config)?))
    }
}
