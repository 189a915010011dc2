//! Where the run gets its hosts: a factory, so that tests drive the run loop with a fake host
//! and no engine.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::agent_binary::{AgentBinaries, AgentChoice, EngineKind};
use super::container::{ContainerConfig, ContainerHost};
use super::data_image::{self, DataImage};
use super::native::NativeHost;
use super::{image, volume_opts, AgentHost};
use crate::cancel::CancelToken;
use crate::datadir::DataDir;
use crate::engine::containers::ContainerEngine;
use crate::engine::Engine;
use crate::error::{Error, IoContext, Result};
use crate::targets::settings::TargetSettings;
use crate::targets::spec::{Place, Store};
use crate::workload::dataset::DatasetSpec;

/// Starts the agent host of one target on one engine.
pub(crate) trait HostFactory {
    /// A running host (a container created and started); on failure nothing is left behind.
    fn start(&mut self, place: &Place) -> Result<Box<dyn AgentHost>>;

    /// A host on the same storage, to ask its free space before anything is put there: the
    /// image targets' run the agent image, their data image not built yet.
    fn start_probe(&mut self, place: &Place) -> Result<Box<dyn AgentHost>> {
        self.start(place)
    }

    /// Remove what the factory made for the whole run (the data images), once every host
    /// is torn down; what failed.
    fn teardown(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// Why this target cannot run here at all (the engine cannot make its storage), if so:
    /// its cells are left out with that note instead of failing.
    fn cannot_serve(&self, _place: &Place) -> Option<String> {
        None
    }

    /// The agent on the host over the target's folder (native's, and the bind source), for
    /// driven workloads; None where the target has no folder on the host.
    fn host_side(&mut self, _place: &Place) -> Option<Box<dyn AgentHost>> {
        None
    }

    /// The CPU kernel's best time on the host itself, for runs without a native target.
    fn host_cpu_seconds(&mut self) -> f64 {
        crate::measure::calibrate::calibrate().seconds
    }
}

/// The real hosts: a child process for `native`, a hardened container on its engine for the
/// others.
pub(crate) struct Hosts {
    agents: AgentBinaries,
    data: DataDir,
    /// The engines of the plan's container targets, by name.
    engines: BTreeMap<String, Arc<dyn ContainerEngine>>,
    run_id: String,
    settings: TargetSettings,
    cancel: CancelToken,
    /// The agent image of each engine, built or found on its first container target.
    images: BTreeMap<String, String>,
    /// The ids of the datasets the plan reads (the `volume` target keeps them).
    datasets: Vec<String>,
    /// The datasets the image targets read, which their data image holds.
    image_datasets: Vec<DatasetSpec>,
    /// The data image of each engine, built on its first image target.
    data_images: BTreeMap<String, DataImage>,
}

impl Hosts {
    pub(crate) fn new(
        agents: AgentBinaries,
        data: DataDir,
        engines: Vec<Arc<Engine>>,
        run_id: String,
        settings: TargetSettings,
        cancel: CancelToken,
    ) -> Hosts {
        let engines = engines
            .into_iter()
            .map(|e| e as Arc<dyn ContainerEngine>)
            .collect();
        Hosts::on_engines(agents, data, engines, run_id, settings, cancel)
    }

    /// The same on engines of any kind.
    pub(crate) fn on_engines(
        agents: AgentBinaries,
        data: DataDir,
        engines: Vec<Arc<dyn ContainerEngine>>,
        run_id: String,
        settings: TargetSettings,
        cancel: CancelToken,
    ) -> Hosts {
        Hosts {
            agents,
            data,
            engines: engines
                .into_iter()
                .map(|e| (e.facts().name.clone(), e))
                .collect(),
            run_id,
            settings,
            cancel,
            images: BTreeMap::new(),
            datasets: Vec::new(),
            image_datasets: Vec::new(),
            data_images: BTreeMap::new(),
        }
    }

    /// The same, with the ids of the datasets the plan reads.
    pub(crate) fn with_datasets(mut self, datasets: Vec<String>) -> Hosts {
        self.datasets = datasets;
        self
    }

    /// The same, with the datasets the image targets read.
    pub(crate) fn with_image_datasets(mut self, image_datasets: Vec<DatasetSpec>) -> Hosts {
        self.image_datasets = image_datasets;
        self
    }

    fn data_image(&mut self, engine: &dyn ContainerEngine) -> Result<DataImage> {
        let name = &engine.facts().name;
        if let Some(image) = self.data_images.get(name) {
            return Ok(image.clone());
        }
        let agent_exe = match self.agents.choose(EngineKind::of(engine.facts())) {
            AgentChoice::Pack(path) => path,
            AgentChoice::Build { why } => return Err(Error::Docker(why)),
        };
        let recipe = data_image::Recipe {
            agent_exe: &agent_exe,
            host_root: &self.data.host_root(),
            datasets: &self.image_datasets,
            run_id: &self.run_id,
            cancel: &self.cancel,
        };
        let built = data_image::build_on(engine, &recipe);
        // A failed import may leave an untagged layer labelled with the run.
        let image = built.inspect_err(|_| {
            let _ = data_image::remove_on(engine, &self.run_id);
        })?;
        self.data_images.insert(name.clone(), image.clone());
        Ok(image)
    }

    /// A container host of `place`; with `data`, on the run's data image where the target
    /// reads one.
    fn start_container(&mut self, place: &Place, data: bool) -> Result<Box<dyn AgentHost>> {
        let engine = self
            .engines
            .get(place.engine.as_str())
            .cloned()
            .ok_or_else(|| Error::Docker(format!("engine `{}` is not connected", place.engine)))?;
        let (image, packed) = match data && place.target.kind.from_image() {
            true => {
                let data = self.data_image(engine.as_ref())?;
                (data.name, Some(data.packed))
            }
            false => (self.image(engine.as_ref())?, None),
        };
        let (host_root, backup_root) = self.roots()?;
        let config = ContainerConfig {
            run_id: &self.run_id,
            image: &image,
            packed,
            bind_source: &host_root,
            backup_source: &backup_root,
            settings: &self.settings,
            cancel: &self.cancel,
            datasets: &self.datasets,
        };
        let host = ContainerHost::start_on(engine, place.target, &config)?;
        Ok(Box::new(host))
    }

    /// The data dir's host root and backup folder, created when missing.
    fn roots(&self) -> Result<(PathBuf, PathBuf)> {
        let roots = (self.data.host_root(), self.data.backup_root());
        for dir in [&roots.0, &roots.1] {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        Ok(roots)
    }

    fn image(&mut self, engine: &dyn ContainerEngine) -> Result<String> {
        let name = &engine.facts().name;
        if let Some(image) = self.images.get(name) {
            return Ok(image.clone());
        }
        let image = image::agent_image(engine, &self.agents)?;
        self.images.insert(name.clone(), image.clone());
        Ok(image)
    }
}

impl HostFactory for Hosts {
    fn cannot_serve(&self, place: &Place) -> Option<String> {
        let engine = self.engines.get(place.engine.as_str())?;
        let kind = place.target.kind;
        if matches!(kind.store(), Store::Volume { driver_opts: true }) {
            let opts = &self.settings.volume_opts.driver_opts;
            return volume_opts::for_facts(opts, engine.facts()).err();
        }
        if !kind.from_image() {
            return None;
        }
        match self.agents.choose(EngineKind::of(engine.facts())) {
            AgentChoice::Pack(_) => None,
            AgentChoice::Build { why } => Some(format!(
                "the data image is packed from an agent binary: {why}"
            )),
        }
    }

    fn host_side(&mut self, place: &Place) -> Option<Box<dyn AgentHost>> {
        if !place.target.kind.has_host_side() {
            return None;
        }
        let (root, backup) = (self.data.host_root(), self.data.backup_root());
        let host = NativeHost::new(self.agents.host(), &root, &backup, self.cancel.clone());
        Some(Box::new(host))
    }

    fn start(&mut self, place: &Place) -> Result<Box<dyn AgentHost>> {
        if !place.target.kind.in_container() {
            let (host_root, backup_root) = self.roots()?;
            let cancel = self.cancel.clone();
            let host = NativeHost::new(self.agents.host(), &host_root, &backup_root, cancel);
            return Ok(Box::new(host));
        }
        self.start_container(place, true)
    }

    fn start_probe(&mut self, place: &Place) -> Result<Box<dyn AgentHost>> {
        match place.target.kind.in_container() {
            false => self.start(place),
            true => self.start_container(place, false),
        }
    }

    fn teardown(&mut self) -> Vec<String> {
        let mut errors = Vec::new();
        for name in std::mem::take(&mut self.data_images).into_keys() {
            let Some(engine) = self.engines.get(&name) else {
                continue;
            };
            if let Err(e) = data_image::remove_on(engine.as_ref(), &self.run_id) {
                errors.push(format!("data image of run {} on {name}: {e}", self.run_id));
            }
        }
        errors
    }
}

/// A run stopped by an error still removes its data images (after the pool's containers).
impl Drop for Hosts {
    fn drop(&mut self) {
        let _ = HostFactory::teardown(self);
    }
}
