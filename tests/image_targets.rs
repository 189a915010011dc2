//! Against the real engine: the image and volume-from-image targets read the datasets of the
//! run's data image next to bind and volume, the engine's copy into the fresh volume is
//! timed on its own, and the run leaves no container, volume or image of its own.

use crate::common;
use common::Ran;

use std::process::Command;

use common::{agent_exe, docker_available, leftovers, mountbench, read_csv, run_cli, run_id_of};
use mountbench::cancel::CancelToken;
use mountbench::engine::Engine;
use mountbench::targets::data_image::{self, Recipe};
use mountbench::workload::dataset::DatasetSpec;

trials!(
    image_targets_read_their_data_image_and_time_the_copy,
    clean_removes_a_runs_data_image,
    an_interrupted_data_image_import_stops_and_leaves_no_image
);

/// Large enough shards that the copy stands well above a container start's jitter.
const WORKLOADS: &str = r#"
[run]
reps = 1
warmup = 1
seed = 1811

[targets.container]
memory = "512MiB"

[[workload]]
kind = "seq-read"
name = "seq"
shards = 4
shard_size = "16MiB"
block_size = "256KiB"
threads = 2
phases = ["cold", "warm"]

[[workload]]
kind = "small-files"
name = "small"
dirs = 2
files_per_dir = 20
median_size = "8KiB"
threads = 2
phases = ["cold", "warm"]
"#;

/// Images labelled with the run, still on the engine.
fn images_of(run_id: &str) -> usize {
    let out = Command::new("docker")
        .args(["images", "-aq", "--filter"])
        .arg(format!("label=io.mountbench.run={run_id}"))
        .output()
        .expect("docker CLI");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).lines().count()
}

fn image_targets_read_their_data_image_and_time_the_copy() -> Ran {
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    let workload = common::write_workload(tmp.path(), WORKLOADS);
    let out = tmp.path().join("out");
    let targets = "native,bind,volume,image,volume-from-image";
    let output = run_cli(
        &workload,
        &tmp.path().join("data"),
        &out,
        &["--targets", targets],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("volume-from-image: the engine copied"),
        "the copy is printed when the target starts: {stderr}"
    );
    let reps = read_csv(&out.join("reps.csv"));
    for target in targets.split(',') {
        for (workload, phase) in [("seq", "cold"), ("seq", "warm"), ("small", "cold")] {
            let rows: Vec<_> = reps
                .iter()
                .filter(|r| r["target"] == target && r["workload"] == workload)
                .filter(|r| r["phase"] == phase)
                .collect();
            assert!(!rows.is_empty(), "{target} ran {workload} {phase}");
            assert!(rows.iter().all(|r| r["ok"] == "true"), "{rows:?}");
        }
    }
    let env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("env.json")).unwrap()).unwrap();
    let target = |name: &str| {
        env["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["target"] == name)
            .unwrap_or_else(|| panic!("{name} in env.json"))
            .clone()
    };
    let (image, from_image) = (target("image"), target("volume-from-image"));
    assert_eq!(image["root"], "/mb-image");
    let name = data_image::name(&run_id_of(&out));
    assert_eq!(image["image"], name.as_str());
    assert_eq!(from_image["image"], name.as_str());
    assert!(image["copy"].is_null(), "{image}");
    let copy = &from_image["copy"];
    // The copy is one timed start less the fastest of three: its sign is a measurement, not
    // a property, so the test checks the arithmetic and prints the figure.
    let second = |key: &str| copy[key].as_f64().unwrap_or(-1.0);
    let (with_copy, baseline) = (second("with_copy_seconds"), second("baseline_seconds"));
    assert!(with_copy > 0.0 && baseline > 0.0, "{copy}");
    let difference = (with_copy - baseline).max(0.0);
    assert!((second("seconds") - difference).abs() < 1e-9, "{copy}");
    eprintln!(
        "copy at first use: {:.3} s ({with_copy:.3} s with it, {baseline:.3} s without)",
        second("seconds")
    );
    let dataset_bytes = 4 * (16u64 << 20);
    assert!(copy["bytes"].as_u64().unwrap() > dataset_bytes, "{copy}");
    assert_eq!(copy["files"].as_u64().unwrap(), 4 + 40 + 2 * 2, "{copy}");
    let datasets = env["datasets"].as_array().unwrap();
    for t in ["image", "volume-from-image"] {
        let mine: Vec<_> = datasets.iter().filter(|d| d["target"] == t).collect();
        assert_eq!(mine.len(), 2, "{t}: {datasets:?}");
        assert!(mine.iter().all(|d| d["reused"] == true), "{mine:?}");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("Copy at first use on `volume-from-image`"),
        "{report}"
    );
    let run_id = run_id_of(&out);
    assert_eq!(leftovers(&run_id), (0, 0), "no container or volume is left");
    assert_eq!(images_of(&run_id), 0, "the data image is removed");
    // The volume target's persistent dataset volumes, of datasets only this test reads.
    for d in datasets.iter().filter(|d| d["target"] == "volume") {
        let name = format!("mountbench-data-{}", d["id"].as_str().unwrap());
        let status = Command::new("docker")
            .args(["volume", "rm", &name])
            .status();
        assert!(status.unwrap().success(), "{name}");
    }
    Ok(())
}

fn clean_removes_a_runs_data_image() -> Ran {
    docker_available()?;
    let engine = Engine::connect_default().unwrap();
    let data = tempfile::tempdir().unwrap();
    let run_id = format!("test-data-image-{}", std::process::id());
    let datasets = [DatasetSpec::Shards {
        count: 1,
        size: 4096,
        seed: 5,
    }];
    let recipe = Recipe {
        agent_exe: &agent_exe(),
        host_root: data.path(),
        datasets: &datasets,
        run_id: &run_id,
        cancel: &CancelToken::new(),
    };
    let built = data_image::build(&engine, &recipe).unwrap();
    assert_eq!(built.name, data_image::name(&run_id));
    assert_eq!(built.packed.files, 3, "the shard and its two manifests");
    assert_eq!(images_of(&run_id), 1);
    let out = mountbench()
        .args(["clean", "--run", &run_id])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("removed image {}", built.name)),
        "{stdout}"
    );
    assert_eq!(images_of(&run_id), 0);
    Ok(())
}

fn an_interrupted_data_image_import_stops_and_leaves_no_image() -> Ran {
    docker_available()?;
    let engine = Engine::connect_default().unwrap();
    let data = tempfile::tempdir().unwrap();
    let run_id = format!("test-data-image-cut-{}", std::process::id());
    let cancel = CancelToken::new();
    cancel.cancel();
    let recipe = Recipe {
        agent_exe: &agent_exe(),
        host_root: data.path(),
        datasets: &[],
        run_id: &run_id,
        cancel: &cancel,
    };
    let err = data_image::build(&engine, &recipe).unwrap_err().to_string();
    assert!(err.contains("interrupted"), "{err}");
    let _ = data_image::remove(&engine, &run_id);
    assert_eq!(images_of(&run_id), 0);
    Ok(())
}
