//! Against Podman's Docker-compatible service, named by MOUNTBENCH_PODMAN_HOST (e.g.
//! unix:///run/podman/podman.sock, from `scripts/podman/service.sh start`): every target
//! runs, containers are hardened as on Docker, a killed container fails its reps and the rest
//! goes on, `clean` removes only labelled objects and keeps an image in use, and a volume
//! this Podman cannot make is skipped with a note. Without the variable the tests skip
//! loudly, or fail with MOUNTBENCH_REQUIRE_PODMAN=1 (CI).

use crate::common;
use common::{Ran, Skip};

use common::agents;

use std::path::Path;
use std::process::Command;

use bollard::query_parameters::RemoveContainerOptionsBuilder;
use common::api::{api_leftovers, create_container, create_volume, kill_target};
use common::hardening::assert_every_target_hardened;
use common::podman::{on, podman, run_on};
use common::{
    finish, only_bind_failed, read_csv, rows_so_far, run_command, run_id_of, wait_for,
    write_workload, TINY,
};
use mountbench::datadir::DataDir;
use mountbench::targets::folder_probe::{self, ContainerProbe};
use mountbench::targets::image;
use mountbench::targets::shared_folder::{FolderProbe, ProbeAnswer};

trials!(
    every_target_runs_on_podman_and_nothing_is_left_behind,
    the_agent_image_is_imported_under_its_name,
    podman_containers_are_hardened_as_on_docker,
    a_killed_podman_container_fails_its_reps_and_the_rest_goes_on,
    clean_on_podman_removes_only_labelled_objects,
    a_volume_this_podman_cannot_make_is_skipped_with_a_note,
    info_names_podman_and_its_version,
    the_shared_folder_probe_works_on_podman
);

fn env_json(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("env.json")).unwrap()).unwrap()
}

/// The mount facts env.json recorded for a target: (filesystem, options).
fn mount_of(env: &serde_json::Value, target: &str) -> (String, String) {
    let t = env["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == target)
        .unwrap_or_else(|| panic!("{target} in env.json"));
    let text = |key: &str| t["mount"][key].as_str().unwrap_or_default().to_string();
    (text("fs_type"), text("options"))
}

fn every_target_runs_on_podman_and_nothing_is_left_behind() -> Ran {
    let (host, engine) = podman()?;
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), TINY);
    let out = tmp.path().join("out");
    let targets = "native,bind,volume,volume-opts,tmpfs,layer,bind:ro,volume:ro";
    let args = ["--reps", "1", "--targets", targets];
    let output = run_on(&host, &workload, &tmp.path().join("data"), &out, &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let reps = read_csv(&out.join("reps.csv"));
    for r in &reps {
        assert_eq!(r["ok"], "true", "{r:?}");
        if r["target"] != "native" {
            assert!(r["engine_label"].starts_with("Podman "), "{r:?}");
        }
    }
    for target in targets.split(',') {
        let ran = |w: &str| {
            reps.iter()
                .any(|r| r["target"] == target && r["workload"] == w)
        };
        assert!(ran("seq"), "{target} ran seq");
        assert_eq!(ran("ckpt"), !target.ends_with(":ro"), "{target}: writes");
    }
    let env = env_json(&out);
    assert_eq!(env["engines"]["default"]["flavour"], "Podman");
    assert_eq!(env["engines"]["default"]["identity"]["flavour"], "podman");
    let version = engine.facts.software();
    assert!(version.starts_with("Podman 4") || version.starts_with("Podman 5"));
    // The default driver_opts (tmpfs, size=1g) and [targets.tmpfs] size (64MiB) as mounted,
    // whichever way the size was given to this Podman.
    let (fs, options) = mount_of(&env, "volume-opts");
    assert_eq!(fs, "tmpfs");
    assert!(options.contains("size=1048576k"), "{options}");
    let (fs, options) = mount_of(&env, "tmpfs");
    assert!(
        fs == "tmpfs" && options.contains("size=65536k"),
        "{options}"
    );
    for ro in ["bind:ro", "volume:ro"] {
        assert!(mount_of(&env, ro).1.starts_with("ro"), "{ro}");
    }
    assert_eq!(mount_of(&env, "layer").0, "overlay");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains(&format!("— {version} (API")), "{report}");
    assert_eq!(api_leftovers(&engine, &run_id_of(&out)), (0, 0));
    Ok(())
}

fn the_agent_image_is_imported_under_its_name() -> Ran {
    let (_, engine) = podman()?;
    let name = image::ensure(&engine, &agents()).unwrap();
    let inspect = engine.block_on(engine.docker.inspect_image(&name)).unwrap();
    let tags = inspect.repo_tags.unwrap_or_default();
    assert!(
        tags.iter().any(|t| t.ends_with(&name)),
        "{name} in {tags:?}"
    );
    let labels = inspect.config.and_then(|c| c.labels).unwrap_or_default();
    assert_eq!(
        labels.get("io.mountbench").map(String::as_str),
        Some("agent")
    );
    assert_eq!(
        image::ensure(&engine, &agents()).unwrap(),
        name,
        "found again"
    );
    Ok(())
}

fn podman_containers_are_hardened_as_on_docker() -> Ran {
    let (_, engine) = podman()?;
    let run_id = format!("test-podman-harden-{}", std::process::id());
    assert_every_target_hardened(&engine, &run_id);
    assert_eq!(api_leftovers(&engine, &run_id), (0, 0));
    Ok(())
}

fn a_killed_podman_container_fails_its_reps_and_the_rest_goes_on() -> Ran {
    let (host, engine) = podman()?;
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), TINY);
    let out = tmp.path().join("out");
    let args = ["--quiet", "--reps", "12", "--targets", "native,bind"];
    let child = on(
        &host,
        run_command(&workload, &tmp.path().join("data"), &out, &args),
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    wait_for("the bind target's reps", 120, || {
        rows_so_far(&out, ",bind,") >= 6
    });
    kill_target(&engine, &run_id_of(&out), "bind");
    let (code, stderr) = finish(child);
    assert_eq!(
        code,
        Some(1),
        "a failed rep makes a non-zero exit: {stderr}"
    );
    assert!(stderr.contains("rep(s) failed"), "{stderr}");
    only_bind_failed(&out, 13);
    assert_eq!(api_leftovers(&engine, &run_id_of(&out)), (0, 0));
    Ok(())
}

fn clean_on(host: &str, args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mountbench"));
    cmd.arg("clean").args(args);
    let out = on(host, cmd).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "clean {args:?}: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn clean_on_podman_removes_only_labelled_objects() -> Ran {
    let (host, engine) = podman()?;
    let image = image::ensure(&engine, &agents()).unwrap();
    let pid = std::process::id();
    let run_id = format!("test-podman-clean-{pid}");
    let label = [("io.mountbench.run", run_id.as_str())];
    let (mine_volume, mine_container) = (format!("user-pv-{pid}"), format!("user-pc-{pid}"));
    create_volume(&engine, &mine_volume, &[]);
    create_container(&engine, &mine_container, &image, &[]);
    create_volume(&engine, &format!("mb-left-{pid}"), &label);
    create_container(&engine, &format!("mb-left-{pid}"), &image, &label);
    assert_eq!(api_leftovers(&engine, &run_id), (1, 1));

    let stdout = clean_on(&host, &["--run", &run_id]);
    assert!(
        stdout.contains(&format!("removed container mb-left-{pid}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("removed volume mb-left-{pid}")),
        "{stdout}"
    );
    assert_eq!(api_leftovers(&engine, &run_id), (0, 0));
    // The agent image serves the unlabelled container: kept, and the container too (Podman's
    // forced removal would take it along).
    let stdout = clean_on(&host, &["--images", "--run", "none-such"]);
    let kept = stdout
        .lines()
        .any(|l| l.starts_with("kept image") && l.contains(&image));
    assert!(kept, "{stdout}");
    let docker = &engine.docker;
    assert!(
        engine.block_on(docker.inspect_image(&image)).is_ok(),
        "image kept"
    );
    assert!(engine
        .block_on(docker.inspect_container(&mine_container, None))
        .is_ok());
    assert!(engine.block_on(docker.inspect_volume(&mine_volume)).is_ok());
    let remove = RemoveContainerOptionsBuilder::default().force(true).build();
    engine
        .block_on(docker.remove_container(&mine_container, Some(remove)))
        .unwrap();
    engine
        .block_on(docker.remove_volume(
            &mine_volume,
            None::<bollard::query_parameters::RemoveVolumeOptions>,
        ))
        .unwrap();
    Ok(())
}

fn a_volume_this_podman_cannot_make_is_skipped_with_a_note() -> Ran {
    let (host, engine) = podman()?;
    if engine.facts.dialect().tmpfs_volume_takes_size() {
        return Err(Skip(format!(
            "{} takes any tmpfs size: nothing to skip",
            engine.facts.software()
        )));
    }
    let tmp = tempfile::tempdir().unwrap();
    let text = TINY.replace(
        "[targets.container]",
        "[targets.volume-opts]\ndriver_opts = { type = \"tmpfs\", device = \"tmpfs\", o = \"size=50%\" }\n\n[targets.container]",
    );
    let workload = write_workload(tmp.path(), &text);
    let out = tmp.path().join("out");
    let args = ["--reps", "1", "--targets", "native,volume-opts"];
    let output = run_on(&host, &workload, &tmp.path().join("data"), &out, &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("skipped */volume-opts/*: Podman"),
        "{stderr}"
    );
    assert!(stderr.contains("size=50%"), "{stderr}");
    let reps = read_csv(&out.join("reps.csv"));
    assert!(reps
        .iter()
        .all(|r| r["target"] == "native" && r["ok"] == "true"));
    assert_eq!(api_leftovers(&engine, &run_id_of(&out)), (0, 0));
    Ok(())
}

fn info_names_podman_and_its_version() -> Ran {
    let (host, engine) = podman()?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mountbench"));
    cmd.args(["info", "--engine", &format!("podman={host}")]);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("engine      podman — local native: Podman"),
        "{stdout}"
    );
    let version = format!("version   {} (API", engine.facts.software());
    assert!(stdout.contains(&version), "{stdout}");
    Ok(())
}

fn the_shared_folder_probe_works_on_podman() -> Ran {
    let (_, engine) = podman()?;
    let run_id = format!("test-podman-probe-{}", std::process::id());
    let mut probe = ContainerProbe {
        engine: &engine,
        image: image::ensure(&engine, &agents()).unwrap(),
        run_id: run_id.clone(),
    };
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("not-there");
    // Podman creates a missing bind source where Docker refuses it: the probe then finds an
    // empty folder, which the shared-folder check reports the same way.
    let answer = probe.read_back(&missing, &missing.join("marker")).unwrap();
    assert!(
        matches!(&answer, ProbeAnswer::Unreadable(m) if m.contains("marker")),
        "{answer:?}"
    );
    assert!(missing.is_dir(), "created by Podman");
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let answer = probe.read_back(&empty, &empty.join("marker")).unwrap();
    assert!(
        matches!(&answer, ProbeAnswer::Unreadable(m) if m.contains("marker")),
        "{answer:?}"
    );
    let data = DataDir::open(&tmp.path().join("data")).unwrap();
    folder_probe::check_engine(&engine, &data, &run_id, &agents()).unwrap();
    assert_eq!(api_leftovers(&engine, &run_id), (0, 0));
    Ok(())
}
