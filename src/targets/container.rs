//! Container targets: one long-lived, hardened agent container per target and run, with the
//! storage under test mounted at /mb (bind, volume, volume-opts, tmpfs) or inside its
//! writable layer (layer), or the run's data image at /mb-image (image; volume-from-image
//! with a fresh volume mounted over it). Each rep is one `exec` of the agent.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use super::data_pack::Packed;
use super::dataset_volume::{self, DatasetVolume};
use super::image::{AGENT_PATH, BACKUP_POINT, IMAGE_POINT, MOUNT_POINT, PREP_POINT};
use super::recipe::{self, Recipe};
use super::session::{AgentSession, Session};
use super::{volume_copy, volume_opts, AgentHost, ExecOutput};
use crate::cancel::CancelToken;
use crate::engine::containers::{ContainerEngine, ContainerSpec, VolumeSpec};
use crate::engine::removal::Made;
use crate::engine::Engine;
use crate::env::{CopyFacts, TargetFacts};
use crate::error::{Error, Result};
use crate::targets::settings::TargetSettings;
use crate::targets::spec::{Datasets, Store, TargetSpec};

/// Everything a container target needs from the run.
pub struct ContainerConfig<'a> {
    pub run_id: &'a str,
    /// The agent image; the run's data image for the image targets.
    pub image: &'a str,
    /// What the data image's /mb-image holds (what volume-from-image copies), if it is one.
    pub packed: Option<Packed>,
    /// Host folder bind-mounted by the `bind` target (created by mountbench under its data dir).
    pub bind_source: &'a Path,
    /// Host folder bind-mounted at /mb-backup in every container (backup archives).
    pub backup_source: &'a Path,
    pub settings: &'a TargetSettings,
    /// Cancelled: the rep in flight is stopped.
    pub cancel: &'a CancelToken,
    /// The ids of the datasets the plan reads: the `volume` target keeps them in
    /// persistent volumes.
    pub datasets: &'a [String],
}

pub struct ContainerHost {
    engine: Arc<dyn ContainerEngine>,
    spec: TargetSpec,
    container: Option<String>,
    volume: Option<String>,
    image: String,
    /// What the container was created from, so a peer on the same storage can be made.
    made_from: Option<ContainerSpec>,
    cancel: CancelToken,
    /// Persistent dataset volumes mounted (never removed here).
    datasets: Vec<DatasetVolume>,
    /// The engine's copy into the fresh volume at its first use (volume-from-image).
    copy: Option<CopyFacts>,
}

impl ContainerHost {
    /// Create (volume and) container and start it. On any failure, what was created is removed.
    pub fn start(
        engine: Arc<Engine>,
        spec: TargetSpec,
        config: &ContainerConfig,
    ) -> Result<ContainerHost> {
        ContainerHost::start_on(engine, spec, config)
    }

    /// The same on any engine.
    pub(crate) fn start_on(
        engine: Arc<dyn ContainerEngine>,
        spec: TargetSpec,
        config: &ContainerConfig,
    ) -> Result<ContainerHost> {
        let mut host = ContainerHost {
            engine,
            spec,
            container: None,
            volume: None,
            image: config.image.to_string(),
            made_from: None,
            cancel: config.cancel.clone(),
            datasets: DatasetVolume::of(spec, config.datasets),
            copy: None,
        };
        match host.create(config) {
            Ok(()) => Ok(host),
            Err(e) => {
                let _ = host.teardown();
                Err(e)
            }
        }
    }

    fn create(&mut self, config: &ContainerConfig) -> Result<()> {
        if !self.spec.kind.in_container() {
            return Err(Error::Docker("a native target has no container".into()));
        }
        let name = format!(
            "mountbench-{}-{}",
            config.run_id,
            self.spec.to_string().replace(':', "-")
        );
        if matches!(self.spec.kind.store(), Store::Volume { .. }) {
            self.create_volume(&name, config)?;
        }
        let recipe = config.recipe();
        let mut mounts = recipe::mounts(self.spec, &recipe, &name);
        for dataset in &self.datasets {
            dataset.ensure(self.engine.as_ref())?;
            mounts.extend(dataset.mounts(self.spec.ro));
        }
        let user = self.engine.facts().container_user();
        let container = recipe::container(&name, self.spec, &recipe, mounts, user);
        self.made_from = Some(container.clone());
        let packed = config
            .packed
            .filter(|_| self.spec.kind.datasets() == Datasets::CopiedFromImage);
        let id = match packed {
            Some(packed) => {
                let (id, copy) = volume_copy::start_timed(self.engine.as_ref(), container, packed)?;
                self.copy = Some(copy);
                id
            }
            None => self.engine.start(&container)?,
        };
        self.container = Some(id);
        Ok(())
    }

    /// The volume of a volume target, named like its container.
    fn create_volume(&mut self, name: &str, config: &ContainerConfig) -> Result<()> {
        let mut volume = VolumeSpec {
            name: name.to_string(),
            labels: recipe::labels(config.run_id, &self.spec),
            driver_opts: None,
        };
        if matches!(self.spec.kind.store(), Store::Volume { driver_opts: true }) {
            let opts = &config.settings.volume_opts.driver_opts;
            let opts = volume_opts::for_facts(opts, self.engine.facts()).map_err(Error::Docker)?;
            volume.driver_opts = Some(opts.into_iter().collect());
        }
        self.engine.create_volume(&volume)?;
        self.volume = Some(name.to_string());
        Ok(())
    }

    pub fn container_id(&self) -> Option<&str> {
        self.container.as_deref()
    }
}

impl ContainerConfig<'_> {
    fn recipe(&self) -> Recipe<'_> {
        Recipe {
            run_id: self.run_id,
            image: self.image,
            bind_source: self.bind_source,
            backup_source: self.backup_source,
            settings: self.settings,
        }
    }
}

impl AgentHost for ContainerHost {
    fn exec(&mut self, args: &[String]) -> Result<ExecOutput> {
        let (id, cmd) = self.agent_call(args)?;
        let start = Instant::now();
        let out = self.engine.run(&id, cmd, &self.cancel)?;
        Ok(ExecOutput {
            stdout: out.stdout,
            stderr: out.stderr,
            exit_code: out.exit_code,
            seconds: start.elapsed().as_secs_f64(),
        })
    }

    fn open(&mut self, args: &[String]) -> Result<Box<dyn Session>> {
        let (id, cmd) = self.agent_call(args)?;
        let held = self.engine.open(&id, cmd)?;
        Ok(Box::new(AgentSession::new(held, self.cancel.clone())))
    }

    fn root(&self) -> PathBuf {
        PathBuf::from(match self.spec.kind.from_image() {
            true => IMAGE_POINT,
            false => MOUNT_POINT,
        })
    }

    fn backup_root(&self) -> PathBuf {
        PathBuf::from(BACKUP_POINT)
    }

    fn prep_root(&self) -> PathBuf {
        match self.spec.ro {
            true => PathBuf::from(PREP_POINT),
            false => self.root(),
        }
    }

    fn data_root(&self, id: &str) -> PathBuf {
        dataset_volume::find(&self.datasets, id).map_or_else(|| self.root(), |v| v.root())
    }

    fn data_prep_root(&self, id: &str) -> PathBuf {
        dataset_volume::find(&self.datasets, id)
            .map_or_else(|| self.prep_root(), |v| v.prep_root(self.spec.ro))
    }

    fn facts(&self) -> TargetFacts {
        TargetFacts {
            engine: String::new(),
            target: self.spec.to_string(),
            root: self.root().display().to_string(),
            mount: None,
            container: self.container.clone(),
            image: Some(self.image.clone()),
            volume: self.volume.clone(),
            cpu: None,
            copy: self.copy.clone(),
        }
    }

    fn alive(&self) -> bool {
        self.running()
    }

    /// A second container on the same storage (bind folder or volume; a tmpfs or a writable
    /// layer belongs to one container and cannot be shared). The peer never removes the
    /// volume, and a volume-from-image's is filled already: the engine copies nothing again.
    fn peer(&self) -> Result<Box<dyn AgentHost>> {
        let mut container = self.made_from.clone().ok_or_else(gone)?;
        if !self.spec.kind.shareable() {
            return Err(Error::Docker(format!(
                "{} storage belongs to one container and cannot be shared",
                self.spec
            )));
        }
        let mut peer = ContainerHost {
            engine: self.engine.clone(),
            spec: self.spec,
            container: None,
            volume: None,
            image: self.image.clone(),
            made_from: None,
            cancel: self.cancel.clone(),
            datasets: self.datasets.clone(),
            copy: None,
        };
        container.name = format!("{}-peer", container.name);
        peer.container = Some(self.engine.start(&container)?);
        Ok(Box::new(peer))
    }

    /// The container, then its volume, each confirmed gone; every one left is named.
    fn teardown(&mut self) -> Result<()> {
        let made = [
            self.container.take().map(Made::Container),
            self.volume.take().map(Made::Volume),
        ];
        let left: Vec<String> = made
            .into_iter()
            .flatten()
            .filter_map(|m| self.engine.remove(m).err())
            .map(|e| e.to_string())
            .collect();
        match left.is_empty() {
            true => Ok(()),
            false => Err(Error::Docker(left.join("; "))),
        }
    }
}

impl ContainerHost {
    /// The container's id and the agent's command line with `args`.
    fn agent_call(&self, args: &[String]) -> Result<(String, Vec<String>)> {
        let id = self.container.clone().ok_or_else(gone)?;
        let cmd = std::iter::once(AGENT_PATH.to_string())
            .chain(args.iter().cloned())
            .collect();
        Ok((id, cmd))
    }

    fn running(&self) -> bool {
        match &self.container {
            Some(id) => self.engine.running(id),
            None => false,
        }
    }
}

impl Drop for ContainerHost {
    fn drop(&mut self) {
        let _ = self.teardown();
    }
}

/// What a host whose container was torn down answers.
fn gone() -> Error {
    Error::Docker("the target's container is gone".into())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::engine::containers::{MountSpec, Source};
    use crate::engine::fake::{Call, FakeEngine};
    use crate::targets::Target;

    /// The agent's answer to `agent mountinfo`: the storage under test is a volume.
    fn answer(cmd: &[String]) -> String {
        assert_eq!(cmd[..3], [AGENT_PATH, "agent", "mountinfo"]);
        serde_json::json!({"mount_point": "/mb", "fs_type": "ext4", "source": "/dev/vda1",
                           "options": "rw"})
        .to_string()
    }

    fn start(engine: Arc<FakeEngine>, target: &str) -> Result<ContainerHost> {
        let settings = TargetSettings::default();
        let cancel = CancelToken::new();
        let config = ContainerConfig {
            run_id: "r1",
            image: "mountbench-agent:t",
            packed: None,
            bind_source: Path::new("/data/host"),
            backup_source: Path::new("/data/backup"),
            settings: &settings,
            cancel: &cancel,
            datasets: &[],
        };
        ContainerHost::start_on(engine, target.parse().unwrap(), &config)
    }

    #[test]
    fn a_volume_target_runs_its_agent_through_the_engine_and_leaves_nothing() {
        let engine = Arc::new(FakeEngine::new(answer));
        let host = start(engine.clone(), "volume:ro").unwrap();
        let mut target = Target::new("volume:ro".parse().unwrap(), Box::new(host));
        assert_eq!(target.mount_facts().unwrap().fs_type, "ext4");
        assert!(target.alive());
        target.teardown().unwrap();
        assert!(!target.alive());

        let name = "mountbench-r1-volume-ro";
        let volume = Source::Volume {
            name: name.into(),
            nocopy: false,
        };
        let calls = engine.calls();
        let [Call::CreateVolume(v), Call::Start(c), Call::Run { id, cmd }, Call::Remove(gone), Call::Remove(vol)] =
            &calls[..]
        else {
            panic!("unexpected calls {calls:?}");
        };
        assert_eq!((v.name.as_str(), v.driver_opts.as_ref()), (name, None));
        assert_eq!(v.labels["io.mountbench.run"], "r1");
        assert_eq!(c.name, name);
        let at = |m: &MountSpec| (m.source.clone(), m.target.clone(), m.read_only);
        assert_eq!(at(&c.mounts[0]), (volume.clone(), "/mb".into(), true));
        assert_eq!(at(&c.mounts[1]), (volume, "/mb-prep".into(), false));
        assert_eq!(c.mounts[2].source, Source::Bind("/data/backup".into()));
        assert!(c.read_only_root);
        assert_eq!(cmd[3..], ["--path", "/mb"]);
        assert_eq!(gone, &Made::Container(id.clone()));
        assert_eq!(vol, &Made::Volume(name.into()));
    }

    #[test]
    fn a_peer_shares_a_bind_folder_but_not_a_tmpfs() {
        let engine = Arc::new(FakeEngine::new(answer));
        let bind = start(engine.clone(), "bind").unwrap();
        let mut peer = bind.peer().unwrap();
        assert!(peer.alive());
        peer.teardown().unwrap();
        let tmpfs = start(engine.clone(), "tmpfs").unwrap();
        let refused = tmpfs.peer().err().unwrap().to_string();
        assert!(refused.contains("cannot be shared"), "{refused}");
        let started: Vec<String> = engine
            .calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Start(c) => Some(c.name),
                _ => None,
            })
            .collect();
        let names = ["bind", "bind-peer", "tmpfs"].map(|n| format!("mountbench-r1-{n}"));
        assert_eq!(started, names);
    }
}
