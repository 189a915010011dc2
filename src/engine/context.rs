//! Docker contexts, read the way the docker CLI stores them (bollard 0.21 has no context API):
//! the current one is `currentContext` in `config.json` (overridden by `DOCKER_CONTEXT`), each
//! context is `contexts/meta/<sha256 of its name>/meta.json` with `Endpoints.docker.Host`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::endpoint::Endpoint;
use super::error::EngineError;

/// The name docker gives the engine of `DOCKER_HOST` or the local socket.
pub(crate) const DEFAULT_CONTEXT: &str = "default";

/// A Docker config folder: `$DOCKER_CONFIG`, else `~/.docker`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DockerConfig {
    pub(crate) dir: PathBuf,
}

impl DockerConfig {
    pub(crate) fn at(dir: impl Into<PathBuf>) -> DockerConfig {
        DockerConfig { dir: dir.into() }
    }

    /// The folder the docker CLI would read, from the values of `DOCKER_CONFIG` and `HOME`.
    pub(crate) fn locate(docker_config: Option<&str>, home: Option<&str>) -> Option<DockerConfig> {
        match (docker_config, home) {
            (Some(dir), _) if !dir.is_empty() => Some(DockerConfig::at(dir)),
            (_, Some(home)) if !home.is_empty() => {
                Some(DockerConfig::at(Path::new(home).join(".docker")))
            }
            _ => None,
        }
    }

    /// The context chosen in `config.json`, unless it is the default one (or none is chosen).
    pub(crate) fn current_context(&self) -> Result<Option<String>, EngineError> {
        let path = self.dir.join("config.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(bad(&path, e.to_string())),
        };
        let config: Value = serde_json::from_str(&text).map_err(|e| bad(&path, e.to_string()))?;
        Ok(config
            .get("currentContext")
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty() && *name != DEFAULT_CONTEXT)
            .map(String::from))
    }

    /// The Docker endpoint of a context stored in this config.
    pub(crate) fn endpoint(&self, name: &str) -> Result<Endpoint, EngineError> {
        let meta = self.meta_dir().join(digest(name)).join("meta.json");
        let text = match std::fs::read_to_string(&meta) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(EngineError::UnknownContext {
                    name: name.to_string(),
                    config: self.dir.clone(),
                    known: self.names(),
                })
            }
            Err(e) => return Err(bad(&meta, e.to_string())),
        };
        let json: Value = serde_json::from_str(&text).map_err(|e| bad(&meta, e.to_string()))?;
        let host = json
            .pointer("/Endpoints/docker/Host")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                bad(
                    &meta,
                    format!("context `{name}` has no Endpoints.docker.Host"),
                )
            })?;
        let endpoint: Endpoint = host
            .parse()
            .map_err(|e: EngineError| bad(&meta, e.to_string()))?;
        if matches!(endpoint, Endpoint::Tcp { .. }) && self.has_tls(name) {
            return Err(EngineError::Unsupported {
                endpoint: endpoint.to_string(),
                reason: format!("context `{name}` uses TLS, which mountbench does not support yet"),
            });
        }
        Ok(endpoint)
    }

    /// Every context name this config holds, `default` first.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.meta_dir())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| std::fs::read_to_string(entry.path().join("meta.json")).ok())
            .filter_map(|text| serde_json::from_str::<Value>(&text).ok())
            .filter_map(|json| json.get("Name").and_then(Value::as_str).map(String::from))
            .collect();
        names.sort();
        names.insert(0, DEFAULT_CONTEXT.to_string());
        names
    }

    fn meta_dir(&self) -> PathBuf {
        self.dir.join("contexts").join("meta")
    }

    fn has_tls(&self, name: &str) -> bool {
        let dir = self
            .dir
            .join("contexts")
            .join("tls")
            .join(digest(name))
            .join("docker");
        dir.is_dir()
    }
}

/// The folder name of a context: the hex SHA-256 of its name.
pub fn digest(name: &str) -> String {
    format!("{:x}", Sha256::digest(name.as_bytes()))
}

fn bad(path: &Path, reason: String) -> EngineError {
    EngineError::BadConfig {
        path: path.to_path_buf(),
        reason: crate::error::one_line(&reason),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::fs;

    /// A Docker config folder with these contexts (name, host) and `currentContext`.
    pub(crate) fn config_with(
        dir: &Path,
        contexts: &[(&str, &str)],
        current: Option<&str>,
    ) -> DockerConfig {
        for (name, host) in contexts {
            let meta = dir.join("contexts/meta").join(digest(name));
            fs::create_dir_all(&meta).unwrap();
            let json = serde_json::json!({
                "Name": name,
                "Metadata": {"Description": format!("{name} engine")},
                "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}},
            });
            fs::write(meta.join("meta.json"), json.to_string()).unwrap();
        }
        if let Some(current) = current {
            let json = serde_json::json!({"auths": {}, "currentContext": current});
            fs::write(dir.join("config.json"), json.to_string()).unwrap();
        }
        DockerConfig::at(dir)
    }

    #[test]
    fn digest_is_the_docker_cli_folder_name() {
        // The folder Docker Desktop's context lives in on every Mac.
        assert_eq!(
            digest("desktop-linux"),
            "fe9c6bd7a66301f49ca9b6a70b217107cd1284598bfc254700c989b916da791e"
        );
    }

    #[test]
    fn reads_contexts_and_the_current_one() {
        let tmp = tempfile::tempdir().unwrap();
        let orb = "unix:///Users/me/.orbstack/run/docker.sock";
        let colima = "unix:///Users/me/.colima/default/docker.sock";
        let config = config_with(
            tmp.path(),
            &[("orbstack", orb), ("colima", colima)],
            Some("orbstack"),
        );
        assert_eq!(
            config.current_context().unwrap().as_deref(),
            Some("orbstack")
        );
        assert_eq!(config.endpoint("orbstack").unwrap().to_string(), orb);
        assert_eq!(config.endpoint("colima").unwrap().to_string(), colima);
        assert_eq!(config.names(), ["default", "colima", "orbstack"]);
        let err = config.endpoint("podman").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`podman` does not exist") && text.contains("default, colima, orbstack"),
            "{text}"
        );
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn no_config_or_the_default_context_means_none() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(
            DockerConfig::at(tmp.path()).current_context().unwrap(),
            None
        );
        let config = config_with(tmp.path(), &[], Some("default"));
        assert_eq!(config.current_context().unwrap(), None);
        assert_eq!(config.names(), ["default"]);
        fs::write(tmp.path().join("config.json"), "{not json").unwrap();
        let err = config.current_context().unwrap_err();
        assert!(err.to_string().contains("config.json"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn broken_and_tls_contexts_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let config = config_with(
            tmp.path(),
            &[("odd", "ftp://box"), ("tls", "tcp://box:2376")],
            None,
        );
        assert!(config
            .endpoint("odd")
            .unwrap_err()
            .to_string()
            .contains("unknown scheme"));
        fs::create_dir_all(
            tmp.path()
                .join("contexts/tls")
                .join(digest("tls"))
                .join("docker"),
        )
        .unwrap();
        assert!(config
            .endpoint("tls")
            .unwrap_err()
            .to_string()
            .contains("TLS"));
    }

    #[test]
    fn locates_the_config_folder() {
        let cases = [
            (Some("/etc/dc"), Some("/home/me"), Some("/etc/dc")),
            (Some(""), Some("/home/me"), Some("/home/me/.docker")),
            (None, Some("/home/me"), Some("/home/me/.docker")),
            (None, None, None),
        ];
        for (docker_config, home, want) in cases {
            let got = DockerConfig::locate(docker_config, home).map(|c| c.dir);
            assert_eq!(got, want.map(PathBuf::from), "{docker_config:?} {home:?}");
        }
    }
}
