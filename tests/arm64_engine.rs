//! The agent on an engine that cannot run the host's binary (issue #24): the project's arm64
//! test VM engine (scripts/vm/engine.sh --arch arm64) with the static aarch64 agent of
//! scripts/agent/cross.sh, packed FROM scratch; and the bad agent binaries that must stop a
//! run before anything is created.

use crate::common;
use common::{Ran, Skip};

use std::path::Path;

use common::{
    arm64_engine, docker_available, expect_input_error, leftovers_on, read_csv, run_cli, run_id_of,
    write_workload,
};

trials!(
    an_arm64_engine_runs_the_cross_built_static_agent,
    bad_agent_binaries_stop_the_run_before_anything_is_created,
    an_agent_binary_no_engine_can_run_stops_the_run
);

/// One small cell of the core kinds, small enough for an emulated arm64 CPU.
const SMALL: &str = r#"
[run]
reps = 2
warmup = 1
seed = 7

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
phases = ["cold", "warm"]

[[workload]]
kind = "checkpoint"
name = "ckpt"
size = "2MiB"
chunk_size = "1MiB"
keep = 1
"#;

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn an_arm64_engine_runs_the_cross_built_static_agent() -> Ran {
    let test = "an_arm64_engine_runs_the_cross_built_static_agent";
    let (host, share, agent) = arm64_engine()?;
    let tmp = tempfile::tempdir_in(&share).unwrap();
    let workload = write_workload(tmp.path(), SMALL);
    let (data, out) = (tmp.path().join("data"), tmp.path().join("out"));
    let engine = format!("arm={host}");
    let agent_arg = agent.to_string_lossy();
    let args = [
        "--quiet",
        "--targets",
        "native,bind,volume,tmpfs",
        "--engine",
        &engine,
        "--agent-binary",
        &agent_arg,
    ];
    let started = std::time::Instant::now();
    let output = run_cli(&workload, &data, &out, &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let reps = read_csv(&out.join("reps.csv"));
    assert!(reps.iter().all(|r| r["ok"] == "true"), "every rep ok");
    let summary = read_csv(&out.join("summary.csv"));
    let places: std::collections::BTreeSet<(&str, &str)> = summary
        .iter()
        .map(|r| (r["engine"].as_str(), r["target"].as_str()))
        .collect();
    assert_eq!(
        places.len(),
        4,
        "native and three targets on arm: {places:?}"
    );

    let env = json(&out.join("env.json"));
    let arm = &env["engines"]["arm"];
    assert_eq!(arm["arch"], "aarch64", "{arm:#}");
    assert_eq!(arm["os_type"], "linux");
    assert_eq!(arm["identity"]["kind"], "vm-backed");
    let binary = std::fs::read(&agent).unwrap();
    let image = format!(
        "mountbench-agent:{:016x}",
        xxhash_rust::xxh3::xxh3_64(&binary)
    );
    let targets = env["targets"].as_array().unwrap();
    for t in targets.iter().filter(|t| t["engine"] == "arm") {
        assert_eq!(
            t["image"],
            image.as_str(),
            "packed from the given agent: {t:#}"
        );
        let speed = t["cpu"]["speed"].as_f64().expect("a CPU calibration");
        let target = t["target"].as_str().unwrap_or_default();
        eprintln!("{target}@arm: CPU speed {speed:.2}× the host's");
        assert!(
            speed < 0.5,
            "software-CPU arm64 is flagged as slow: {speed}"
        );
    }
    let bind = targets
        .iter()
        .find(|t| t["engine"] == "arm" && t["target"] == "bind")
        .expect("the arm engine's bind target");
    let fs = bind["mount"]["fs_type"].as_str().unwrap();
    assert!(
        fs == "virtiofs" || fs == "9p",
        "the bind crosses the VM's share: {fs}"
    );

    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("bind@arm"), "bind@arm not in report.md");
    assert_eq!(
        leftovers_on(&host, &run_id_of(&out)),
        (0, 0),
        "nothing left"
    );
    eprintln!("{test}: run took {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// A header-only aarch64 ELF with no dynamic loader: enough for mountbench to judge it static,
/// never run.
fn fake_static_aarch64(path: &Path) {
    let mut elf = vec![0u8; 0x40];
    elf[..4].copy_from_slice(b"\x7fELF");
    elf[4] = 2;
    elf[5] = 1;
    elf[0x12..0x14].copy_from_slice(&183u16.to_le_bytes());
    std::fs::write(path, elf).unwrap();
}

fn bad_agent_binaries_stop_the_run_before_anything_is_created() {
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), SMALL);
    let (data, out) = (tmp.path().join("data"), tmp.path().join("out"));
    let missing = tmp.path().join("no-such-agent");
    let script = tmp.path().join("agent.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let cases: [(&Path, &str); 2] = [
        (&missing, "cannot read it"),
        (&script, "not an ELF executable"),
    ];
    for (path, want) in cases {
        let arg = path.to_string_lossy();
        let args = [
            "--quiet",
            "--targets",
            "native,bind",
            "--agent-binary",
            &arg,
        ];
        let output = run_cli(&workload, &data, &out, &args);
        let stderr = expect_input_error(&output, &["--agent-binary", &arg, want]);
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(!out.exists() && !data.exists(), "nothing created");
    }
    let output = common::mountbench()
        .env("MOUNTBENCH_AGENT_BINARY", &script)
        .args(["info", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    expect_input_error(
        &output,
        &["MOUNTBENCH_AGENT_BINARY", "not an ELF executable"],
    );
}

fn an_agent_binary_no_engine_can_run_stops_the_run() -> Ran {
    docker_available()?;
    let host_arch = std::env::consts::ARCH;
    if host_arch != "x86_64" {
        return Err(Skip(format!(
            "the local engine is {host_arch}, the fake agent aarch64"
        )));
    }
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), SMALL);
    let (data, out) = (tmp.path().join("data"), tmp.path().join("out"));
    let agent = tmp.path().join("mountbench-aarch64");
    fake_static_aarch64(&agent);
    let arg = agent.to_string_lossy();
    let args = [
        "--quiet",
        "--targets",
        "native,bind",
        "--agent-binary",
        &arg,
    ];
    let output = run_cli(&workload, &data, &out, &args);
    let stderr = expect_input_error(
        &output,
        &[
            "--agent-binary",
            &arg,
            "is aarch64, but no engine of this run is",
        ],
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(!out.exists() && !data.exists(), "nothing created");
    Ok(())
}
