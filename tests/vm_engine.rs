//! Several engines in one run: native once, the local engine and the project's test VM engine
//! (MOUNTBENCH_VM_DOCKER_HOST, sharing MOUNTBENCH_VM_SHARE), bind, volume and tmpfs on each;
//! and the bad input that must stop such a run before anything is created on any engine.

use crate::common;
use common::Ran;

use std::path::Path;

use common::{
    check_png, docker_available, expect_input_error, leftovers_on, read_csv, refused_on_the_engine,
    run_cli, run_id_of, vm_engine, write_workload,
};

trials!(
    one_run_covers_native_the_local_engine_and_the_vm_engine,
    a_vm_engine_that_cannot_see_the_data_dir_stops_the_run_on_every_engine,
    bad_engines_stop_a_run_before_anything_is_created,
    a_run_the_vm_engine_refuses_leaves_nothing_with_its_label
);

/// A quick-like matrix small enough for an emulated CPU: a few MiB per target.
const SMALL: &str = r#"
[run]
reps = 2
warmup = 1
seed = 11

[targets.tmpfs]
size = "64MiB"

[targets.container]
memory = "512MiB"

[[workload]]
kind = "small-files"
name = "small"
dirs = 2
files_per_dir = 25
median_size = "16KiB"
threads = 2
phases = ["warm"]

[[workload]]
kind = "seq-read"
name = "seq"
shards = 2
shard_size = "2MiB"
block_size = "256KiB"
threads = 2
phases = ["warm"]

[[workload]]
kind = "checkpoint"
name = "ckpt"
size = "2MiB"
chunk_size = "1MiB"
keep = 1
"#;

const LOCAL: &str = "local=default";

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn one_run_covers_native_the_local_engine_and_the_vm_engine() -> Ran {
    let (vm, share) = vm_engine()?;
    docker_available()?;
    let tmp = tempfile::tempdir_in(&share).unwrap();
    let workload = write_workload(tmp.path(), SMALL);
    let (data, out) = (tmp.path().join("data"), tmp.path().join("out"));
    let engine = format!("vm={vm}");
    let args = [
        "--quiet",
        "--targets",
        "native,bind,volume,tmpfs",
        "--engine",
        LOCAL,
        "--engine",
        &engine,
    ];
    let output = run_cli(&workload, &data, &out, &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let reps = read_csv(&out.join("reps.csv"));
    assert!(reps.iter().all(|r| r["ok"] == "true"), "every rep ok");
    let summary = read_csv(&out.join("summary.csv"));
    // 3 workloads: native once, 3 targets on each of 2 engines.
    let cells: std::collections::BTreeSet<(&str, &str, &str)> = summary
        .iter()
        .map(|r| {
            (
                r["workload"].as_str(),
                r["engine"].as_str(),
                r["target"].as_str(),
            )
        })
        .collect();
    assert_eq!(cells.len(), 3 * 7, "{cells:?}");
    assert!(summary
        .iter()
        .all(|r| r["failed"] == "0" && r["schema"] == "2"));
    let scan = |engine: &str| {
        summary
            .iter()
            .find(|r| r["engine"] == engine && r["target"] == "bind" && r["metric"] == "scan")
            .map(|r| r["ratio_to_volume"].parse::<f64>().unwrap())
            .unwrap()
    };
    eprintln!(
        "bind / volume, small files: local {:.2}, vm {:.2}",
        scan("local"),
        scan("vm")
    );

    let env = json(&out.join("env.json"));
    assert_eq!(env["schema"], 2);
    assert_eq!(
        env["engines"]["vm"]["identity"]["kind"], "vm-backed",
        "{env:#}"
    );
    assert_eq!(env["engines"]["local"]["identity"]["kind"], "local-native");
    let targets = env["targets"].as_array().unwrap();
    let vm_bind = targets
        .iter()
        .find(|t| t["engine"] == "vm" && t["target"] == "bind")
        .expect("the VM engine's bind target");
    let fs = vm_bind["mount"]["fs_type"].as_str().unwrap();
    assert!(
        fs == "virtiofs" || fs == "9p",
        "the VM's bind crosses its share: {fs}"
    );

    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for want in [
        "engine `local`",
        "engine `vm`",
        "VM-backed",
        "bind@vm",
        "bind@local",
        "Should my dataset live in a volume?",
    ] {
        assert!(report.contains(want), "{want} not in report.md");
    }
    let ratio = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-ratio.png"))
        .expect("a ratio chart");
    check_png(&ratio);

    let run_id = run_id_of(&out);
    assert_eq!(
        leftovers_on(&vm, &run_id),
        (0, 0),
        "nothing left on the VM engine"
    );
    let local = env["engines"]["local"]["docker_host"].as_str().unwrap();
    assert_eq!(
        leftovers_on(local, &run_id),
        (0, 0),
        "nothing left on the local engine"
    );
    Ok(())
}

fn a_vm_engine_that_cannot_see_the_data_dir_stops_the_run_on_every_engine() -> Ran {
    let (vm, share) = vm_engine()?;
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    assert!(
        !tmp.path().starts_with(&share),
        "the temp dir lies outside the share"
    );
    let workload = write_workload(tmp.path(), SMALL);
    let (data, out) = (tmp.path().join("data"), tmp.path().join("out"));
    let engine = format!("vm={vm}");
    let args = [
        "--quiet",
        "--targets",
        "native,bind",
        "--engine",
        LOCAL,
        "--engine",
        &engine,
    ];
    let output = run_cli(&workload, &data, &out, &args);
    let stderr = expect_input_error(
        &output,
        &[
            "not visible inside the containers of engine `vm`",
            "--share",
        ],
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(!out.exists(), "no results folder");
    Ok(())
}

fn bad_engines_stop_a_run_before_anything_is_created() {
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), SMALL);
    let (data, out) = (tmp.path().join("data"), tmp.path().join("out"));
    let config = tmp.path().join("docker-config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.json"), r#"{"auths": {}}"#).unwrap();
    let cases: [(&[&str], &[&str]); 2] = [
        (
            &[
                "--engine",
                "a=unix:///var/run/docker.sock",
                "--engine",
                "a=tcp://127.0.0.1:1",
            ],
            &["two engines are named `a`"],
        ),
        (
            &["--engine", "mac=desktop-linux"],
            &["context `desktop-linux` does not exist"],
        ),
    ];
    for (engines, wants) in cases {
        let mut args = vec!["--quiet", "--targets", "native,bind"];
        args.extend_from_slice(engines);
        let mut cmd = common::run_command(&workload, &data, &out, &args);
        let output = cmd.env("DOCKER_CONFIG", &config).output().unwrap();
        let stderr = expect_input_error(&output, wants);
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(!out.exists(), "no results folder");
    }
    // Unreachable: the environment's failure (exit 1), as for the default engine.
    let args = [
        "--quiet",
        "--targets",
        "native,bind",
        "--engine",
        "gone=tcp://127.0.0.1:1",
    ];
    let output = run_cli(&workload, &data, &out, &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot reach the Docker engine `gone`"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(!out.exists(), "no results folder");
}

/// The VM engine refuses a run its memory cannot hold, after its shared-folder probe ran:
/// the probe container (once left `Dead` there) is confirmed gone like every other object.
fn a_run_the_vm_engine_refuses_leaves_nothing_with_its_label() -> Ran {
    let (vm, share) = vm_engine()?;
    let tmp = tempfile::tempdir_in(&share).unwrap();
    let engine = format!("vm={vm}");
    let run_id = refused_on_the_engine(tmp.path(), &["--engine", &engine]);
    assert_eq!(
        leftovers_on(&vm, &run_id),
        (0, 0),
        "nothing of run {run_id} left"
    );
    Ok(())
}
