use std::path::{Path, PathBuf};

use serde_json::json;

use super::*;
use crate::engine::address::{EngineAddress, Via};
use crate::engine::identity::kind::HostView;

/// Answers like a container would: reads the marker on the host (everything is shared) and
/// turns its content into the answer under test.
struct FakeProbe {
    answer: fn(&[u8]) -> Result<ProbeAnswer>,
    asked: Vec<(PathBuf, PathBuf)>,
}

impl FolderProbe for FakeProbe {
    fn read_back(&mut self, folder: &Path, marker: &Path) -> Result<ProbeAnswer> {
        self.asked
            .push((folder.to_path_buf(), marker.to_path_buf()));
        let content = std::fs::read(marker).expect("the marker is on the host");
        (self.answer)(&content)
    }
}

fn facts(info: serde_json::Value, endpoint: &str) -> EngineFacts {
    let address = EngineAddress {
        name: "mac".into(),
        endpoint: endpoint.parse().unwrap(),
        via: Via::EngineFlag,
    };
    let host = HostView {
        os: "macos".into(),
        kernel: "24.1.0".into(),
    };
    EngineFacts::identify(info, json!({}), &address, &host)
}

fn docker_desktop() -> EngineFacts {
    let info = json!({"OperatingSystem": "Docker Desktop", "OSType": "linux", "KernelVersion": "6.10.14-linuxkit"});
    facts(info, "unix:///Users/me/.docker/run/docker.sock")
}

struct Outcome {
    result: Result<()>,
    probe: FakeProbe,
    data: PathBuf,
    _tmp: tempfile::TempDir,
}

fn run(answer: fn(&[u8]) -> Result<ProbeAnswer>) -> Outcome {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::open(&tmp.path().join("data")).unwrap();
    let mut probe = FakeProbe {
        answer,
        asked: Vec::new(),
    };
    let result = check(&data, "20261123-101500-ab12", &docker_desktop(), &mut probe);
    Outcome {
        result,
        probe,
        data: data.path,
        _tmp: tmp,
    }
}

#[test]
fn a_marker_read_back_intact_passes_and_nothing_is_left() {
    let run = run(|content| Ok(ProbeAnswer::Read(checksum(content))));
    run.result.unwrap();
    let [(folder, marker)] = run.probe.asked.as_slice() else {
        panic!("asked once: {:?}", run.probe.asked)
    };
    assert_eq!(folder, &run.data.join("probe-20261123-101500-ab12"));
    assert_eq!(marker.parent(), Some(folder.as_path()));
    assert!(!folder.exists(), "the probe folder is removed");
}

#[test]
fn what_a_vm_engine_shows_for_an_unshared_folder_stops_the_run() {
    type Answer = fn(&[u8]) -> Result<ProbeAnswer>;
    let cases: [(Answer, &str); 3] = [
        (
            |_| {
                Ok(ProbeAnswer::Unreadable(
                    "/mb/marker: No such file or directory (os error 2)".into(),
                ))
            },
            "empty or missing inside a container",
        ),
        (
            |_| {
                Ok(ProbeAnswer::Refused("invalid mount config for type \"bind\": bind source path does not exist: /home/me/data/probe-x".into()))
            },
            "the engine refused the bind mount: invalid mount config",
        ),
        (
            |_| Ok(ProbeAnswer::Read(checksum(b"stale"))),
            "a different file is at that path",
        ),
    ];
    for (answer, seen) in cases {
        let run = run(answer);
        let data = &run.data;
        let err = run.result.expect_err(seen);
        assert_eq!(err.exit_code(), 2, "{err}");
        let text = err.to_string();
        assert!(!text.contains('\n'), "one line: {text}");
        for part in [
            &format!("data dir {}", data.display()),
            "engine `mac` (VM-backed: Docker Desktop",
            "unix:///Users/me/.docker/run/docker.sock",
            seen,
            "Settings > Resources > File sharing",
        ] {
            assert!(text.contains(part), "{part:?} in {text}");
        }
        assert!(!data.join("probe-20261123-101500-ab12").exists());
    }
}

#[test]
fn an_engine_failure_is_not_blamed_on_the_folder() {
    let run = run(|_| Err(Error::Docker("probing: the engine went away".into())));
    let err = run.result.unwrap_err();
    assert_eq!(err.exit_code(), 1, "{err}");
    assert!(!run.data.join("probe-20261123-101500-ab12").exists());
}

#[test]
fn each_flavour_gets_its_own_fix() {
    let info =
        |os: &str, name: &str| json!({"OperatingSystem": os, "OSType": "linux", "Name": name});
    let cases = [
        (
            info("Docker Desktop", "docker-desktop"),
            "unix:///x.sock",
            "File sharing",
        ),
        (
            info("OrbStack", "orbstack"),
            "unix:///x.sock",
            "under /Users",
        ),
        (
            info("Ubuntu 24.04.1 LTS", "colima"),
            "unix:///x.sock",
            "colima.yaml",
        ),
        (
            info("Ubuntu 24.10", "lima-docker"),
            "unix:///x.sock",
            "lima.yaml",
        ),
        (
            info("Alpine Linux v3.20", "lima-rancher-desktop"),
            "unix:///x.sock",
            "override.yaml",
        ),
        (
            json!({"OSType": "linux", "Labels": ["io.mountbench.engine=test-vm"]}),
            "tcp://127.0.0.1:23750",
            "--share",
        ),
        (
            info("Debian GNU/Linux 12 (bookworm)", "box"),
            "unix:///x.sock",
            "--data-dir under a folder the engine shares",
        ),
        (
            info("Docker Desktop", "docker-desktop"),
            "tcp://10.0.0.5:2375",
            "remote engine mounts folders of its own machine",
        ),
    ];
    for (info, endpoint, want) in cases {
        let facts = facts(info.clone(), endpoint);
        assert!(
            fix(facts.identity.as_ref()).contains(want),
            "{info} at {endpoint}"
        );
    }
    let podman = EngineFacts::identify(
        json!({"OSType": "linux"}),
        json!({"Components": [{"Name": "Podman Engine"}]}),
        &EngineAddress {
            name: "p".into(),
            endpoint: "unix:///p.sock".parse().unwrap(),
            via: Via::EngineFlag,
        },
        &HostView {
            os: "macos".into(),
            kernel: "24.1.0".into(),
        },
    );
    assert!(fix(podman.identity.as_ref()).contains("podman machine init -v"));
    assert!(fix(None).contains("--data-dir"));
}

#[test]
fn recognises_mount_refusals() {
    let cases = [
        ("Error response from daemon: invalid mount config for type \"bind\": bind source path does not exist: /tmp/x", true),
        ("Mounts denied: The path /opt/data is not shared from the host and is not known to Docker.", true),
        ("statfs /Users/me/data: no such file or directory", true),
        ("No such image: mountbench-agent:abc", false),
        ("Cannot connect to the Docker daemon", false),
    ];
    for (message, refusal) in cases {
        assert_eq!(is_mount_refusal(message), refusal, "{message}");
    }
}

#[test]
fn a_broken_image_is_not_a_mount_refusal() {
    let start = "OCI runtime create failed: exec: \"/mountbench\": stat /mountbench: no such file or directory";
    assert!(!is_mount_refusal(start));
}
