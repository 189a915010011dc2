//! What an engine is to the host: its own kernel (local native), a VM on this machine
//! (VM-backed) or another machine (remote); decided from the endpoint, the flavour and the
//! engine's kernel against the host's.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::flavour::Flavour;
use crate::engine::endpoint::Reach;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum EngineKind {
    /// Containers share the host's kernel: a bind mount is the host's own filesystem.
    LocalNative,
    /// The engine runs in a VM on this machine: bind mounts cross the VM boundary.
    VmBacked,
    /// The engine is on another machine: its bind mounts are that machine's folders.
    Remote,
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineKind::LocalNative => "local native",
            EngineKind::VmBacked => "VM-backed",
            EngineKind::Remote => "remote",
        })
    }
}

/// The machine mountbench runs on, as identification needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostView {
    /// `std::env::consts::OS` style: "linux", "macos", "windows".
    pub(crate) os: String,
    /// `uname -r`.
    pub(crate) kernel: String,
}

impl HostView {
    pub(crate) fn current() -> HostView {
        HostView {
            os: std::env::consts::OS.to_string(),
            kernel: rustix::system::uname()
                .release()
                .to_string_lossy()
                .into_owned(),
        }
    }
}

/// What the engine answered that identification reads (besides the flavour).
#[derive(Debug, Clone, Copy)]
pub(crate) struct EngineSide<'a> {
    pub(crate) os_type: &'a str,
    pub(crate) kernel: &'a str,
    /// How far its endpoint is; `None` when the endpoint could not be read.
    pub(crate) reach: Option<Reach>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineIdentity {
    pub(crate) kind: EngineKind,
    pub(crate) flavour: Flavour,
    /// Why this kind, in a few words ("kernel 6.1.0-26-amd64, not the host's 6.18.4").
    pub why: String,
}

impl EngineIdentity {
    /// The endpoint first (another machine is remote whatever it runs), then the products
    /// that always run a VM, then the kernel: the host's own kernel on Linux is local native.
    pub(crate) fn classify(
        flavour: Flavour,
        engine: EngineSide,
        host: &HostView,
    ) -> EngineIdentity {
        let (kind, why) = if engine.reach == Some(Reach::Network) {
            (
                EngineKind::Remote,
                "its endpoint is another machine's address".to_string(),
            )
        } else if flavour == Flavour::TestVm {
            (
                EngineKind::VmBacked,
                format!("daemon label {}", super::flavour::TEST_VM_LABEL),
            )
        } else if flavour.always_in_a_vm() {
            (
                EngineKind::VmBacked,
                format!("{} runs the engine in a Linux VM", flavour.name()),
            )
        } else if host.os != "linux" || engine.os_type != "linux" {
            let why = format!("a {} engine on a {} host", engine.os_type, host.os);
            (EngineKind::VmBacked, why)
        } else if engine.kernel == host.kernel {
            (
                EngineKind::LocalNative,
                format!("the host's own kernel {}", host.kernel),
            )
        } else {
            let why = format!("kernel {}, not the host's {}", engine.kernel, host.kernel);
            (EngineKind::VmBacked, why)
        };
        EngineIdentity { kind, flavour, why }
    }

    /// "VM-backed: Colima", "local native: Debian GNU/Linux 12 (bookworm)".
    pub(crate) fn label(&self) -> String {
        format!("{}: {}", self.kind, self.flavour.name())
    }

    /// The short engine name result rows carry ("native Linux", "Docker Desktop", "test VM",
    /// "Linux VM", "remote Linux"): the product when known, else the kind.
    pub(crate) fn short_label(&self, os_type: &str) -> String {
        if self.flavour.is_product() {
            return self.flavour.name().to_string();
        }
        let os = match os_type {
            "linux" => "Linux".to_string(),
            "windows" => "Windows".to_string(),
            "" => "unknown".to_string(),
            other => other.to_string(),
        };
        match self.kind {
            EngineKind::LocalNative => format!("native {os}"),
            EngineKind::VmBacked => format!("{os} VM"),
            EngineKind::Remote => format!("remote {os}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::identity::flavour::tests::answers;
    use crate::engine::identity::flavour::text;

    fn host(os: &str, kernel: &str) -> HostView {
        HostView {
            os: os.into(),
            kernel: kernel.into(),
        }
    }

    #[test]
    fn classifies_each_flavour_where_it_usually_runs() {
        use EngineKind::*;
        use Reach::*;
        let mac = host("macos", "24.1.0");
        let linux = host("linux", "6.1.0-18-amd64");
        // (case of flavour::tests::answers, host, reach, kind, short label)
        let other = host("linux", "6.18.4");
        let cases = [
            ("desktop", &mac, LocalSocket, VmBacked, "Docker Desktop"),
            ("desktop", &linux, LocalSocket, VmBacked, "Docker Desktop"),
            ("orbstack", &mac, LocalSocket, VmBacked, "OrbStack"),
            ("colima", &mac, LocalSocket, VmBacked, "Colima"),
            ("rancher", &mac, LocalSocket, VmBacked, "Rancher Desktop"),
            ("lima", &mac, LocalSocket, VmBacked, "Lima"),
            ("podman-machine", &mac, LocalSocket, VmBacked, "Podman"),
            ("test-vm", &linux, Loopback, VmBacked, "test VM"),
            ("debian", &linux, LocalSocket, LocalNative, "native Linux"),
            ("debian", &linux, Loopback, LocalNative, "native Linux"),
            ("debian", &other, Loopback, VmBacked, "Linux VM"),
            ("debian", &other, LocalSocket, VmBacked, "Linux VM"),
            ("debian", &mac, LocalSocket, VmBacked, "Linux VM"),
            ("debian", &linux, Network, Remote, "remote Linux"),
            ("desktop", &mac, Network, Remote, "Docker Desktop"),
        ];
        let all = answers();
        for (case, host, reach, kind, short) in cases {
            let (_, info, version, flavour) = all.iter().find(|a| a.0 == case).expect(case);
            assert_eq!(Flavour::detect(info, version), *flavour, "{case}");
            let engine = EngineSide {
                os_type: &text(info, "OSType"),
                kernel: &text(info, "KernelVersion"),
                reach: Some(reach),
            };
            let id = EngineIdentity::classify(flavour.clone(), engine, host);
            assert_eq!(
                id.kind, kind,
                "{case} on {host:?} via {reach:?}: {}",
                id.why
            );
            assert_eq!(id.short_label("linux"), short, "{case}");
            assert!(!id.why.is_empty());
        }
    }

    #[test]
    fn a_qemu_guest_on_loopback_with_another_kernel_is_not_native() {
        let info = serde_json::json!({"OperatingSystem": "Debian GNU/Linux 12 (bookworm)",
            "OSType": "linux", "KernelVersion": "6.1.0-26-amd64"});
        let flavour = Flavour::detect(&info, &serde_json::json!({}));
        let engine = EngineSide {
            os_type: "linux",
            kernel: "6.1.0-26-amd64",
            reach: Some(Reach::Loopback),
        };
        let id = EngineIdentity::classify(flavour, engine, &host("linux", "6.18.44-fc-v669"));
        assert_eq!(id.kind, EngineKind::VmBacked);
        assert_eq!(id.label(), "VM-backed: Debian GNU/Linux 12 (bookworm)");
        assert!(id.why.contains("6.18.44-fc-v669"), "{}", id.why);
        let json = serde_json::to_value(&id).unwrap();
        assert_eq!(json["kind"], "vm-backed");
        assert_eq!(json["flavour"]["other"], "Debian GNU/Linux 12 (bookworm)");
    }
}
