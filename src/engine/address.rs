//! Which engines a command talks to, resolved the Docker way: `DOCKER_HOST`, else the current
//! context (`DOCKER_CONTEXT`, else the config's `currentContext`), else the first local
//! socket found (Docker's, Podman's; on a Mac those of its engines: local_sockets.rs); or the
//! engines named with `--engine NAME=ENDPOINT|CONTEXT`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::context::{DockerConfig, DEFAULT_CONTEXT};
use super::endpoint::{Endpoint, EngineArg, Location};
use super::error::EngineError;
pub(crate) use super::local_sockets::{LocalSockets, Machine};
pub use super::via::{MacEngine, Via};

/// The name of the engine a command uses when none is named.
pub const DEFAULT_NAME: &str = crate::cell::DEFAULT_ENGINE;

/// An engine to connect to: its name in mountbench, its endpoint and where that came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineAddress {
    pub name: String,
    pub endpoint: Endpoint,
    pub via: Via,
}

/// What the Docker way reads from the environment, gathered once so tests can give their own.
#[derive(Debug, Clone, Default)]
pub struct DockerEnv {
    pub(crate) docker_host: Option<String>,
    pub(crate) docker_context: Option<String>,
    pub(crate) config: Option<DockerConfig>,
    pub(crate) sockets: LocalSockets,
}

impl DockerEnv {
    pub fn from_process() -> DockerEnv {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        DockerEnv {
            docker_host: var("DOCKER_HOST"),
            docker_context: var("DOCKER_CONTEXT"),
            config: DockerConfig::locate(var("DOCKER_CONFIG").as_deref(), var("HOME").as_deref()),
            sockets: LocalSockets::of_process(&Machine {
                os: std::env::consts::OS.to_string(),
                home: var("HOME").map(PathBuf::from),
                tmpdir: var("TMPDIR").map(PathBuf::from),
                xdg_runtime_dir: var("XDG_RUNTIME_DIR").map(PathBuf::from),
                uid: rustix::process::getuid().as_raw(),
            }),
        }
    }

    /// `DOCKER_HOST`, else the local socket: what the `default` context means (with Podman's
    /// socket standing in for a missing Docker one).
    fn default_context(&self) -> Result<(Endpoint, Via), EngineError> {
        match &self.docker_host {
            Some(host) => {
                let endpoint = host.parse().map_err(|e| match e {
                    EngineError::Malformed { reason, .. } => {
                        EngineError::malformed("DOCKER_HOST", host, reason)
                    }
                    other => other,
                })?;
                Ok((endpoint, Via::DockerHost))
            }
            None => Ok(self.sockets.present()),
        }
    }

    /// The endpoint of a context by name (`default` included).
    fn context(&self, name: &str) -> Result<(Endpoint, Via), EngineError> {
        if name == DEFAULT_CONTEXT {
            return self.default_context();
        }
        let config = self
            .config
            .as_ref()
            .ok_or_else(|| EngineError::UnknownContext {
                name: name.to_string(),
                config: "~/.docker (neither DOCKER_CONFIG nor HOME is set)".into(),
                known: vec![DEFAULT_CONTEXT.to_string()],
            })?;
        Ok((config.endpoint(name)?, Via::Context(name.to_string())))
    }

    /// The context chosen by `DOCKER_CONTEXT` or the config, when not the default one.
    fn current_context(&self) -> Result<Option<String>, EngineError> {
        if let Some(name) = &self.docker_context {
            return Ok((name != DEFAULT_CONTEXT).then(|| name.clone()));
        }
        match &self.config {
            Some(config) => config.current_context(),
            None => Ok(None),
        }
    }
}

impl EngineAddress {
    /// The engine the docker CLI would use: `DOCKER_HOST`, the current context, the socket.
    pub fn default_engine(env: &DockerEnv) -> Result<EngineAddress, EngineError> {
        let context = match env.docker_host {
            Some(_) => None,
            None => env.current_context()?,
        };
        let (endpoint, via) = match context {
            Some(context) => env.context(&context)?,
            None => env.default_context()?,
        };
        Ok(EngineAddress {
            name: DEFAULT_NAME.to_string(),
            endpoint,
            via,
        })
    }

    /// The engines a command works on: those named with `--engine`, else the default one.
    pub fn chosen(args: &[EngineArg], env: &DockerEnv) -> Result<Vec<EngineAddress>, EngineError> {
        if args.is_empty() {
            Ok(vec![EngineAddress::default_engine(env)?])
        } else {
            EngineAddress::resolve(args, env)
        }
    }

    /// The engines named with `--engine`, each name once, contexts looked up.
    pub fn resolve(args: &[EngineArg], env: &DockerEnv) -> Result<Vec<EngineAddress>, EngineError> {
        let mut names = BTreeSet::new();
        let mut addresses = Vec::new();
        for arg in args {
            if !names.insert(arg.name.as_str()) {
                return Err(EngineError::DuplicateName(arg.name.clone()));
            }
            let (endpoint, via) = match &arg.location {
                Location::Endpoint(endpoint) => (endpoint.clone(), Via::EngineFlag),
                Location::Context(context) => env.context(context)?,
            };
            addresses.push(EngineAddress {
                name: arg.name.clone(),
                endpoint,
                via,
            });
        }
        Ok(addresses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::context::tests::config_with;
    use crate::engine::local_sockets::Candidate;

    const ORB: &str = "unix:///Users/me/.orbstack/run/docker.sock";
    const COLIMA: &str = "unix:///Users/me/.colima/default/docker.sock";

    fn env(dir: &std::path::Path, host: Option<&str>, context: Option<&str>) -> DockerEnv {
        let config = config_with(
            dir,
            &[("orbstack", ORB), ("colima", COLIMA)],
            Some("orbstack"),
        );
        DockerEnv {
            docker_host: host.map(String::from),
            docker_context: context.map(String::from),
            config: Some(config),
            sockets: LocalSockets::default(),
        }
    }

    #[test]
    fn the_default_engine_follows_the_docker_cli() {
        let tmp = tempfile::tempdir().unwrap();
        let vm = "tcp://127.0.0.1:23750";
        let ctx = |n: &str| Via::Context(n.into());
        let cases = [
            (Some(vm), Some("colima"), vm, Via::DockerHost),
            (None, Some("colima"), COLIMA, ctx("colima")),
            (None, None, ORB, ctx("orbstack")),
            (
                None,
                Some("default"),
                "unix:///var/run/docker.sock",
                Via::LocalSocket,
            ),
        ];
        for (host, context, want, via) in cases {
            let got = EngineAddress::default_engine(&env(tmp.path(), host, context)).unwrap();
            assert_eq!(
                (got.endpoint.to_string().as_str(), got.via),
                (want, via),
                "{host:?} {context:?}"
            );
            assert_eq!(got.name, "default");
        }
        let nothing = DockerEnv::default();
        let got = EngineAddress::default_engine(&nothing).unwrap();
        assert_eq!(
            (got.endpoint, got.via),
            (Endpoint::local_socket(), Via::LocalSocket)
        );
    }

    #[test]
    fn a_socket_found_stands_in_only_where_nothing_names_an_engine() {
        let tmp = tempfile::tempdir().unwrap();
        let podman = tmp.path().join("podman.sock");
        std::fs::write(&podman, b"").unwrap();
        let sockets = LocalSockets {
            candidates: vec![
                Candidate {
                    path: tmp.path().join("docker.sock"),
                    via: Via::LocalSocket,
                },
                Candidate {
                    path: podman.clone(),
                    via: Via::PodmanSocket,
                },
            ],
        };
        let env = DockerEnv {
            sockets: sockets.clone(),
            ..DockerEnv::default()
        };
        let got = EngineAddress::default_engine(&env).unwrap();
        assert_eq!(
            (got.endpoint, got.via),
            (Endpoint::Unix(podman), Via::PodmanSocket)
        );
        let named = DockerEnv {
            docker_host: Some("tcp://127.0.0.1:23750".into()),
            sockets,
            ..DockerEnv::default()
        };
        let got = EngineAddress::default_engine(&named).unwrap();
        assert_eq!(got.via, Via::DockerHost, "DOCKER_HOST wins over any socket");
    }

    #[test]
    fn bad_defaults_are_input_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let err =
            EngineAddress::default_engine(&env(tmp.path(), Some("docker.sock"), None)).unwrap_err();
        assert!(
            err.to_string().starts_with("DOCKER_HOST `docker.sock`"),
            "{err}"
        );
        let err = EngineAddress::default_engine(&env(tmp.path(), None, Some("gone"))).unwrap_err();
        assert!(
            err.to_string().contains("known: default, colima, orbstack"),
            "{err}"
        );
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn resolves_named_engines() {
        let tmp = tempfile::tempdir().unwrap();
        let env = env(tmp.path(), Some("tcp://127.0.0.1:23750"), None);
        let args: Vec<EngineArg> = ["mac=orbstack", "vm=tcp://127.0.0.1:23750", "here=default"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let got = EngineAddress::resolve(&args, &env).unwrap();
        let summary: Vec<(String, String, Via)> = got
            .into_iter()
            .map(|a| (a.name, a.endpoint.to_string(), a.via))
            .collect();
        assert_eq!(
            summary,
            [
                ("mac".into(), ORB.into(), Via::Context("orbstack".into())),
                ("vm".into(), "tcp://127.0.0.1:23750".into(), Via::EngineFlag),
                (
                    "here".into(),
                    "tcp://127.0.0.1:23750".into(),
                    Via::DockerHost
                ),
            ]
        );
        let twice: Vec<EngineArg> = ["a=orbstack", "a=colima"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let err = EngineAddress::resolve(&twice, &env).unwrap_err();
        assert!(
            matches!(&err, EngineError::DuplicateName(n) if n == "a"),
            "{err}"
        );
        assert_eq!(err.exit_code(), 2);
        let unknown: Vec<EngineArg> = vec!["x=nope".parse().unwrap()];
        let err = EngineAddress::resolve(&unknown, &env).unwrap_err();
        assert!(matches!(err, EngineError::UnknownContext { .. }), "{err}");
    }
}
