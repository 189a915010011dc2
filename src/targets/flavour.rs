//! Which Docker engine this is (Docker Desktop, OrbStack, Colima, Podman, Rancher Desktop,
//! native Linux), read from its `/info` and `/version` answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Engine facts recorded in env.json; `info` and `version` are the engine's answers verbatim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineFacts {
    pub flavour: String,
    pub docker_host: String,
    pub server_version: String,
    pub api_version: String,
    pub operating_system: String,
    pub os_type: String,
    pub kernel: String,
    pub arch: String,
    pub storage_driver: String,
    pub cgroup_version: String,
    pub cgroup_driver: String,
    pub ncpu: i64,
    pub mem_total: i64,
    pub info: Value,
    pub version: Value,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

impl EngineFacts {
    pub fn from_answers(info: Value, version: Value, docker_host: &str, host_os: &str) -> Self {
        EngineFacts {
            flavour: detect_flavour(&info, &version, host_os),
            docker_host: docker_host.to_string(),
            server_version: text(&version, "Version"),
            api_version: text(&version, "ApiVersion"),
            operating_system: text(&info, "OperatingSystem"),
            os_type: text(&info, "OSType"),
            kernel: text(&info, "KernelVersion"),
            arch: text(&info, "Architecture"),
            storage_driver: text(&info, "Driver"),
            cgroup_version: text(&info, "CgroupVersion"),
            cgroup_driver: text(&info, "CgroupDriver"),
            ncpu: info.get("NCPU").and_then(Value::as_i64).unwrap_or(0),
            mem_total: info.get("MemTotal").and_then(Value::as_i64).unwrap_or(0),
            info,
            version,
        }
    }

    /// Whether a binary built for this host runs inside this engine's containers.
    pub fn runs_host_binaries(&self, host_os: &str, host_arch: &str) -> bool {
        host_os == "linux"
            && self.os_type == "linux"
            && normalize_arch(&self.arch) == normalize_arch(host_arch)
            && self.flavour == "native Linux"
    }
}

fn normalize_arch(arch: &str) -> &str {
    match arch {
        "amd64" | "x86_64" => "x86_64",
        "arm64" | "aarch64" => "aarch64",
        other => other,
    }
}

/// `host_os` is `std::env::consts::OS` of the machine running mountbench.
pub fn detect_flavour(info: &Value, version: &Value, host_os: &str) -> String {
    let os = text(info, "OperatingSystem").to_lowercase();
    let name = text(info, "Name").to_lowercase();
    let kernel = text(info, "KernelVersion").to_lowercase();
    let components: Vec<String> = version
        .get("Components")
        .and_then(Value::as_array)
        .map(|c| c.iter().map(|c| text(c, "Name").to_lowercase()).collect())
        .unwrap_or_default();
    let platform = version
        .get("Platform")
        .map(|p| text(p, "Name").to_lowercase())
        .unwrap_or_default();
    let flavour = if components.iter().any(|c| c.contains("podman")) || platform.contains("podman")
    {
        "Podman"
    } else if os.contains("docker desktop") || platform.contains("docker desktop") {
        "Docker Desktop"
    } else if os.contains("orbstack") || name == "orbstack" || kernel.contains("orbstack") {
        "OrbStack"
    } else if os.contains("rancher desktop") || name.contains("rancher-desktop") {
        "Rancher Desktop"
    } else if name == "colima" || name.starts_with("colima-") || name.starts_with("lima-colima") {
        "Colima"
    } else if host_os == "linux" && text(info, "OSType") == "linux" {
        "native Linux"
    } else {
        "other"
    };
    flavour.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn detects_each_flavour() {
        let cases = [
            (
                json!({"OperatingSystem": "Docker Desktop", "OSType": "linux", "Name": "docker-desktop", "KernelVersion": "6.10.14-linuxkit"}),
                json!({}),
                "macos",
                "Docker Desktop",
            ),
            (
                json!({"OperatingSystem": "OrbStack", "OSType": "linux", "Name": "orbstack", "KernelVersion": "6.11.10-orbstack-00280-g1304bd068592"}),
                json!({}),
                "macos",
                "OrbStack",
            ),
            (
                json!({"OperatingSystem": "Ubuntu 24.04.1 LTS", "OSType": "linux", "Name": "colima"}),
                json!({}),
                "macos",
                "Colima",
            ),
            (
                json!({"OperatingSystem": "Alpine Linux v3.20", "OSType": "linux", "Name": "lima-rancher-desktop"}),
                json!({}),
                "macos",
                "Rancher Desktop",
            ),
            (
                json!({"OperatingSystem": "fedora", "OSType": "linux"}),
                json!({"Components": [{"Name": "Podman Engine"}]}),
                "linux",
                "Podman",
            ),
            (
                json!({"OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "OSType": "linux", "Name": "box"}),
                json!({"Platform": {"Name": ""}}),
                "linux",
                "native Linux",
            ),
            (
                json!({"OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "OSType": "linux", "Name": "box"}),
                json!({}),
                "macos",
                "other",
            ),
        ];
        for (info, version, host, want) in cases {
            assert_eq!(detect_flavour(&info, &version, host), want, "{info}");
        }
    }

    #[test]
    fn host_binaries_run_only_on_native_linux_of_the_same_arch() {
        let facts = |flavour_os: &str, arch: &str| {
            EngineFacts::from_answers(
                json!({"OperatingSystem": flavour_os, "OSType": "linux", "Architecture": arch}),
                json!({}),
                "unix:///var/run/docker.sock",
                "linux",
            )
        };
        assert!(facts("Debian", "x86_64").runs_host_binaries("linux", "x86_64"));
        assert!(!facts("Debian", "aarch64").runs_host_binaries("linux", "x86_64"));
        assert!(!facts("Docker Desktop", "x86_64").runs_host_binaries("linux", "x86_64"));
    }
}
