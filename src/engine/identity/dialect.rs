//! What differs between the engines that speak the Docker Engine API, as mountbench meets
//! them: Docker's own daemon and Podman's service (its Docker-compatible API). Each
//! difference is one method here, so the code that creates, lists and removes objects reads
//! the same on every engine.

use std::fmt;

use serde_json::Value;

use super::flavour::text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Docker's daemon (dockerd, Docker Desktop, OrbStack, Colima…).
    Docker,
    /// Podman's service, with its version when it told it.
    Podman(Option<Version>),
}

/// A release number, "4.3.1" (suffixes such as "-dev" or "+ds1" dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub(crate) major: u32,
    pub(crate) minor: u32,
    pub(crate) patch: u32,
}

impl Version {
    pub(crate) const fn new(major: u32, minor: u32, patch: u32) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// "4.3.1", "5.2.5-dev", "4.9"; `None` when it does not start with a number.
    pub(crate) fn parse(text: &str) -> Option<Version> {
        let core = text.trim().trim_start_matches('v');
        let core = core.split(['-', '+', ' ', '~']).next().unwrap_or_default();
        let mut parts = core.split('.').map(|p| p.parse::<u32>());
        let major = parts.next()?.ok()?;
        let minor = parts.next().and_then(|p| p.ok()).unwrap_or(0);
        let patch = parts.next().and_then(|p| p.ok()).unwrap_or(0);
        Some(Version::new(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The first Podman that takes `size=` in a tmpfs volume's `o` (podman#20451); before, it
/// asks the volume folder's filesystem for project quotas and refuses.
const TMPFS_VOLUME_SIZE: Version = Version::new(4, 8, 0);

impl Dialect {
    /// From `/version`: Podman lists itself among the `Components` ("Podman Engine").
    pub(crate) fn detect(version: &Value) -> Dialect {
        match podman_component(version) {
            Some(component) => Dialect::Podman(Version::parse(&text(component, "Version"))),
            None => Dialect::Docker,
        }
    }

    /// "Docker 20.10.24", "Podman 4.3.1": the engine software and its release.
    pub(crate) fn software(self, server_version: &str) -> String {
        match self {
            Dialect::Docker => format!("Docker {server_version}"),
            Dialect::Podman(Some(v)) => format!("Podman {v}"),
            Dialect::Podman(None) => format!("Podman {server_version}"),
        }
    }

    pub fn is_podman(self) -> bool {
        matches!(self, Dialect::Podman(_))
    }

    /// The `changes` of an image import. bollard sends them joined by newlines in one query
    /// value: Docker parses that as a Dockerfile, Podman as one instruction (a LABEL whose
    /// value swallows the rest). Podman gets the first change alone (the LABEL that
    /// `mountbench clean --images` finds); every container mountbench creates names its
    /// command, so the image's CMD is not needed there.
    pub(crate) fn import_changes(self, changes: Vec<String>) -> Vec<String> {
        match self {
            Dialect::Docker => changes,
            Dialect::Podman(_) => changes.into_iter().take(1).collect(),
        }
    }

    /// Whether `force` on removing a volume or an image is safe for objects that others'
    /// containers use. Docker's `force` only untags an image or ignores a missing volume;
    /// Podman's removes every container using it, labelled by mountbench or not.
    pub(crate) fn force_spares_users(self) -> bool {
        match self {
            Dialect::Docker => true,
            Dialect::Podman(_) => false,
        }
    }

    /// Whether a tmpfs volume of the local driver takes `size=` in its `o`; an unknown Podman
    /// is taken for an old one.
    pub fn tmpfs_volume_takes_size(self) -> bool {
        match self {
            Dialect::Docker => true,
            Dialect::Podman(Some(v)) => v >= TMPFS_VOLUME_SIZE,
            Dialect::Podman(None) => false,
        }
    }
}

fn podman_component(version: &Value) -> Option<&Value> {
    version
        .get("Components")?
        .as_array()?
        .iter()
        .find(|c| text(c, "Name").to_lowercase().contains("podman"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_release_numbers() {
        let cases = [
            ("4.3.1", Some(Version::new(4, 3, 1))),
            ("5.2.5-dev", Some(Version::new(5, 2, 5))),
            ("4.9", Some(Version::new(4, 9, 0))),
            ("v4.8.0+ds1", Some(Version::new(4, 8, 0))),
            ("20.10.24+dfsg1", Some(Version::new(20, 10, 24))),
            ("", None),
            ("dev", None),
        ];
        for (text, want) in cases {
            assert_eq!(Version::parse(text), want, "{text:?}");
        }
        assert_eq!(Version::new(4, 3, 1).to_string(), "4.3.1");
    }

    #[test]
    fn detects_podman_by_its_component() {
        let debian = json!({"Platform": {"Name": "linux/amd64/debian-12"}, "Version": "4.3.1",
            "Components": [{"Name": "Podman Engine", "Version": "4.3.1"}, {"Name": "Conmon"}]});
        let dialect = Dialect::detect(&debian);
        assert_eq!(dialect, Dialect::Podman(Some(Version::new(4, 3, 1))));
        assert_eq!(dialect.software("4.3.1"), "Podman 4.3.1");
        let docker = json!({"Version": "20.10.24+dfsg1",
            "Components": [{"Name": "Engine", "Version": "20.10.24+dfsg1"}]});
        assert_eq!(Dialect::detect(&docker), Dialect::Docker);
        assert_eq!(
            Dialect::Docker.software("20.10.24+dfsg1"),
            "Docker 20.10.24+dfsg1"
        );
        assert_eq!(Dialect::detect(&json!({})), Dialect::Docker);
    }

    #[test]
    fn differences_by_engine_and_release() {
        let old = Dialect::Podman(Some(Version::new(4, 3, 1)));
        let new = Dialect::Podman(Some(Version::new(4, 8, 0)));
        assert!(Dialect::Docker.tmpfs_volume_takes_size());
        assert!(!old.tmpfs_volume_takes_size() && new.tmpfs_volume_takes_size());
        assert!(!Dialect::Podman(None).tmpfs_volume_takes_size());
        assert!(Dialect::Docker.force_spares_users() && !old.force_spares_users());
        let changes = vec!["LABEL a=b".to_string(), "CMD [\"/x\"]".to_string()];
        assert_eq!(Dialect::Docker.import_changes(changes.clone()).len(), 2);
        assert_eq!(new.import_changes(changes), vec!["LABEL a=b".to_string()]);
    }
}
