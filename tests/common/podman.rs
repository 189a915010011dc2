//! The Podman service the Podman tests talk to (MOUNTBENCH_PODMAN_HOST), and `mountbench`
//! commands pointed at it.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use mountbench::engine::address::{EngineAddress, Via};
use mountbench::engine::Engine;

use super::{missing, Skip};

/// The Podman endpoint and a connection to it: without MOUNTBENCH_PODMAN_HOST a skip, or a
/// failure with MOUNTBENCH_REQUIRE_PODMAN=1 (CI).
pub fn podman() -> Result<(String, Arc<Engine>), Skip> {
    let host = std::env::var("MOUNTBENCH_PODMAN_HOST").unwrap_or_default();
    if host.is_empty() {
        return Err(missing(
            "MOUNTBENCH_REQUIRE_PODMAN",
            "no Podman: MOUNTBENCH_PODMAN_HOST is not set; scripts/podman/service.sh start gives one",
        ));
    }
    let address = EngineAddress {
        name: "podman".into(),
        endpoint: host.parse().unwrap_or_else(|e| panic!("{host}: {e}")),
        via: Via::EngineFlag,
    };
    let engine =
        Engine::connect(&address).unwrap_or_else(|e| panic!("MOUNTBENCH_PODMAN_HOST={host}: {e}"));
    let software = engine.facts.software();
    assert!(engine.facts.dialect().is_podman(), "{host} runs {software}");
    Ok((host, Arc::new(engine)))
}

/// A `mountbench` command that talks to the engine at `host`.
pub fn on(host: &str, mut cmd: Command) -> Command {
    cmd.env("DOCKER_HOST", host).env_remove("DOCKER_CONTEXT");
    cmd
}

pub fn run_on(host: &str, workload: &Path, data: &Path, out: &Path, args: &[&str]) -> Output {
    on(host, super::run_command(workload, data, out, args))
        .output()
        .unwrap()
}
