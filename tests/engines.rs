//! Engines: `--engine` and Docker contexts at the command line, identity in `info`, and the
//! shared-folder check before a run mounts the data dir. Tests against the project's test VM
//! run when MOUNTBENCH_VM_DOCKER_HOST names its endpoint (e.g. tcp://127.0.0.1:23750), and
//! MOUNTBENCH_VM_SHARE the host folder it shares (scripts/vm/engine.sh start --share DIR).

use crate::common;
use common::{vm_engine, Ran, Skip};

use common::{agent_exe, agents};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{docker_available, expect_input_error, leftovers, mountbench, write_workload, TINY};
use mountbench::datadir::DataDir;
use mountbench::engine::address::{EngineAddress, Via};
use mountbench::engine::context::digest;
use mountbench::engine::Engine;
use mountbench::targets::folder_probe::{self, ContainerProbe};
use mountbench::targets::image;
use mountbench::targets::shared_folder::{FolderProbe, ProbeAnswer};

trials!(
    bad_engine_arguments_are_input_errors,
    contexts_and_endpoints_are_resolved_the_docker_way,
    an_engine_that_does_not_answer_is_reported_within_seconds,
    info_tells_the_local_engine_s_kind,
    the_shared_folder_check_passes_on_the_local_engine_and_leaves_nothing,
    the_engine_s_refusal_of_a_missing_bind_source_is_recognised,
    a_data_dir_the_engine_cannot_see_stops_the_run_before_measuring,
    the_test_vm_is_a_vm_backed_engine,
    the_test_vm_refuses_a_data_dir_outside_its_share,
    the_test_vm_sees_a_data_dir_in_its_share
);

/// A Docker config folder holding these contexts, as the docker CLI writes them.
fn docker_config(dir: &Path, contexts: &[(&str, &str)], current: Option<&str>) -> PathBuf {
    let config = dir.join("docker-config");
    for (name, host) in contexts {
        let meta = config.join("contexts/meta").join(digest(name));
        std::fs::create_dir_all(&meta).unwrap();
        let json = serde_json::json!({
            "Name": name,
            "Metadata": {},
            "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}},
        });
        std::fs::write(meta.join("meta.json"), json.to_string()).unwrap();
    }
    let json = serde_json::json!({"auths": {}, "currentContext": current.unwrap_or("")});
    std::fs::write(config.join("config.json"), json.to_string()).unwrap();
    config
}

/// `mountbench info ARGS… --json`, parsed.
fn info_json(cmd: &mut assert_cmd::Command, args: &[&str]) -> serde_json::Value {
    let output = cmd.arg("info").args(args).arg("--json").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    serde_json::from_slice(&output.stdout).unwrap()
}

fn bad_engine_arguments_are_input_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let config = docker_config(
        tmp.path(),
        &[("orbstack", "unix:///nowhere/orb.sock")],
        None,
    );
    let cases: [(&[&str], &[&str]); 5] = [
        (&["--engine", "local"], &["--engine", "NAME=ENDPOINT"]),
        (&["--engine", "x=ftp://box"], &["unknown scheme `ftp`"]),
        (
            &["--engine", "a=orbstack", "--engine", "a=default"],
            &["two engines are named `a`"],
        ),
        (
            &["--engine", "m=desktop-linux"],
            &[
                "context `desktop-linux` does not exist",
                "known: default, orbstack",
            ],
        ),
        (
            &["--engine", "r=ssh://me@box:2222"],
            &["cannot pass a port to ssh"],
        ),
    ];
    for (args, wants) in cases {
        let output = mountbench()
            .env("DOCKER_CONFIG", &config)
            .arg("info")
            .args(args)
            .output()
            .unwrap();
        let stderr = expect_input_error(&output, wants);
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
}

fn contexts_and_endpoints_are_resolved_the_docker_way() {
    let tmp = tempfile::tempdir().unwrap();
    let orb = "unix:///nowhere/orb.sock";
    let config = docker_config(
        tmp.path(),
        &[("orbstack", orb), ("vm", "tcp://127.0.0.1:1")],
        Some("orbstack"),
    );
    let base = || {
        let mut cmd = mountbench();
        cmd.env("DOCKER_CONFIG", &config)
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT");
        cmd
    };
    let json = info_json(&mut base(), &[]);
    assert_eq!(
        json["engines"][0]["endpoint"], orb,
        "the config's current context"
    );
    let json = info_json(base().env("DOCKER_CONTEXT", "vm"), &[]);
    assert_eq!(
        json["engines"][0]["endpoint"], "tcp://127.0.0.1:1",
        "DOCKER_CONTEXT wins"
    );
    let json = info_json(base().env("DOCKER_HOST", "tcp://localhost"), &[]);
    assert_eq!(
        json["engines"][0]["endpoint"], "tcp://localhost:2375",
        "DOCKER_HOST wins"
    );
    let json = info_json(
        &mut base(),
        &["--engine", "o=orbstack", "--engine", "t=tcp://127.0.0.1:1"],
    );
    let names: Vec<_> = json["engines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].clone(), e["endpoint"].clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("o".into(), orb.into()),
            ("t".into(), "tcp://127.0.0.1:1".into())
        ]
    );
    assert!(json["engines"][0]["error"]
        .as_str()
        .unwrap()
        .contains("Start the engine of context orbstack"));
}

fn an_engine_that_does_not_answer_is_reported_within_seconds() {
    let started = Instant::now();
    let output = mountbench()
        .args(["info", "--engine", "gone=tcp://127.0.0.1:1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(
        stdout.contains("gone not reachable") && stdout.contains("Connection refused"),
        "{stdout}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), TINY);
    let output = Command::new(agent_exe())
        .env(
            "DOCKER_HOST",
            format!("unix://{}", tmp.path().join("no.sock").display()),
        )
        .args(["run", "--quiet", "--targets", "bind", "-w"])
        .arg(&workload)
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .arg("--out")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot reach the Docker engine `default`")
            && stderr.contains("DOCKER_HOST"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

fn info_tells_the_local_engine_s_kind() -> Ran {
    docker_available()?;
    let json = info_json(&mut mountbench(), &[]);
    let engine = &json["engine"];
    let host_kernel = json["host"]["kernel"].as_str().unwrap();
    let want = if cfg!(target_os = "linux") && engine["kernel"] == host_kernel {
        "local-native"
    } else {
        "vm-backed"
    };
    assert_eq!(engine["identity"]["kind"], want, "{engine:#}");
    assert!(!engine["identity"]["why"].as_str().unwrap().is_empty());
    assert_eq!(engine["name"], "default");
    let label = json["engines"][0]["identity"].as_str().unwrap();
    assert!(
        label.starts_with(if want == "local-native" {
            "local native: "
        } else {
            "VM-backed: "
        }),
        "{label}"
    );
    Ok(())
}

fn the_shared_folder_check_passes_on_the_local_engine_and_leaves_nothing() -> Ran {
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::open(&tmp.path().join("data")).unwrap();
    let engine = Engine::connect_default().unwrap();
    let run_id = "probe-test-pass";
    folder_probe::check_engine(&engine, &data, run_id, &agents()).unwrap();
    assert_eq!(leftovers(run_id), (0, 0));
    let left: Vec<_> = std::fs::read_dir(&data.path)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        left.iter()
            .all(|n| !n.to_string_lossy().starts_with("probe-")),
        "{left:?}"
    );
    Ok(())
}

fn the_engine_s_refusal_of_a_missing_bind_source_is_recognised() -> Ran {
    docker_available()?;
    let engine = Engine::connect_default().unwrap();
    let run_id = "probe-test-refused";
    let mut probe = ContainerProbe {
        engine: &engine,
        image: image::ensure(&engine, &agents()).unwrap(),
        run_id: run_id.into(),
    };
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("not-there");
    let answer = probe.read_back(&missing, &missing.join("marker")).unwrap();
    assert!(
        matches!(&answer, ProbeAnswer::Refused(m) if m.contains("bind source path does not exist")),
        "{answer:?}"
    );
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let answer = probe.read_back(&empty, &empty.join("marker")).unwrap();
    assert!(
        matches!(&answer, ProbeAnswer::Unreadable(m) if m.contains("marker")),
        "{answer:?}"
    );
    assert_eq!(leftovers(run_id), (0, 0));
    Ok(())
}

/// A data dir on a tmpfs mounted in a private mount namespace: the host process sees it, the
/// engine (in the first namespace) does not, as a VM engine does not see an unshared folder.
fn a_data_dir_the_engine_cannot_see_stops_the_run_before_measuring() -> Ran {
    docker_available()?;
    if unsafe { libc::geteuid() } != 0 || Command::new("unshare").arg("--version").output().is_err()
    {
        return Err(Skip("needs root and unshare".into()));
    }
    let tmp = tempfile::tempdir().unwrap();
    let private = tmp.path().join("private");
    std::fs::create_dir(&private).unwrap();
    let workload = write_workload(tmp.path(), TINY);
    let out = tmp.path().join("out");
    let script = format!(
        "mount -t tmpfs none {p} && exec {exe} run --quiet --targets native,bind -w {w} --data-dir {p}/data --out {o}",
        p = private.display(),
        exe = agent_exe().display(),
        w = workload.display(),
        o = out.display()
    );
    let output = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .output()
        .unwrap();
    let stderr = expect_input_error(
        &output,
        &[
            &format!("data dir {}/data", private.display()),
            "not visible inside the containers of engine `default`",
            "bind source path does not exist",
            "fix: ",
        ],
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(!out.exists(), "nothing measured, no results folder");
    // Probes of the other tests here (run ids probe-test-…) may be alive at the same time.
    let probes = Command::new("docker")
        .args(["ps", "-a", "--filter", "label=io.mountbench.probe"])
        .args(["--format", "{{.Label \"io.mountbench.run\"}}"])
        .output()
        .unwrap();
    let probes = String::from_utf8_lossy(&probes.stdout);
    assert!(
        probes.lines().all(|run| run.starts_with("probe-test-")),
        "the probe container is gone: {probes}"
    );
    Ok(())
}

fn the_test_vm_is_a_vm_backed_engine() -> Ran {
    let (host, _share) = vm_engine()?;
    let json = info_json(&mut mountbench(), &["--engine", &format!("vm={host}")]);
    let facts = &json["engines"][0]["facts"];
    assert_eq!(facts["identity"]["kind"], "vm-backed", "{json:#}");
    assert_eq!(facts["identity"]["flavour"], "test-vm", "{json:#}");
    assert_eq!(facts["flavour"], "test VM");
    Ok(())
}

fn the_test_vm_refuses_a_data_dir_outside_its_share() -> Ran {
    let (host, share) = vm_engine()?;
    let tmp = tempfile::tempdir().unwrap();
    assert!(
        !tmp.path().starts_with(&share),
        "the temp dir must lie outside {}",
        share.display()
    );
    let workload = write_workload(tmp.path(), TINY);
    let out = tmp.path().join("out");
    let data = tmp.path().join("data");
    let mut cmd = common::run_command(&workload, &data, &out, &["--quiet", "--targets", "bind"]);
    let output = cmd.env("DOCKER_HOST", &host).output().unwrap();
    expect_input_error(
        &output,
        &["not visible inside the containers", "test VM", "--share"],
    );
    assert!(!out.exists());
    Ok(())
}

fn the_test_vm_sees_a_data_dir_in_its_share() -> Ran {
    let (host, share) = vm_engine()?;
    let tmp = tempfile::tempdir_in(&share).unwrap();
    let data = DataDir::open(&tmp.path().join("data")).unwrap();
    let address = EngineAddress {
        name: "vm".into(),
        endpoint: host.parse().unwrap(),
        via: Via::EngineFlag,
    };
    let engine = Engine::connect(&address).unwrap();
    folder_probe::check_engine(&engine, &data, "probe-test-vm", &agents()).unwrap();
    let left = Command::new("docker")
        .args([
            "-H",
            &host,
            "ps",
            "-aq",
            "--filter",
            "label=io.mountbench.run=probe-test-vm",
        ])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "the probe container is gone");
    Ok(())
}
