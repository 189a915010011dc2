//! Against the real engine: every target runs, containers are hardened, a killed container
//! leaves a failed rep and nothing behind, and `clean` touches only labelled objects.

use crate::common;
use common::Ran;

use common::agents;

use std::process::Command;
use std::sync::Arc;

use common::hardening::assert_every_target_hardened;
use common::{
    docker_available, finish, leftovers, mountbench, only_bind_failed, read_csv, rows_so_far,
    run_cli, run_id_of, spawn_run, wait_for, write_workload, TINY,
};
use mountbench::engine::Engine;
use mountbench::targets::image;

trials!(
    every_target_runs_and_nothing_is_left_behind,
    containers_are_hardened,
    a_killed_container_fails_its_reps_and_the_rest_goes_on,
    clean_removes_only_labelled_objects,
    the_volume_target_keeps_its_dataset_in_a_persistent_labelled_volume
);

fn every_target_runs_and_nothing_is_left_behind() -> Ran {
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), TINY);
    let out = tmp.path().join("out");
    let targets = "native,bind,volume,volume-opts,tmpfs,layer,bind:ro,volume:ro";
    let output = run_cli(
        &workload,
        &tmp.path().join("data"),
        &out,
        &["--reps", "1", "--targets", targets],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let reps = read_csv(&out.join("reps.csv"));
    for r in &reps {
        assert_eq!(r["ok"], "true", "{r:?}");
    }
    for target in [
        "native",
        "bind",
        "volume",
        "volume-opts",
        "tmpfs",
        "layer",
        "bind:ro",
        "volume:ro",
    ] {
        assert!(
            reps.iter()
                .any(|r| r["target"] == target && r["workload"] == "seq"),
            "{target} ran seq"
        );
    }
    assert!(
        !reps
            .iter()
            .any(|r| r["target"].ends_with(":ro") && r["workload"] == "ckpt"),
        "no writes on :ro"
    );
    assert!(reps
        .iter()
        .filter(|r| r["target"] != "native")
        .all(|r| r["overhead_s"].parse::<f64>().unwrap() > 0.0));

    let env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("env.json")).unwrap()).unwrap();
    assert!(!env["engines"]["default"]["flavour"]
        .as_str()
        .unwrap()
        .is_empty());
    assert!(
        env["engines"]["default"]["info"]["Driver"].is_string(),
        "Docker /info is recorded"
    );
    let fs_of = |target: &str| -> String {
        env["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["target"] == target)
            .unwrap_or_else(|| panic!("{target} in env.json"))["mount"]["fs_type"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(fs_of("tmpfs"), "tmpfs");
    assert_eq!(
        fs_of("volume-opts"),
        "tmpfs",
        "default driver_opts make a tmpfs volume"
    );
    let bind_ro = env["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == "bind:ro")
        .unwrap();
    assert!(
        bind_ro["mount"]["options"]
            .as_str()
            .unwrap()
            .starts_with("ro"),
        "{bind_ro}"
    );
    assert_eq!(
        leftovers(&run_id_of(&out)),
        (0, 0),
        "no labelled container or volume is left"
    );
    Ok(())
}

fn containers_are_hardened() -> Ran {
    docker_available()?;
    let engine = Arc::new(Engine::connect_default().unwrap());
    let run_id = format!("test-harden-{}", std::process::id());
    assert_every_target_hardened(&engine, &run_id);
    assert_eq!(leftovers(&run_id), (0, 0));
    Ok(())
}

fn a_killed_container_fails_its_reps_and_the_rest_goes_on() -> Ran {
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), TINY);
    let out = tmp.path().join("out");
    let child = spawn_run(
        &workload,
        &tmp.path().join("data"),
        &out,
        &["--reps", "12", "--targets", "native,bind"],
    );
    // Wait until the bind container has served a few reps, then kill it.
    wait_for("the bind target's reps", 120, || {
        rows_so_far(&out, ",bind,") >= 6
    });
    let run_filter = format!("label=io.mountbench.run={}", run_id_of(&out));
    let ours = Command::new("docker")
        .args([
            "ps",
            "-q",
            "--filter",
            &run_filter,
            "--filter",
            "label=io.mountbench.target=bind",
        ])
        .output()
        .unwrap();
    let id = String::from_utf8_lossy(&ours.stdout).trim().to_string();
    assert!(!id.is_empty(), "our bind container runs");
    assert!(Command::new("docker")
        .args(["kill", &id])
        .status()
        .unwrap()
        .success());
    let (code, stderr) = finish(child);
    assert_eq!(
        code,
        Some(1),
        "a failed rep makes a non-zero exit: {stderr}"
    );
    assert!(stderr.contains("rep(s) failed"), "{stderr}");
    only_bind_failed(&out, 13);
    assert_eq!(leftovers(&run_id_of(&out)), (0, 0));
    Ok(())
}

fn clean_removes_only_labelled_objects() -> Ran {
    docker_available()?;
    let engine = Engine::connect_default().unwrap();
    let image = image::ensure(&engine, &agents()).unwrap();
    let pid = std::process::id();
    let run_id = format!("test-clean-{pid}");
    let docker = |args: &[&str]| {
        let out = Command::new("docker").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let mine_volume = format!("user-volume-{pid}");
    let mine_container = format!("user-container-{pid}");
    docker(&["volume", "create", &mine_volume]);
    docker(&["create", "--name", &mine_container, &image]);
    docker(&[
        "volume",
        "create",
        "--label",
        &format!("io.mountbench.run={run_id}"),
        &format!("mb-left-{pid}"),
    ]);
    docker(&[
        "create",
        "--label",
        &format!("io.mountbench.run={run_id}"),
        "--name",
        &format!("mb-left-{pid}"),
        &image,
    ]);
    assert_eq!(leftovers(&run_id), (1, 1));

    let out = mountbench()
        .args(["clean", "--run", &run_id])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("removed container mb-left-{pid}")),
        "{stdout}"
    );
    assert_eq!(leftovers(&run_id), (0, 0));
    assert_eq!(
        docker(&[
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("name={mine_volume}")
        ]),
        mine_volume,
        "unlabelled volume untouched"
    );
    assert!(
        !docker(&["ps", "-aq", "--filter", &format!("name={mine_container}")]).is_empty(),
        "unlabelled container untouched"
    );
    docker(&["rm", &mine_container]);
    docker(&["volume", "rm", &mine_volume]);
    Ok(())
}

/// `docker ARGS`' stdout, trimmed.
fn docker_out(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn the_volume_target_keeps_its_dataset_in_a_persistent_labelled_volume() -> Ran {
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    // A seed of its own: a dataset (and so a volume) no other test uses.
    let seed = 1_000_000 + std::process::id() as u64;
    let workload = write_workload(
        tmp.path(),
        &TINY.replace("seed = 7", &format!("seed = {seed}")),
    );
    let mut ids = Vec::new();
    for (n, reused) in [(1, false), (2, true)] {
        let out = tmp.path().join(format!("out{n}"));
        let args = [
            "--reps",
            "1",
            "--targets",
            "native,volume:ro",
            "--only",
            "seq",
        ];
        let output = run_cli(&workload, &tmp.path().join("data"), &out, &args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let env: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("env.json")).unwrap()).unwrap();
        let on_volume = env["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["target"] == "volume:ro")
            .unwrap()
            .clone();
        assert_eq!(on_volume["reused"], reused, "run {n}: {on_volume}");
        ids.push(on_volume["id"].as_str().unwrap().to_string());
        assert_eq!(
            leftovers(&run_id_of(&out)),
            (0, 0),
            "the run's own objects are gone"
        );
    }
    assert_eq!(ids[0], ids[1]);
    let label = format!("label=io.mountbench.dataset={}", ids[0]);
    let name = docker_out(&["volume", "ls", "-q", "--filter", &label]);
    assert_eq!(name, format!("mountbench-data-{}", ids[0]));
    let labels = docker_out(&["volume", "inspect", "-f", "{{json .Labels}}", &name]);
    assert!(!labels.contains("io.mountbench.run"), "{labels}");
    docker_out(&["volume", "rm", &name]);
    Ok(())
}
