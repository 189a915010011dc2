//! Container targets: one long-lived, hardened agent container per target and run, with the
//! storage under test mounted at /mb (bind, volume, volume-opts, tmpfs) or inside its
//! writable layer (layer). Each rep is one `exec` of the agent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bollard::container::LogOutput;
use bollard::exec::StartExecResults;
use bollard::models::{
    ContainerCreateBody, ExecConfig, HostConfig, Mount, MountTmpfsOptions, MountType,
    VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
};
use futures_util::StreamExt;

use super::engine::{Engine, RUN_LABEL};
use super::image::{AGENT_PATH, BACKUP_POINT, MOUNT_POINT, PREP_POINT};
use super::{AgentHost, ExecOutput};
use crate::env::TargetFacts;
use crate::error::{Error, Result};
use crate::targets::settings::{Seccomp, TargetSettings};
use crate::targets::spec::{TargetKind, TargetSpec};

/// Everything a container target needs from the run.
pub struct ContainerConfig<'a> {
    pub run_id: &'a str,
    pub image: &'a str,
    /// Host folder bind-mounted by the `bind` target (created by mountbench under its data dir).
    pub bind_source: &'a Path,
    /// Host folder bind-mounted at /mb-backup in every container (backup archives).
    pub backup_source: &'a Path,
    pub settings: &'a TargetSettings,
}

pub struct ContainerHost {
    engine: Arc<Engine>,
    spec: TargetSpec,
    container: Option<String>,
    volume: Option<String>,
    image: String,
    /// What the container was created from, so a peer on the same storage can be made.
    body: Option<(String, ContainerCreateBody)>,
}

pub fn labels(run_id: &str, target: &TargetSpec) -> HashMap<String, String> {
    HashMap::from([
        (RUN_LABEL.to_string(), run_id.to_string()),
        ("io.mountbench.target".to_string(), target.to_string()),
    ])
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
        let name = format!(
            "mountbench-{}-{}",
            config.run_id,
            self.spec.to_string().replace(':', "-")
        );
        let labels = labels(config.run_id, &self.spec);
        let ro = self.spec.ro;
        let mut mounts = Vec::new();
        let mount = |typ: MountType, source: Option<String>, target: &str, read_only: bool| Mount {
            typ: Some(typ),
            source,
            target: Some(target.to_string()),
            read_only: Some(read_only),
            ..Default::default()
        };
        match self.spec.kind {
            TargetKind::Bind => {
                let source = config.bind_source.display().to_string();
                mounts.push(mount(
                    MountType::BIND,
                    Some(source.clone()),
                    MOUNT_POINT,
                    ro,
                ));
                if ro {
                    mounts.push(mount(MountType::BIND, Some(source), PREP_POINT, false));
                }
            }
            TargetKind::Volume | TargetKind::VolumeOpts => {
                let volume = name.clone();
                let mut request = VolumeCreateRequest {
                    name: Some(volume.clone()),
                    labels: Some(labels.clone()),
                    ..Default::default()
                };
                if self.spec.kind == TargetKind::VolumeOpts {
                    request.driver = Some("local".into());
                    request.driver_opts = Some(
                        config
                            .settings
                            .volume_opts
                            .driver_opts
                            .clone()
                            .into_iter()
                            .collect(),
                    );
                }
                self.engine
                    .block_on(self.engine.docker.create_volume(request))
                    .map_err(|e| {
                        Error::Docker(format!("creating volume {volume}: {}", Error::from(e)))
                    })?;
                self.volume = Some(volume.clone());
                mounts.push(mount(
                    MountType::VOLUME,
                    Some(volume.clone()),
                    MOUNT_POINT,
                    ro,
                ));
                if ro {
                    mounts.push(mount(MountType::VOLUME, Some(volume), PREP_POINT, false));
                }
            }
            TargetKind::Tmpfs => mounts.push(Mount {
                tmpfs_options: Some(MountTmpfsOptions {
                    size_bytes: Some(config.settings.tmpfs.size.0 as i64),
                    mode: Some(0o1777),
                    ..Default::default()
                }),
                ..mount(MountType::TMPFS, None, MOUNT_POINT, false)
            }),
            TargetKind::Layer => {}
            TargetKind::Native => unreachable!("native targets have no container"),
        }
        mounts.push(mount(
            MountType::BIND,
            Some(config.backup_source.display().to_string()),
            BACKUP_POINT,
            false,
        ));
        let uid = rustix::process::getuid().as_raw();
        let gid = rustix::process::getgid().as_raw();
        let body = ContainerCreateBody {
            image: Some(config.image.to_string()),
            cmd: Some(vec![AGENT_PATH.into(), "agent".into(), "idle".into()]),
            user: Some(format!("{uid}:{gid}")),
            labels: Some(labels),
            network_disabled: Some(true),
            host_config: Some(HostConfig {
                mounts: Some(mounts),
                cap_drop: Some(vec!["ALL".into()]),
                security_opt: Some(security_opt(config.settings.container.seccomp)),
                network_mode: Some("none".into()),
                // The layer target measures the writable layer, so only it may write there.
                readonly_rootfs: Some(self.spec.kind != TargetKind::Layer),
                memory: Some(config.settings.container.memory.0 as i64),
                pids_limit: Some(config.settings.container.pids),
                ..Default::default()
            }),
            ..Default::default()
        };
        self.body = Some((name.clone(), body.clone()));
        self.container = Some(self.create_and_start(&name, body)?);
        Ok(())
    }

    fn create_and_start(&self, name: &str, body: ContainerCreateBody) -> Result<String> {
        let options = CreateContainerOptionsBuilder::default().name(name).build();
        let created = self
            .engine
            .block_on(self.engine.docker.create_container(Some(options), body))
            .map_err(|e| Error::Docker(format!("creating container {name}: {}", Error::from(e))))?;
        self.engine
            .block_on(self.engine.docker.start_container(&created.id, None))
            .map_err(|e| {
                let _ = self.engine.block_on(self.engine.docker.remove_container(
                    &created.id,
                    Some(RemoveContainerOptionsBuilder::default().force(true).build()),
                ));
                Error::Docker(format!("starting container {name}: {}", Error::from(e)))
            })?;
        Ok(created.id)
    }

    pub fn container_id(&self) -> Option<&str> {
        self.container.as_deref()
    }
}

impl AgentHost for ContainerHost {
    fn exec(&mut self, args: &[String]) -> Result<ExecOutput> {
        let id = self
            .container
            .clone()
            .ok_or_else(|| Error::Docker("the target's container is gone".into()))?;
        let mut cmd = vec![AGENT_PATH.to_string()];
        cmd.extend(args.iter().cloned());
        let docker = &self.engine.docker;
        let start = Instant::now();
        let run = async {
            let exec = docker
                .create_exec(
                    &id,
                    ExecConfig {
                        cmd: Some(cmd),
                        attach_stdout: Some(true),
                        attach_stderr: Some(true),
                        ..Default::default()
                    },
                )
                .await?;
            let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
            if let StartExecResults::Attached { mut output, .. } =
                docker.start_exec(&exec.id, None).await?
            {
                while let Some(chunk) = output.next().await {
                    match chunk? {
                        LogOutput::StdOut { message } => stdout.extend_from_slice(&message),
                        LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                        _ => {}
                    }
                }
            }
            let inspect = docker.inspect_exec(&exec.id).await?;
            Ok::<_, bollard::errors::Error>((stdout, stderr, inspect.exit_code))
        };
        // The Engine API cannot stop one exec, so an interrupt stops the container; the
        // run tears it down next anyway.
        let outcome = self.engine.block_on(async {
            tokio::select! {
                done = run => Some(done),
                _ = interrupt_requested() => {
                    let _ = docker.kill_container(&id, None::<bollard::query_parameters::KillContainerOptions>).await;
                    None
                }
            }
        });
        let (stdout, stderr, exit_code) = match outcome {
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

    fn root(&self) -> PathBuf {
        PathBuf::from(MOUNT_POINT)
    }

    fn backup_root(&self) -> PathBuf {
        PathBuf::from(BACKUP_POINT)
    }

    fn prep_root(&self) -> PathBuf {
        PathBuf::from(if self.spec.ro {
            PREP_POINT
        } else {
            MOUNT_POINT
        })
    }

    fn facts(&self) -> TargetFacts {
        TargetFacts {
            target: self.spec.to_string(),
            root: MOUNT_POINT.into(),
            mount: None,
            container: self.container.clone(),
            image: Some(self.image.clone()),
            volume: self.volume.clone(),
        }
    }

    fn alive(&self) -> bool {
        self.running()
    }

    /// A second container on the same storage (bind folder or volume; a tmpfs or a writable
    /// layer belongs to one container and cannot be shared). The peer never removes the volume.
    fn peer(&self) -> Result<Box<dyn AgentHost>> {
        let (name, body) = self
            .body
            .clone()
            .ok_or_else(|| Error::Docker("the target's container is gone".into()))?;
        if matches!(self.spec.kind, TargetKind::Tmpfs | TargetKind::Layer) {
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
        };
        peer.container = Some(peer.create_and_start(&format!("{name}-peer"), body)?);
        Ok(Box::new(peer))
    }

    fn teardown(&mut self) -> Result<()> {
        let mut first_error = None;
        if let Some(id) = self.container.take() {
            let options = RemoveContainerOptionsBuilder::default()
                .force(true)
                .v(true)
                .build();
            if let Err(e) = self
                .engine
                .block_on(self.engine.docker.remove_container(&id, Some(options)))
            {
                first_error.get_or_insert(Error::Docker(format!(
                    "removing container {id}: {}",
                    Error::from(e)
                )));
            }
        }
        if let Some(volume) = self.volume.take() {
            let options = RemoveVolumeOptionsBuilder::default().force(true).build();
            if let Err(e) = self
                .engine
                .block_on(self.engine.docker.remove_volume(&volume, Some(options)))
            {
                first_error.get_or_insert(Error::Docker(format!(
                    "removing volume {volume}: {}",
                    Error::from(e)
                )));
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

impl ContainerHost {
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

async fn interrupt_requested() {
    while !crate::run::interrupted() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn security_opt(seccomp: Seccomp) -> Vec<String> {
    let mut opts = vec!["no-new-privileges".to_string()];
    if seccomp == Seccomp::Unconfined {
        opts.push("seccomp=unconfined".into());
    }
    opts
}
