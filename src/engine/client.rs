//! A connection to one Docker engine (through bollard) with its own tokio runtime, so the
//! rest of mountbench stays synchronous.

use std::future::Future;
use std::time::Duration;

use bollard::{Docker, API_DEFAULT_VERSION};

use super::address::{DockerEnv, EngineAddress, MacEngine, Via};
use super::endpoint::{Endpoint, Reach};
use super::error::EngineError;
use super::identity::kind::HostView;
use super::identity::EngineFacts;
use crate::error::one_line;

pub(crate) const RUN_LABEL: &str = "io.mountbench.run";
pub(crate) const AGENT_LABEL: &str = "io.mountbench";

/// Read/write timeout of one API request (seconds): long builds and reps stream within it.
const REQUEST_TIMEOUT: u64 = 120;

pub struct Engine {
    runtime: tokio::runtime::Runtime,
    /// The API client. Outside src/engine only the integration tests reach it, to look at
    /// what mountbench made.
    pub docker: Docker,
    pub facts: EngineFacts,
    pub address: EngineAddress,
}

impl Engine {
    /// The engine the docker CLI would use (`DOCKER_HOST`, the current context, the local
    /// socket).
    pub fn connect_default() -> Result<Engine, EngineError> {
        Engine::connect(&EngineAddress::default_engine(&DockerEnv::from_process())?)
    }

    /// Connect and read `/info` and `/version`; an engine that does not answer fails within
    /// seconds with how to start it.
    pub fn connect(address: &EngineAddress) -> Result<Engine, EngineError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| EngineError::Runtime(e.to_string()))?;
        let docker = client(&address.endpoint).map_err(|e| match e {
            ClientError::Unsupported(reason) => EngineError::Unsupported {
                endpoint: address.endpoint.to_string(),
                reason,
            },
            ClientError::Bollard(e) => unreachable(address, &chain(&e)),
        })?;
        let wait = probe_timeout(&address.endpoint);
        let (docker, info, version) = runtime.block_on(async {
            let probe = async {
                let docker = docker.negotiate_version().await?;
                let info = docker.info().await?;
                let version = docker.version().await?;
                Ok::<_, bollard::errors::Error>((docker, info, version))
            };
            match tokio::time::timeout(wait, probe).await {
                Ok(Ok(answers)) => Ok(answers),
                Ok(Err(e)) => Err(unreachable(address, &chain(&e))),
                Err(_) => Err(unreachable(
                    address,
                    &format!("no answer within {} s", wait.as_secs()),
                )),
            }
        })?;
        let info = serde_json::to_value(&info).unwrap_or_default();
        let version = serde_json::to_value(&version).unwrap_or_default();
        let facts = EngineFacts::identify(info, version, address, &HostView::current());
        Ok(Engine {
            runtime,
            docker,
            facts,
            address: address.clone(),
        })
    }

    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// A handle on this engine's runtime, for what outlives one call.
    pub(crate) fn handle(&self) -> tokio::runtime::Handle {
        self.runtime.handle().clone()
    }

    /// Run `f` on this engine's runtime in the background.
    pub(crate) fn spawn<F>(&self, f: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.runtime.spawn(f)
    }
}

enum ClientError {
    Unsupported(String),
    Bollard(bollard::errors::Error),
}

/// A client for the endpoint (nothing is sent yet).
fn client(endpoint: &Endpoint) -> Result<Docker, ClientError> {
    let url = endpoint.to_string();
    let connected = match endpoint {
        Endpoint::Unix(_) => Docker::connect_with_unix(&url, REQUEST_TIMEOUT, API_DEFAULT_VERSION),
        Endpoint::Tcp { .. } => Docker::connect_with_http(&url, REQUEST_TIMEOUT, API_DEFAULT_VERSION),
        Endpoint::Ssh { port: Some(_), .. } => {
            return Err(ClientError::Unsupported(
                "bollard 0.21 cannot pass a port to ssh: give the machine a `Host` entry with its `Port` in ~/.ssh/config and use ssh://USER@THAT-HOST".into(),
            ))
        }
        Endpoint::Ssh { port: None, .. } => {
            Docker::connect_with_ssh(&url, REQUEST_TIMEOUT, API_DEFAULT_VERSION, None)
        }
        Endpoint::Npipe(_) => {
            return Err(ClientError::Unsupported(
                "named pipes are Windows' and mountbench runs on Linux and macOS".into(),
            ))
        }
    };
    connected.map_err(ClientError::Bollard)
}

/// Long enough for a busy or emulated engine's first answer; ssh gets longer, it starts a
/// session first. A refused connection fails at once whatever this is.
fn probe_timeout(endpoint: &Endpoint) -> Duration {
    match endpoint {
        Endpoint::Ssh { .. } => Duration::from_secs(30),
        Endpoint::Unix(_) | Endpoint::Tcp { .. } | Endpoint::Npipe(_) => Duration::from_secs(15),
    }
}

/// An error with its sources ("client error (Connect): Connection refused (os error 111)").
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    text
}

fn unreachable(address: &EngineAddress, why: &str) -> EngineError {
    EngineError::Unreachable {
        name: address.name.clone(),
        endpoint: address.endpoint.to_string(),
        via: address.via.to_string(),
        why: one_line(why),
        hint: how_to_start(address, std::env::consts::OS),
    }
}

/// What to do about an engine that does not answer, by where it was expected and the OS
/// mountbench runs on (`std::env::consts::OS`).
fn how_to_start(address: &EngineAddress, os: &str) -> String {
    let endpoint = &address.endpoint;
    match (&address.via, endpoint.reach()) {
        (Via::Context(name), _) => format!(
            "Start the engine of context {name} (e.g. Docker Desktop, `orb start`, `colima start`, `podman machine start`) or choose another one (`docker context use NAME`, DOCKER_CONTEXT, or DOCKER_HOST)"
        ),
        (Via::PodmanSocket, _) => "Start Podman's service (`systemctl --user start podman.socket`, or `podman system service --time=0 &`) or point DOCKER_HOST at a running engine".to_string(),
        (Via::MacEngine(engine), _) => format!(
            "Start {engine} ({}), or point DOCKER_HOST or a Docker context at a running engine",
            start_command(*engine)
        ),
        (_, Reach::LocalSocket) if os == "macos" => format!("No Mac engine's socket was found (Docker Desktop ~/.docker/run/docker.sock, OrbStack ~/.orbstack/run/docker.sock, Colima ~/.colima/default/docker.sock, Rancher Desktop ~/.rd/docker.sock, Lima ~/.lima/INSTANCE/sock/docker.sock, podman machine $TMPDIR/podman/MACHINE-api.sock). Start one: {}; or point DOCKER_HOST at a running one", mac_starts()),
        (_, Reach::LocalSocket) => "Start it (`sudo systemctl start docker` or `sudo dockerd &`, or Podman's `podman system service --time=0 &`) or point DOCKER_HOST at a running one".to_string(),
        (_, Reach::Loopback) if matches!(endpoint, Endpoint::Tcp { .. }) => "Start the engine or VM that forwards this port (the test VM: scripts/vm/engine.sh start --share DIR)".to_string(),
        (_, Reach::Loopback | Reach::Network) => "Check that the machine is up and its engine listens there (ssh: `docker` must be on the remote PATH)".to_string(),
    }
}

/// How a Mac engine is started from a terminal.
fn start_command(engine: MacEngine) -> &'static str {
    match engine {
        MacEngine::DockerDesktop => "`open -a Docker`",
        MacEngine::OrbStack => "`orb start`",
        MacEngine::Colima => "`colima start`",
        MacEngine::RancherDesktop => "`open -a \"Rancher Desktop\"`",
        MacEngine::Lima => "`limactl start INSTANCE`",
        MacEngine::PodmanMachine => "`podman machine start`",
    }
}

fn mac_starts() -> String {
    use MacEngine::*;
    let all = [
        DockerDesktop,
        OrbStack,
        Colima,
        RancherDesktop,
        Lima,
        PodmanMachine,
    ];
    let each: Vec<String> = all
        .iter()
        .map(|e| format!("{e} {}", start_command(*e)))
        .collect();
    each.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(endpoint: &str, via: Via) -> EngineAddress {
        EngineAddress {
            name: "default".into(),
            endpoint: endpoint.parse().unwrap(),
            via,
        }
    }

    #[test]
    fn the_hint_names_the_engines_of_the_os_mountbench_runs_on() {
        let local = address("unix:///var/run/docker.sock", Via::LocalSocket);
        let colima = address(
            "unix:///Users/me/.colima/default/docker.sock",
            Via::MacEngine(MacEngine::Colima),
        );
        // (address, os, wanted, not wanted)
        let cases = [
            (&local, "linux", "sudo systemctl start docker", "OrbStack"),
            (&local, "macos", "OrbStack `orb start`", "systemctl"),
            (
                &local,
                "macos",
                "Lima ~/.lima/INSTANCE/sock/docker.sock",
                "systemctl",
            ),
            (
                &local,
                "macos",
                "podman machine `podman machine start`",
                "sudo",
            ),
            (
                &colima,
                "macos",
                "Start Colima (`colima start`)",
                "systemctl",
            ),
        ];
        for (address, os, want, not) in cases {
            let hint = how_to_start(address, os);
            assert!(hint.contains(want), "{os}: {want:?} not in {hint}");
            assert!(!hint.contains(not), "{os}: {not:?} in {hint}");
        }
    }
}
