//! Which product runs a Docker engine (Docker Desktop, OrbStack, Colima, Rancher Desktop,
//! Podman, Lima, mountbench's test VM), read from its `/info` and `/version` answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The daemon label (`/info` `Labels`) of the project's own test VM (scripts/vm/engine.sh).
pub(crate) const TEST_VM_LABEL: &str = "io.mountbench.engine=test-vm";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Flavour {
    DockerDesktop,
    #[serde(rename = "orbstack")]
    OrbStack,
    Colima,
    RancherDesktop,
    Podman,
    Lima,
    TestVm,
    /// An engine that names no product (a Linux distribution's dockerd, or one not known
    /// here), with its `/info` `OperatingSystem` text.
    Other(String),
}

impl Flavour {
    /// Detection, most specific first; an engine matching no rule is `Other`.
    pub(crate) fn detect(info: &Value, version: &Value) -> Flavour {
        let os = text(info, "OperatingSystem").to_lowercase();
        let name = text(info, "Name").to_lowercase();
        let kernel = text(info, "KernelVersion").to_lowercase();
        let labels: Vec<&str> = info
            .get("Labels")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let components: Vec<String> = version
            .get("Components")
            .and_then(Value::as_array)
            .map(|c| c.iter().map(|c| text(c, "Name").to_lowercase()).collect())
            .unwrap_or_default();
        let platform = version
            .get("Platform")
            .map(|p| text(p, "Name").to_lowercase())
            .unwrap_or_default();
        if labels.contains(&TEST_VM_LABEL) {
            Flavour::TestVm
        } else if components.iter().any(|c| c.contains("podman")) || platform.contains("podman") {
            Flavour::Podman
        } else if os.contains("docker desktop")
            || platform.contains("docker desktop")
            || labels.iter().any(|l| l.starts_with("com.docker.desktop."))
        {
            Flavour::DockerDesktop
        } else if os.contains("orbstack") || name == "orbstack" || kernel.contains("orbstack") {
            Flavour::OrbStack
        } else if os.contains("rancher desktop") || name.contains("rancher-desktop") {
            Flavour::RancherDesktop
        } else if name == "colima" || name.starts_with("colima-") || name.starts_with("lima-colima")
        {
            Flavour::Colima
        } else if name.starts_with("lima-") {
            Flavour::Lima
        } else {
            Flavour::Other(text(info, "OperatingSystem"))
        }
    }

    /// The product's name, or the engine's operating system for `Other`.
    pub(crate) fn name(&self) -> &str {
        match self {
            Flavour::DockerDesktop => "Docker Desktop",
            Flavour::OrbStack => "OrbStack",
            Flavour::Colima => "Colima",
            Flavour::RancherDesktop => "Rancher Desktop",
            Flavour::Podman => "Podman",
            Flavour::Lima => "Lima",
            Flavour::TestVm => "test VM",
            Flavour::Other(os) if os.is_empty() => "unknown engine",
            Flavour::Other(os) => os,
        }
    }

    /// Products whose engine always runs in a Linux VM, whatever the host. (Podman runs
    /// natively on Linux and in `podman machine` elsewhere: the kernel tells.)
    pub(crate) fn always_in_a_vm(&self) -> bool {
        match self {
            Flavour::DockerDesktop
            | Flavour::OrbStack
            | Flavour::Colima
            | Flavour::RancherDesktop
            | Flavour::Lima
            | Flavour::TestVm => true,
            Flavour::Podman | Flavour::Other(_) => false,
        }
    }

    /// Whether a product was recognised (not `Other`).
    pub(crate) fn is_product(&self) -> bool {
        !matches!(self, Flavour::Other(_))
    }
}

pub(crate) fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// Realistic `/info` and `/version` answers (trimmed to what detection and identity read)
    /// of each flavour, with the flavour expected: Docker Desktop 4.37 on a Mac, OrbStack 1.9
    /// and 0.7 (containerized Alpine), Colima 0.8 (and a profile), Rancher Desktop 1.16 (moby),
    /// Lima's docker template, Podman machine 5 on a Mac, the test VM, Debian's dockerd.
    pub(crate) fn answers() -> Vec<(&'static str, Value, Value, Flavour)> {
        vec![
            (
                "desktop",
                json!({"Name": "docker-desktop", "OperatingSystem": "Docker Desktop", "OSType": "linux",
                       "KernelVersion": "6.10.14-linuxkit", "Architecture": "aarch64",
                       "Labels": ["com.docker.desktop.address=unix:///Users/me/Library/Containers/com.docker.docker/Data/docker-cli.sock"]}),
                json!({"Platform": {"Name": "Docker Desktop 4.37.1 (178610)"}, "Version": "27.4.0", "KernelVersion": "6.10.14-linuxkit"}),
                Flavour::DockerDesktop,
            ),
            (
                "orbstack",
                json!({"Name": "orbstack", "OperatingSystem": "OrbStack", "OSType": "linux",
                       "KernelVersion": "6.11.10-orbstack-00280-g1304bd068592", "Architecture": "aarch64", "Labels": []}),
                json!({"Platform": {"Name": "Docker Engine - Community"}, "Version": "27.3.1"}),
                Flavour::OrbStack,
            ),
            (
                "orbstack-0.7",
                json!({"Name": "docker", "OperatingSystem": "Alpine Linux edge (containerized)", "OSType": "linux",
                       "KernelVersion": "6.1.23-orbstack-00113-g6614aaccb205-dirty", "Architecture": "aarch64"}),
                json!({"Version": "23.0.3"}),
                Flavour::OrbStack,
            ),
            (
                "colima",
                json!({"Name": "colima", "OperatingSystem": "Ubuntu 24.04.1 LTS", "OSType": "linux",
                       "KernelVersion": "6.8.0-50-generic", "Architecture": "aarch64", "Labels": null}),
                json!({"Platform": {"Name": "Docker Engine - Community"}, "Version": "27.4.0"}),
                Flavour::Colima,
            ),
            (
                "colima-work",
                json!({"Name": "colima-work", "OperatingSystem": "Ubuntu 24.04.1 LTS", "OSType": "linux",
                       "KernelVersion": "6.8.0-50-generic", "Architecture": "x86_64"}),
                json!({}),
                Flavour::Colima,
            ),
            (
                "rancher",
                json!({"Name": "lima-rancher-desktop", "OperatingSystem": "Alpine Linux v3.20", "OSType": "linux",
                       "KernelVersion": "6.6.58-0-virt", "Architecture": "aarch64"}),
                json!({"Version": "26.1.5"}),
                Flavour::RancherDesktop,
            ),
            (
                "lima",
                json!({"Name": "lima-docker", "OperatingSystem": "Ubuntu 24.10", "OSType": "linux",
                       "KernelVersion": "6.11.0-9-generic", "Architecture": "aarch64"}),
                json!({"Version": "27.3.1"}),
                Flavour::Lima,
            ),
            (
                "podman-machine",
                json!({"Name": "localhost.localdomain", "OperatingSystem": "fedora", "OSType": "linux",
                       "KernelVersion": "6.11.3-200.fc40.aarch64", "Architecture": "arm64"}),
                json!({"Platform": {"Name": "linux/arm64/fedora-40"}, "Version": "5.2.5",
                       "Components": [{"Name": "Podman Engine", "Version": "5.2.5"}, {"Name": "Conmon"}]}),
                Flavour::Podman,
            ),
            (
                "test-vm",
                json!({"Name": "mountbench-vm", "OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "OSType": "linux",
                       "KernelVersion": "6.1.0-26-amd64", "Architecture": "x86_64",
                       "Labels": ["io.mountbench.engine=test-vm"]}),
                json!({"Platform": {"Name": ""}, "Version": "20.10.24+dfsg1"}),
                Flavour::TestVm,
            ),
            (
                "debian",
                json!({"Name": "box", "OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "OSType": "linux",
                       "KernelVersion": "6.1.0-18-amd64", "Architecture": "x86_64", "Labels": []}),
                json!({"Platform": {"Name": ""}, "Version": "20.10.24+dfsg1"}),
                Flavour::Other("Debian GNU/Linux 12 (bookworm)".into()),
            ),
        ]
    }

    #[test]
    fn detects_each_flavour() {
        for (case, info, version, want) in answers() {
            assert_eq!(Flavour::detect(&info, &version), want, "{case}");
        }
    }

    #[test]
    fn names_and_serialises_each_flavour() {
        for (case, _, _, flavour) in answers() {
            let json = serde_json::to_string(&flavour).unwrap();
            let back: Flavour = serde_json::from_str(&json).unwrap();
            assert_eq!(back, flavour, "{case}: {json}");
            assert!(!flavour.name().is_empty(), "{case}");
        }
        assert_eq!(
            serde_json::to_string(&Flavour::OrbStack).unwrap(),
            "\"orbstack\""
        );
        assert_eq!(
            serde_json::to_string(&Flavour::TestVm).unwrap(),
            "\"test-vm\""
        );
        assert_eq!(Flavour::Other(String::new()).name(), "unknown engine");
    }
}
