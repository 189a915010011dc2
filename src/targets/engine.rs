//! A connection to the Docker engine (through bollard) with its own tokio runtime, so the
//! rest of mountbench stays synchronous.

use std::future::Future;
use std::time::Duration;

use bollard::Docker;

use crate::error::{one_line, Error, Result};
use crate::targets::flavour::EngineFacts;

pub const RUN_LABEL: &str = "io.mountbench.run";
pub const AGENT_LABEL: &str = "io.mountbench";

pub struct Engine {
    runtime: tokio::runtime::Runtime,
    pub docker: Docker,
    pub facts: EngineFacts,
}

pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_string())
}

fn unreachable(host: &str, why: &str) -> Error {
    Error::Docker(format!(
        "cannot reach the Docker engine at {host} ({}). Start it (Linux: `sudo systemctl start docker` or `sudo dockerd &`; macOS: start Docker Desktop, `orb start` or `colima start`) or point DOCKER_HOST at a running one",
        one_line(why)
    ))
}

impl Engine {
    /// Connect the Docker way (`DOCKER_HOST`, else the local socket) and read /info and
    /// /version; fails within a few seconds with a how-to-start message.
    pub fn connect() -> Result<Engine> {
        let host = docker_host();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Docker(format!("cannot start the tokio runtime: {e}")))?;
        let docker =
            Docker::connect_with_defaults().map_err(|e| unreachable(&host, &e.to_string()))?;
        let (docker, info, version) = runtime.block_on(async {
            let probe = async {
                let docker = docker.negotiate_version().await?;
                let info = docker.info().await?;
                let version = docker.version().await?;
                Ok::<_, bollard::errors::Error>((docker, info, version))
            };
            match tokio::time::timeout(Duration::from_secs(10), probe).await {
                Ok(Ok(answers)) => Ok(answers),
                Ok(Err(e)) => Err(unreachable(&host, &e.to_string())),
                Err(_) => Err(unreachable(&host, "no answer within 10 s")),
            }
        })?;
        let info = serde_json::to_value(&info).unwrap_or_default();
        let version = serde_json::to_value(&version).unwrap_or_default();
        let facts = EngineFacts::from_answers(info, version, &host, std::env::consts::OS);
        Ok(Engine {
            runtime,
            docker,
            facts,
        })
    }

    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}
