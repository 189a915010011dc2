//! The Docker-API engine behind the seam: a target's container, volumes and agent commands
//! as Engine API calls (Docker's daemon and Podman's service alike).

use std::collections::HashMap;

use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, HostConfig, Mount, MountTmpfsOptions, MountType, MountVolumeOptions,
    VolumeCreateRequest,
};
use bollard::query_parameters::{CreateContainerOptionsBuilder, KillContainerOptions};

use super::cleanup::Cleaned;
use super::client::Engine;
use super::containers::{ContainerEngine, ContainerSpec, Held, MountSpec, Output, Source};
use super::containers::{ImageBuild, ImageImport, Rootfs, VolumeSpec};
use super::identity::EngineFacts;
use super::removal::{self, Made, NotRemoved};
use crate::cancel::CancelToken;
use crate::error::{Error, Result};

impl ContainerEngine for Engine {
    fn facts(&self) -> &EngineFacts {
        &self.facts
    }

    fn has_image(&self, name: &str) -> bool {
        Engine::has_image(self, name)
    }

    fn import_image(&self, image: ImageImport, body: Rootfs) -> Result<()> {
        Engine::import_image(self, image, body)
    }

    fn build_image(&self, image: ImageBuild) -> Result<()> {
        Engine::build_image(self, image)
    }

    fn remove_run_images(&self, run_id: &str) -> Result<Cleaned> {
        super::cleanup::remove_run_images(self, run_id)
    }

    fn create_volume(&self, volume: &VolumeSpec) -> Result<()> {
        let mut request = VolumeCreateRequest {
            name: Some(volume.name.clone()),
            labels: Some(hash_map(&volume.labels)),
            ..Default::default()
        };
        if let Some(opts) = &volume.driver_opts {
            request.driver = Some("local".into());
            request.driver_opts = Some(hash_map(opts));
        }
        self.block_on(self.docker.create_volume(request))
            .map_err(|e| {
                Error::Docker(format!(
                    "creating volume {}: {}",
                    volume.name,
                    Error::from(e)
                ))
            })?;
        Ok(())
    }

    fn start(&self, container: &ContainerSpec) -> Result<String> {
        let name = &container.name;
        let options = CreateContainerOptionsBuilder::default().name(name).build();
        let created = self
            .block_on(self.docker.create_container(Some(options), body(container)))
            .map_err(|e| Error::Docker(format!("creating container {name}: {}", Error::from(e))))?;
        self.block_on(self.docker.start_container(&created.id, None))
            .map_err(|e| {
                let _ = removal::remove(self, Made::Container(created.id.clone()));
                Error::Docker(format!("starting container {name}: {}", Error::from(e)))
            })?;
        Ok(created.id)
    }

    fn run(&self, id: &str, cmd: Vec<String>, cancel: &CancelToken) -> Result<Output> {
        let docker = &self.docker;
        let run = super::exec::run_attached(docker, id, cmd);
        let outcome = self.block_on(async {
            tokio::select! {
                done = run => Some(done),
                _ = cancel.cancelled() => {
                    let _ = docker.kill_container(id, None::<KillContainerOptions>).await;
                    None
                }
            }
        });
        match outcome {
            Some(done) => Ok(done?),
            None => Err(Error::Docker(
                "interrupted: the rep in flight was stopped".into(),
            )),
        }
    }

    fn open(&self, id: &str, cmd: Vec<String>) -> Result<Held> {
        super::exec::open(self, id, cmd)
    }

    fn running(&self, id: &str) -> bool {
        let inspect = self.block_on(self.docker.inspect_container(id, None));
        matches!(inspect, Ok(i) if i.state.as_ref().and_then(|s| s.running) == Some(true))
    }

    fn remove(&self, made: Made) -> Result<(), NotRemoved> {
        removal::remove(self, made)
    }
}

fn hash_map(map: &std::collections::BTreeMap<String, String>) -> HashMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The Engine API's body of a container: its mounts, and the hardening as host config.
pub(crate) fn body(spec: &ContainerSpec) -> ContainerCreateBody {
    let mut security_opt = vec!["no-new-privileges".to_string()];
    if spec.seccomp_unconfined {
        security_opt.push("seccomp=unconfined".into());
    }
    ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: Some(spec.cmd.clone()),
        user: Some(spec.user.clone()),
        labels: Some(hash_map(&spec.labels)),
        network_disabled: Some(true),
        host_config: Some(HostConfig {
            mounts: Some(spec.mounts.iter().map(mount).collect()),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(security_opt),
            network_mode: Some("none".into()),
            readonly_rootfs: Some(spec.read_only_root),
            memory: Some(spec.memory_bytes as i64),
            pids_limit: Some(spec.pids),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn mount(spec: &MountSpec) -> Mount {
    let base = |typ: MountType, source: Option<String>| Mount {
        typ: Some(typ),
        source,
        target: Some(spec.target.clone()),
        read_only: Some(spec.read_only),
        ..Default::default()
    };
    match &spec.source {
        Source::Bind(path) => base(MountType::BIND, Some(path.clone())),
        Source::Volume { name, nocopy } => Mount {
            volume_options: nocopy.then(|| MountVolumeOptions {
                no_copy: Some(true),
                ..Default::default()
            }),
            ..base(MountType::VOLUME, Some(name.clone()))
        },
        Source::Tmpfs { size_bytes } => Mount {
            tmpfs_options: Some(MountTmpfsOptions {
                size_bytes: Some(*size_bytes as i64),
                mode: Some(0o1777),
                ..Default::default()
            }),
            ..base(MountType::TMPFS, None)
        },
    }
}

/// How a command run once in a fresh container went.
pub(crate) enum Once {
    /// The engine refused to start the container, in its words.
    Refused(String),
    /// No answer within the time given.
    TimedOut,
    Done(Output),
}

impl Engine {
    /// Create `container` without starting it; its id, or the engine's words refusing it.
    pub(crate) fn create(&self, container: &ContainerSpec) -> Result<String, String> {
        let options = CreateContainerOptionsBuilder::default()
            .name(&container.name)
            .build();
        self.block_on(self.docker.create_container(Some(options), body(container)))
            .map(|created| created.id)
            .map_err(|e| e.to_string())
    }

    /// Start the created container `id` and run `cmd` in it to completion, all within
    /// `within`.
    pub(crate) fn start_and_run(
        &self,
        id: &str,
        cmd: Vec<String>,
        within: Duration,
    ) -> Result<Once> {
        let docker = &self.docker;
        let once = async {
            if let Err(e) = docker.start_container(id, None).await {
                return Ok(Once::Refused(e.to_string()));
            }
            Ok(Once::Done(
                super::exec::run_attached(docker, id, cmd).await?,
            ))
        };
        self.block_on(async {
            match tokio::time::timeout(within, once).await {
                Ok(done) => done,
                Err(_) => Ok(Once::TimedOut),
            }
        })
    }
}
