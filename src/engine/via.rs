//! How an engine's endpoint was found: named (DOCKER_HOST, a context, --engine) or probed
//! (the local socket, Podman's, a Mac engine's).

use std::fmt;

use serde::{Deserialize, Serialize};

/// How an engine's endpoint was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    DockerHost,
    Context(String),
    LocalSocket,
    /// Podman's service socket, found where Docker's is missing.
    PodmanSocket,
    /// The socket of a Mac engine, found where nothing names one.
    MacEngine(MacEngine),
    EngineFlag,
}

/// The Mac engines whose sockets are probed when nothing names an engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MacEngine {
    DockerDesktop,
    OrbStack,
    Colima,
    RancherDesktop,
    Lima,
    PodmanMachine,
}

impl fmt::Display for MacEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MacEngine::DockerDesktop => "Docker Desktop",
            MacEngine::OrbStack => "OrbStack",
            MacEngine::Colima => "Colima",
            MacEngine::RancherDesktop => "Rancher Desktop",
            MacEngine::Lima => "Lima",
            MacEngine::PodmanMachine => "podman machine",
        })
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Via::DockerHost => write!(f, "from DOCKER_HOST"),
            Via::Context(name) => write!(f, "Docker context {name}"),
            Via::LocalSocket => write!(f, "the local socket"),
            Via::PodmanSocket => write!(f, "Podman's socket: no Docker socket here"),
            Via::MacEngine(engine) => write!(f, "{engine}'s socket: nothing named an engine"),
            Via::EngineFlag => write!(f, "from --engine"),
        }
    }
}
