//! The shared-folder probe on a real engine: one short-lived, hardened container with the
//! folder bind-mounted read-only at its own path, one `exec` of `agent checksum`, then the
//! container removed. It carries the run's label, so `mountbench clean` finds it if the
//! process dies in between.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::agent_binary::AgentBinaries;
use super::image::{self, AGENT_PATH};
use super::shared_folder::{self, is_mount_refusal, FolderProbe, ProbeAnswer, PROBE_LABEL};
use crate::datadir::DataDir;
use crate::engine::client::RUN_LABEL;
use crate::engine::containers::{ContainerEngine, ContainerSpec, MountSpec, Source};
use crate::engine::docker::Once;
use crate::engine::removal::Made;
use crate::engine::Engine;
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
        let container = self.container(&name, folder);
        let id = match self.engine.create(&container) {
            Ok(id) => id,
            Err(refusal) => return refusal_or_error(&refusal),
        };
        let cmd = vec![
            AGENT_PATH.to_string(),
            "agent".into(),
            "checksum".into(),
            "--path".into(),
            marker.display().to_string(),
        ];
        let answer = match self.engine.start_and_run(&id, cmd, PROBE_TIMEOUT) {
            Ok(Once::Done(out)) => answer(out.exit_code, &out.stdout, &out.stderr),
            Ok(Once::Refused(refusal)) => refusal_or_error(&refusal),
            Ok(Once::TimedOut) => Err(Error::Docker(format!(
                "probing the data dir: no answer within {} s",
                PROBE_TIMEOUT.as_secs()
            ))),
            Err(e) => Err(e),
        };
        let removed = self.engine.remove(Made::Container(id));
        let answer = answer?;
        removed.map_err(|e| Error::Docker(format!("the probe container {name}: {e}")))?;
        Ok(answer)
    }
}

impl ContainerProbe<'_> {
    /// Hardened like the targets' containers: the invoking user, no network, no
    /// capabilities, a read-only root, small limits.
    fn container(&self, name: &str, folder: &Path) -> ContainerSpec {
        let path = folder.display().to_string();
        ContainerSpec {
            name: name.to_string(),
            image: self.image.clone(),
            cmd: vec![AGENT_PATH.into(), "agent".into(), "idle".into()],
            user: self.engine.facts.container_user(),
            labels: BTreeMap::from([
                (RUN_LABEL.to_string(), self.run_id.clone()),
                (PROBE_LABEL.to_string(), "shared-folder".to_string()),
            ]),
            mounts: vec![MountSpec {
                source: Source::Bind(path.clone()),
                target: path,
                read_only: true,
            }],
            read_only_root: true,
            memory_bytes: 256 << 20,
            pids: 64,
            seccomp_unconfined: false,
        }
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
