//! Where the run gets its hosts: a factory, so that tests drive the run loop with a fake host
//! and no engine.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::container::{ContainerConfig, ContainerHost};
use super::engine::Engine;
use super::native::NativeHost;
use super::{image, volume_opts, AgentHost};
use crate::cancel::CancelToken;
use crate::datadir::DataDir;
use crate::error::{Error, IoContext, Result};
use crate::targets::settings::TargetSettings;
use crate::targets::spec::{Place, TargetKind};

/// Starts the agent host of one target on one engine.
pub trait HostFactory {
    /// A running host (a container created and started); on failure nothing is left behind.
    fn start(&mut self, place: &Place) -> Result<Box<dyn AgentHost>>;

    /// Why this target cannot run here at all (the engine cannot make its storage), if so:
    /// its cells are left out with that note instead of failing.
    fn cannot_serve(&self, _place: &Place) -> Option<String> {
        None
    }

    /// The CPU kernel's best time on the host itself, for runs without a native target.
    fn host_cpu_seconds(&mut self) -> f64 {
        crate::measure::calibrate::calibrate().seconds
    }
}

/// The real hosts: a child process for `native`, a hardened container on its engine for the
/// others.
pub struct Hosts {
    agent_exe: PathBuf,
    data: DataDir,
    /// The engines of the plan's container targets, by name.
    engines: BTreeMap<String, Arc<Engine>>,
    run_id: String,
    settings: TargetSettings,
    cancel: CancelToken,
    /// The agent image of each engine, built or found on its first container target.
    images: BTreeMap<String, String>,
    /// The ids of the datasets the plan reads (the `volume` target keeps them).
    datasets: Vec<String>,
}

impl Hosts {
    pub fn new(
        agent_exe: PathBuf,
        data: DataDir,
        engines: Vec<Arc<Engine>>,
        run_id: String,
        settings: TargetSettings,
        cancel: CancelToken,
    ) -> Hosts {
        Hosts {
            agent_exe,
            data,
            engines: engines
                .into_iter()
                .map(|e| (e.address.name.clone(), e))
                .collect(),
            run_id,
            settings,
            cancel,
            images: BTreeMap::new(),
            datasets: Vec::new(),
        }
    }

    /// The same, with the ids of the datasets the plan reads.
    pub fn with_datasets(self, datasets: Vec<String>) -> Hosts {
        Hosts { datasets, ..self }
    }

    fn image(&mut self, engine: &Engine) -> Result<String> {
        let name = &engine.address.name;
        if let Some(image) = self.images.get(name) {
            return Ok(image.clone());
        }
        let image = image::ensure(engine, &self.agent_exe)?;
        self.images.insert(name.clone(), image.clone());
        Ok(image)
    }
}

impl HostFactory for Hosts {
    fn cannot_serve(&self, place: &Place) -> Option<String> {
        let engine = self.engines.get(&place.engine)?;
        match place.target.kind {
            TargetKind::VolumeOpts => {
                let opts = &self.settings.volume_opts.driver_opts;
                volume_opts::for_facts(opts, &engine.facts).err()
            }
            TargetKind::Native
            | TargetKind::Bind
            | TargetKind::Volume
            | TargetKind::Tmpfs
            | TargetKind::Layer => None,
        }
    }

    fn start(&mut self, place: &Place) -> Result<Box<dyn AgentHost>> {
        let spec = place.target;
        let host_root = self.data.host_root();
        std::fs::create_dir_all(&host_root).at(&host_root)?;
        let backup_root = self.data.backup_root();
        std::fs::create_dir_all(&backup_root).at(&backup_root)?;
        if spec.kind == TargetKind::Native {
            let cancel = self.cancel.clone();
            let host = NativeHost::new(&self.agent_exe, &host_root, &backup_root, cancel);
            return Ok(Box::new(host));
        }
        let engine =
            self.engines.get(&place.engine).cloned().ok_or_else(|| {
                Error::Docker(format!("engine `{}` is not connected", place.engine))
            })?;
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
