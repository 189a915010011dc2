//! The facts about an engine recorded in env.json: its answers to `/info` and `/version`
//! verbatim, the fields reports show, and its identity (kind and flavour).

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub mod dialect;
pub mod flavour;
pub mod kind;

use super::address::{EngineAddress, Via};
use super::endpoint::{Endpoint, Reach};
use dialect::Dialect;
use flavour::{text, Flavour};
use kind::{EngineIdentity, EngineKind, EngineSide, HostView};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineFacts {
    /// A short name for result rows: the product ("Docker Desktop", "test VM") or the kind
    /// ("native Linux", "Linux VM", "remote Linux"). Older runs wrote "native Linux" for
    /// every plain engine and "other" off Linux.
    pub flavour: String,
    /// The endpoint connected to.
    pub docker_host: String,
    /// The engine's name in mountbench ("default" unless named with `--engine`).
    #[serde(default)]
    pub name: String,
    /// How the endpoint was found (absent in runs of mountbench 0.1).
    #[serde(default)]
    pub(crate) via: Option<Via>,
    /// Kind and flavour; runs of mountbench 0.1 lack it and get it computed on load.
    #[serde(default)]
    pub identity: Option<EngineIdentity>,
    pub(crate) server_version: String,
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
    pub(crate) info: Value,
    pub(crate) version: Value,
}

impl EngineFacts {
    /// The facts of the engine at `address`, from its answers, seen from `host`.
    pub(crate) fn identify(
        info: Value,
        version: Value,
        address: &EngineAddress,
        host: &HostView,
    ) -> Self {
        let mut facts = Self::answers(info, version, address.endpoint.to_string());
        facts.name = address.name.clone();
        facts.via = Some(address.via.clone());
        facts.set_identity(Some(address.endpoint.reach()), host);
        facts
    }

    /// The facts of the default engine at `docker_host` (an endpoint URL), seen from a host
    /// running `host_os` with this machine's kernel.
    pub fn from_answers(info: Value, version: Value, docker_host: &str, host_os: &str) -> Self {
        let mut facts = Self::answers(info, version, docker_host.to_string());
        facts.name = super::address::DEFAULT_NAME.to_string();
        let host = HostView {
            os: host_os.to_string(),
            ..HostView::current()
        };
        facts.set_identity(facts.reach(), &host);
        facts
    }

    /// Give facts recorded without an identity (mountbench 0.1) one, from their own answers;
    /// the recorded `flavour` label stays as it was.
    pub(crate) fn fill_identity(&mut self, host: &HostView) {
        if self.identity.is_none() {
            let label = self.flavour.clone();
            self.set_identity(self.reach(), host);
            self.flavour = label;
        }
    }

    fn answers(info: Value, version: Value, docker_host: String) -> Self {
        EngineFacts {
            flavour: String::new(),
            docker_host,
            name: String::new(),
            via: None,
            identity: None,
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

    fn set_identity(&mut self, reach: Option<Reach>, host: &HostView) {
        let flavour = Flavour::detect(&self.info, &self.version);
        let engine = EngineSide {
            os_type: &self.os_type,
            kernel: &self.kernel,
            reach,
        };
        let identity = EngineIdentity::classify(flavour, engine, host);
        self.flavour = identity.short_label(&self.os_type);
        self.identity = Some(identity);
    }

    fn reach(&self) -> Option<Reach> {
        self.docker_host.parse::<Endpoint>().ok().map(|e| e.reach())
    }

    pub(crate) fn kind(&self) -> Option<EngineKind> {
        self.identity.as_ref().map(|i| i.kind)
    }

    /// Whether its containers run in a VM, so that a bind mount crosses the VM boundary.
    pub(crate) fn is_vm_backed(&self) -> bool {
        self.kind() == Some(EngineKind::VmBacked)
    }

    /// For report headers and `info`: "VM-backed: Colima (Ubuntu 24.04.1 LTS)",
    /// "local native: Debian GNU/Linux 12 (bookworm)".
    pub fn identity_label(&self) -> String {
        let Some(identity) = &self.identity else {
            return self.flavour.clone();
        };
        let os = &self.operating_system;
        if identity.flavour.is_product() && !os.is_empty() && os != identity.flavour.name() {
            format!("{} ({os})", identity.label())
        } else {
            identity.label()
        }
    }

    /// Docker's daemon or Podman's service (and which Podman), from `/version`.
    pub fn dialect(&self) -> Dialect {
        Dialect::detect(&self.version)
    }

    /// "Docker 20.10.24+dfsg1", "Podman 4.3.1".
    pub fn software(&self) -> String {
        self.dialect().software(&self.server_version)
    }

    /// Whether the engine runs without root: Docker (and Podman from 4.6) says so among its
    /// security options; older Podman only in a `Rootless` field that bollard's model drops,
    /// so its storage under a home (`~/.local/share/containers`, rootless Podman's default)
    /// tells.
    pub(crate) fn rootless(&self) -> bool {
        let docker = self
            .info
            .get("SecurityOptions")
            .and_then(Value::as_array)
            .is_some_and(|o| o.iter().any(|o| o.as_str() == Some("name=rootless")));
        let podman = self.dialect().is_podman()
            && text(&self.info, "DockerRootDir").contains("/.local/share/containers/");
        docker || podman
    }

    /// The user the agent runs as in containers: the invoking user's uid:gid, which a rootless
    /// engine maps to a subordinate id that cannot write the invoking user's folders; there
    /// its root, which is the invoking user on the host (with no capability either way).
    pub(crate) fn container_user(&self) -> String {
        if self.rootless() {
            return "0:0".to_string();
        }
        let uid = rustix::process::getuid().as_raw();
        let gid = rustix::process::getgid().as_raw();
        format!("{uid}:{gid}")
    }

    /// What a rootless engine changes for mountbench, for `info`.
    pub fn rootless_hint(&self) -> Option<&'static str> {
        self.rootless().then_some(ROOTLESS_HINT)
    }

    /// Whether the agent image can be packed from this host's binary and its shared
    /// libraries: a Linux host and a Linux engine of the same architecture, wherever that
    /// engine runs (a VM or another machine runs the same ELF and its packed libraries).
    pub fn runs_host_binaries(&self, host_os: &str, host_arch: &str) -> bool {
        host_os == "linux"
            && self.os_type == "linux"
            && normalize_arch(&self.arch) == normalize_arch(host_arch)
    }
}

const ROOTLESS_HINT: &str = "rootless: containers run in your user namespace, where your uid is root; the agent runs as that root (your own uid on the host, no capabilities), so bind targets write the data dir as you";

fn normalize_arch(arch: &str) -> &str {
    match arch {
        "amd64" | "x86_64" => "x86_64",
        "arm64" | "aarch64" => "aarch64",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn host(kernel: &str) -> HostView {
        HostView {
            os: "linux".into(),
            kernel: kernel.into(),
        }
    }

    fn debian(kernel: &str, arch: &str) -> Value {
        json!({"OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "OSType": "linux",
               "KernelVersion": kernel, "Architecture": arch, "Name": "box"})
    }

    #[test]
    fn identifies_through_the_address() {
        let address = |endpoint: &str, via| EngineAddress {
            name: "vm".into(),
            endpoint: endpoint.parse().unwrap(),
            via,
        };
        let here = host("6.1.0-18-amd64");
        let local = address("unix:///var/run/docker.sock", Via::LocalSocket);
        let facts =
            EngineFacts::identify(debian("6.1.0-18-amd64", "x86_64"), json!({}), &local, &here);
        assert_eq!(
            (facts.kind(), facts.flavour.as_str()),
            (Some(EngineKind::LocalNative), "native Linux")
        );
        assert_eq!(
            facts.identity_label(),
            "local native: Debian GNU/Linux 12 (bookworm)"
        );
        let qemu = address("tcp://127.0.0.1:23750", Via::EngineFlag);
        let facts =
            EngineFacts::identify(debian("6.1.0-26-amd64", "x86_64"), json!({}), &qemu, &here);
        assert_eq!(
            (facts.kind(), facts.flavour.as_str()),
            (Some(EngineKind::VmBacked), "Linux VM")
        );
        assert_eq!(
            (facts.name.as_str(), facts.docker_host.as_str()),
            ("vm", "tcp://127.0.0.1:23750")
        );
        let colima =
            json!({"Name": "colima", "OperatingSystem": "Ubuntu 24.04.1 LTS", "OSType": "linux"});
        let facts = EngineFacts::identify(colima, json!({}), &local, &host("24.1.0"));
        assert_eq!(
            facts.identity_label(),
            "VM-backed: Colima (Ubuntu 24.04.1 LTS)"
        );
    }

    #[test]
    fn host_binaries_run_on_linux_engines_of_the_same_arch() {
        let facts = |info: Value| {
            EngineFacts::from_answers(info, json!({}), "unix:///var/run/docker.sock", "linux")
        };
        assert!(facts(debian("6.1.0-18-amd64", "x86_64")).runs_host_binaries("linux", "x86_64"));
        assert!(facts(debian("6.1.0-26-amd64", "amd64")).runs_host_binaries("linux", "x86_64"));
        assert!(!facts(debian("6.1.0-18-amd64", "aarch64")).runs_host_binaries("linux", "x86_64"));
        assert!(!facts(debian("6.1.0-18-amd64", "x86_64")).runs_host_binaries("macos", "x86_64"));
        let windows = json!({"OSType": "windows", "Architecture": "x86_64"});
        assert!(!facts(windows).runs_host_binaries("linux", "x86_64"));
    }

    #[test]
    fn podman_s_version_and_rootless_engines() {
        let podman = json!({"Version": "4.3.1",
            "Components": [{"Name": "Podman Engine", "Version": "4.3.1"}]});
        let facts = |info: Value, version: &Value| {
            EngineFacts::from_answers(
                info,
                version.clone(),
                "unix:///run/podman/podman.sock",
                "linux",
            )
        };
        let rootful = facts(
            json!({"DockerRootDir": "/var/lib/containers/storage"}),
            &podman,
        );
        assert_eq!(rootful.software(), "Podman 4.3.1");
        assert!(!rootful.rootless() && rootful.rootless_hint().is_none());
        let uid = rustix::process::getuid().as_raw();
        assert!(rootful.container_user().starts_with(&format!("{uid}:")));
        let home = json!({"DockerRootDir": "/home/me/.local/share/containers/storage"});
        let rootless = facts(home, &podman);
        assert!(rootless.rootless() && rootless.rootless_hint().is_some());
        assert_eq!(rootless.container_user(), "0:0");
        let docker = json!({"Version": "27.4.0"});
        let options = json!({"SecurityOptions": ["name=seccomp,profile=builtin", "name=rootless"]});
        assert_eq!(facts(options, &docker).container_user(), "0:0");
        assert_eq!(facts(json!({}), &docker).software(), "Docker 27.4.0");
    }

    #[test]
    fn facts_of_older_runs_load_and_get_an_identity() {
        let mut old = serde_json::to_value(EngineFacts::from_answers(
            debian("6.1.0-26-amd64", "x86_64"),
            json!({"Version": "20.10.24"}),
            "tcp://127.0.0.1:23750",
            "linux",
        ))
        .unwrap();
        let fields = old.as_object_mut().unwrap();
        for new in ["name", "via", "identity"] {
            fields.remove(new);
        }
        fields.insert("flavour".into(), json!("native Linux"));
        let mut facts: EngineFacts = serde_json::from_value(old).unwrap();
        assert_eq!(
            (facts.identity.as_ref(), facts.identity_label().as_str()),
            (None, "native Linux")
        );
        facts.fill_identity(&host("6.18.44-fc-v669"));
        assert_eq!(facts.kind(), Some(EngineKind::VmBacked));
        assert_eq!(facts.flavour, "native Linux", "the recorded label stays");
    }
}
