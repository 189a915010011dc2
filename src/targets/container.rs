//! Container targets: one long-lived, hardened agent container per target and run, with the
//! storage under test mounted at /mb (bind, volume, volume-opts, tmpfs) or inside its
//! writable layer (layer), or the run's data image at /mb-image (image; volume-from-image
//! with a fresh volume mounted over it). Each rep is one `exec` of the agent.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bollard::models::{ContainerCreateBody, VolumeCreateRequest};
use bollard::query_parameters::CreateContainerOptionsBuilder;

use super::data_pack::Packed;
use super::dataset_volume::{self, DatasetVolume};
use super::engine::Engine;
use super::image::{AGENT_PATH, BACKUP_POINT, IMAGE_POINT, MOUNT_POINT, PREP_POINT};
use super::removal::{self, Made};
use super::session::{ContainerSession, Session};
use super::{recipe, volume_copy, volume_opts, AgentHost, ExecOutput};
use crate::cancel::CancelToken;
use crate::env::{CopyFacts, TargetFacts};
use crate::error::{Error, Result};
use crate::targets::settings::TargetSettings;
use crate::targets::spec::{TargetKind, TargetSpec};

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
    engine: Arc<Engine>,
    spec: TargetSpec,
    container: Option<String>,
    volume: Option<String>,
    image: String,
    /// What the container was created from, so a peer on the same storage can be made.
    body: Option<(String, ContainerCreateBody)>,
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
        let mut host = ContainerHost {
            engine,
            spec,
            container: None,
            volume: None,
            image: config.image.to_string(),
            body: None,
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
        if self.spec.kind == TargetKind::Native {
            return Err(Error::Docker("a native target has no container".into()));
        }
        let name = format!(
            "mountbench-{}-{}",
            config.run_id,
            self.spec.to_string().replace(':', "-")
        );
        let volume = matches!(
            self.spec.kind,
            TargetKind::Volume | TargetKind::VolumeOpts | TargetKind::VolumeFromImage
        );
        if volume {
            self.create_volume(&name, config)?;
        }
        let mut mounts = recipe::mounts(self.spec, config, &name);
        for dataset in &self.datasets {
            dataset.ensure(&self.engine)?;
            mounts.extend(dataset.mounts(self.spec.ro));
        }
        let user = self.engine.facts.container_user();
        let body = recipe::body(self.spec, config, mounts, user);
        self.body = Some((name.clone(), body.clone()));
        let packed = config
            .packed
            .filter(|_| self.spec.kind == TargetKind::VolumeFromImage);
        let id = match packed {
            Some(packed) => {
                let labels = recipe::labels(config.run_id, &self.spec);
                let (id, copy) =
                    volume_copy::start_timed(&self.engine, &name, body, labels, packed)?;
                self.copy = Some(copy);
                id
            }
            None => create_and_start(&self.engine, &name, body)?,
        };
        self.container = Some(id);
        Ok(())
    }

    /// The volume of a volume target, named like its container.
    fn create_volume(&mut self, name: &str, config: &ContainerConfig) -> Result<()> {
        let mut request = VolumeCreateRequest {
            name: Some(name.to_string()),
            labels: Some(recipe::labels(config.run_id, &self.spec)),
            ..Default::default()
        };
        if self.spec.kind == TargetKind::VolumeOpts {
            let opts = &config.settings.volume_opts.driver_opts;
            let opts = volume_opts::for_facts(opts, &self.engine.facts).map_err(Error::Docker)?;
            request.driver = Some("local".into());
            request.driver_opts = Some(opts.into_iter().collect());
        }
        self.engine
            .block_on(self.engine.docker.create_volume(request))
            .map_err(|e| Error::Docker(format!("creating volume {name}: {}", Error::from(e))))?;
        self.volume = Some(name.to_string());
        Ok(())
    }

    pub fn container_id(&self) -> Option<&str> {
        self.container.as_deref()
    }
}

/// Create and start a container; on a failed start it is removed again.
pub(super) fn create_and_start(
    engine: &Engine,
    name: &str,
    body: ContainerCreateBody,
) -> Result<String> {
    let options = CreateContainerOptionsBuilder::default().name(name).build();
    let created = engine
        .block_on(engine.docker.create_container(Some(options), body))
        .map_err(|e| Error::Docker(format!("creating container {name}: {}", Error::from(e))))?;
    engine
        .block_on(engine.docker.start_container(&created.id, None))
        .map_err(|e| {
            let _ = removal::remove(engine, Made::Container(created.id.clone()));
            Error::Docker(format!("starting container {name}: {}", Error::from(e)))
        })?;
    Ok(created.id)
}

impl AgentHost for ContainerHost {
    fn exec(&mut self, args: &[String]) -> Result<ExecOutput> {
        let (id, cmd) = self.agent_call(args)?;
        let docker = &self.engine.docker;
        let start = Instant::now();
        let run = super::exec::run_attached(docker, &id, cmd);
        // The Engine API cannot stop one exec, so an interrupt stops the container; the
        // run tears it down next anyway.
        let outcome = self.engine.block_on(async {
            tokio::select! {
                done = run => Some(done),
                _ = self.cancel.cancelled() => {
                    let _ = docker.kill_container(&id, None::<bollard::query_parameters::KillContainerOptions>).await;
                    None
                }
            }
        });
        let super::exec::Attached {
            stdout,
            stderr,
            exit_code,
        } = match outcome {
            Some(done) => done?,
            None => {
                return Err(Error::Docker(
                    "interrupted: the rep in flight was stopped".into(),
                ))
            }
        };
        Ok(ExecOutput {
            stdout,
            stderr,
            exit_code,
            seconds: start.elapsed().as_secs_f64(),
        })
    }

    fn open(&mut self, args: &[String]) -> Result<Box<dyn Session>> {
        let (id, cmd) = self.agent_call(args)?;
        let session = ContainerSession::open(self.engine.clone(), &id, cmd, self.cancel.clone())?;
        Ok(Box::new(session))
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
        let (name, body) = self.body.clone().ok_or_else(gone)?;
        if matches!(
            self.spec.kind,
            TargetKind::Tmpfs | TargetKind::Layer | TargetKind::Image
        ) {
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
            body: None,
            cancel: self.cancel.clone(),
            datasets: self.datasets.clone(),
            copy: None,
        };
        peer.container = Some(create_and_start(
            &self.engine,
            &format!("{name}-peer"),
            body,
        )?);
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
            .filter_map(|m| removal::remove(&self.engine, m).err())
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
        let Some(id) = &self.container else {
            return false;
        };
        let inspect = self
            .engine
            .block_on(self.engine.docker.inspect_container(id, None));
        matches!(inspect, Ok(i) if i.state.as_ref().and_then(|s| s.running) == Some(true))
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
