//! The shared-folder probe on a real engine: one short-lived, hardened container with the
//! folder bind-mounted read-only at its own path, one `exec` of `agent checksum`, then the
//! container removed. It carries the run's label, so `mountbench clean` finds it if the
//! process dies in between.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountType};
use bollard::query_parameters::CreateContainerOptionsBuilder;

use super::agent_binary::AgentBinaries;
use super::engine::{Engine, RUN_LABEL};
use super::image::{self, AGENT_PATH};
use super::removal::{self, Made};
use super::shared_folder::{self, is_mount_refusal, FolderProbe, ProbeAnswer, PROBE_LABEL};
use crate::datadir::DataDir;
use crate::error::{one_line, Error, Result};

/// The probe's whole life (create, start, exec, remove) on a slow VM engine stays far below.
const PROBE_TIMEOUT: Duration = Duration::from_secs(90);

/// Check that `engine`'s containers see the data dir (see [`shared_folder::check`]); builds
/// or finds the agent image first, as the targets will.
pub fn check_engine(
    engine: &Engine,
    data: &DataDir,
    run_id: &str,
    agents: &AgentBinaries,
) -> Result<()> {
    let image = image::ensure(engine, agents)?;
    let mut probe = ContainerProbe {
        engine,
        image,
        run_id: run_id.to_string(),
    };
    shared_folder::check(data, run_id, &engine.facts, &mut probe)
}

pub struct ContainerProbe<'a> {
    pub engine: &'a Engine,
    pub image: String,
    pub run_id: String,
}

impl FolderProbe for ContainerProbe<'_> {
    fn read_back(&mut self, folder: &Path, marker: &Path) -> Result<ProbeAnswer> {
        // Unique: a probe left by a killed run must not block the next one of the same run.
        let name = format!(
            "mountbench-{}-probe-{:04x}",
            self.run_id,
            rand::random::<u16>()
        );
        let docker = &self.engine.docker;
        let options = CreateContainerOptionsBuilder::default().name(&name).build();
        let body = self.body(folder);
        let created = self
            .engine
            .block_on(docker.create_container(Some(options), body));
        let id = match created {
            Ok(created) => created.id,
            Err(e) => return refusal_or_error(&e.to_string()),
        };
        let answer = self.engine.block_on(async {
            match tokio::time::timeout(PROBE_TIMEOUT, self.start_and_read(&id, marker)).await {
                Ok(answer) => answer,
                Err(_) => Err(Error::Docker(format!(
                    "probing the data dir: no answer within {} s",
                    PROBE_TIMEOUT.as_secs()
                ))),
            }
        });
        let removed = removal::remove(self.engine, Made::Container(id));
        let answer = answer?;
        removed.map_err(|e| Error::Docker(format!("the probe container {name}: {e}")))?;
        Ok(answer)
    }
}

impl ContainerProbe<'_> {
    /// Hardened like the targets' containers: the invoking user, no network, no
    /// capabilities, a read-only root, small limits.
    fn body(&self, folder: &Path) -> ContainerCreateBody {
        let path = folder.display().to_string();
        let mount = Mount {
            typ: Some(MountType::BIND),
            source: Some(path.clone()),
            target: Some(path),
            read_only: Some(true),
            ..Default::default()
        };
        ContainerCreateBody {
            image: Some(self.image.clone()),
            cmd: Some(vec![AGENT_PATH.into(), "agent".into(), "idle".into()]),
            user: Some(self.engine.facts.container_user()),
            labels: Some(HashMap::from([
                (RUN_LABEL.to_string(), self.run_id.clone()),
                (PROBE_LABEL.to_string(), "shared-folder".to_string()),
            ])),
            network_disabled: Some(true),
            host_config: Some(HostConfig {
                mounts: Some(vec![mount]),
                cap_drop: Some(vec!["ALL".into()]),
                security_opt: Some(vec!["no-new-privileges".into()]),
                network_mode: Some("none".into()),
                readonly_rootfs: Some(true),
                memory: Some(256 << 20),
                pids_limit: Some(64),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    async fn start_and_read(&self, id: &str, marker: &Path) -> Result<ProbeAnswer> {
        let docker = &self.engine.docker;
        if let Err(e) = docker.start_container(id, None).await {
            return refusal_or_error(&e.to_string());
        }
        let cmd = vec![
            AGENT_PATH.to_string(),
            "agent".into(),
            "checksum".into(),
            "--path".into(),
            marker.display().to_string(),
        ];
        let done = super::exec::run_attached(docker, id, cmd).await?;
        answer(done.exit_code, &done.stdout, &done.stderr)
    }
}

/// The agent prints the checksum (exit 0) or fails to read the file (exit 1).
fn answer(code: Option<i64>, stdout: &[u8], stderr: &[u8]) -> Result<ProbeAnswer> {
    let said = |bytes: &[u8]| one_line(&String::from_utf8_lossy(bytes));
    match code {
        Some(0) => Ok(ProbeAnswer::Read(said(stdout))),
        Some(1) => Ok(ProbeAnswer::Unreadable(said(stderr))),
        other => Err(Error::Docker(format!(
            "probing the data dir: the agent ended with {other:?}: {}",
            said(stderr)
        ))),
    }
}

fn refusal_or_error(message: &str) -> Result<ProbeAnswer> {
    let message = one_line(message);
    if is_mount_refusal(&message) {
        Ok(ProbeAnswer::Refused(message))
    } else {
        Err(Error::Docker(format!("probing the data dir: {message}")))
    }
}
