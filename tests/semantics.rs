//! The semantics workload end to end: bad input refused with one line and exit 2; on local
//! Docker (and Podman when MOUNTBENCH_PODMAN_HOST names one, the test VM when
//! MOUNTBENCH_VM_DOCKER_HOST and MOUNTBENCH_VM_SHARE do) every probe answers on every
//! target, semantics.csv judges each against native, and report.md shows the matrix.

use crate::common;
use common::Ran;

use std::collections::HashMap;
use std::path::Path;

use common::podman::{podman, run_on};
use common::{
    check_png, check_svg, docker_available, read_csv, run_cli, vm_engine, write_workload,
};

trials!(
    an_unknown_probe_is_refused_naming_the_known_ones,
    a_probe_listed_twice_is_refused,
    a_read_only_target_cannot_hold_the_probes,
    on_local_docker_every_probe_is_judged_and_a_bind_mount_is_the_hosts_own,
    on_podman_every_probe_is_judged,
    on_the_test_vm_every_probe_is_judged,
    two_sided_probes_on_a_private_target_are_noted_or_refused,
    two_sided_probes_cross_the_sides_on_local_docker
);

const PROBES: [&str; 22] = [
    "o-direct",
    "fallocate",
    "sparse",
    "sparse-4g",
    "long-name",
    "case",
    "nfc",
    "hard-link",
    "symlink",
    "openat-0000",
    "xattr",
    "mtime",
    "fsync",
    "delete-200",
    "flock",
    "fcntl",
    "mmap-shared",
    "phantom",
    "unlink-held",
    "rename-held",
    "owner",
    "chown",
];

const SEMANTICS: &str = r#"
[run]
reps = 1
warmup = 0

[targets.tmpfs]
size = "64MiB"

[[workload]]
kind = "semantics"
name = "sem"
phases = ["warm"]
fsyncs = 50
"#;

fn refused(text: &str, targets: &str, want: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), text);
    let out = tmp.path().join("out");
    let output = run_cli(
        &workload,
        &tmp.path().join("data"),
        &out,
        &["--targets", targets],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    for w in want {
        assert!(stderr.contains(w), "{w} in {stderr}");
    }
    assert!(!out.exists(), "nothing written");
}

fn an_unknown_probe_is_refused_naming_the_known_ones() {
    let text = SEMANTICS.replace("fsyncs = 50", "probes = [\"case\", \"flok\"]");
    refused(
        &text,
        "native",
        &[
            "field probes",
            "`flok`",
            "`o-direct`",
            "`delete-200`",
            "`chown`",
        ],
    );
}

fn a_probe_listed_twice_is_refused() {
    let text = SEMANTICS.replace("fsyncs = 50", "probes = [\"case\", \"case\"]");
    refused(&text, "native", &["field probes", "'case' is listed twice"]);
}

fn a_read_only_target_cannot_hold_the_probes() {
    refused(SEMANTICS, "bind:ro", &["leave no cell to run"]);
}

/// semantics.csv's rows by (place, probe).
fn by_cell(out: &Path) -> HashMap<(String, String), HashMap<String, String>> {
    read_csv(&out.join("semantics.csv"))
        .into_iter()
        .map(|r| {
            let place = match r["engine"].as_str() {
                "" | "default" => r["target"].clone(),
                e => format!("{}@{e}", r["target"]),
            };
            ((place, r["probe"].clone()), r)
        })
        .collect()
}

/// Every probe on every place, judged, and the report's matrix with a row per probe.
fn check_run(out: &Path, places: &[&str]) -> HashMap<(String, String), HashMap<String, String>> {
    let rows = by_cell(out);
    assert_eq!(rows.len(), places.len() * PROBES.len(), "{:?}", rows.keys());
    for place in places {
        for probe in PROBES {
            let r = &rows[&(place.to_string(), probe.to_string())];
            let verdict = r["verdict"].as_str();
            assert!(
                ["as-native", "differs", "fails", "skipped"].contains(&verdict),
                "{r:?}"
            );
            assert!(!r["evidence"].is_empty(), "{r:?}");
            // Native may chown only as root; as another user neither side may.
            let unprivileged_chown = probe == "chown" && r["outcome"] == "skipped";
            if *place == "native" && !unprivileged_chown {
                assert_eq!(
                    (verdict, r["outcome"].as_str()),
                    ("as-native", "saw"),
                    "{r:?}"
                );
            }
        }
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    let section = report
        .split("### Semantics")
        .nth(1)
        .expect("a Semantics section");
    let header = format!("| probe | {} |", places.join(" | "));
    assert!(section.contains(&header), "{header} in {section}");
    for probe in PROBES {
        let line = section
            .lines()
            .find(|l| l.starts_with(&format!("| {probe} |")))
            .unwrap_or_else(|| panic!("{probe} row"));
        assert_eq!(line.matches(" | ").count(), places.len(), "{line}");
    }
    assert!(section.contains("| place | all probes | fsync p50 | fsync p99 |"));
    let chart = section
        .lines()
        .find_map(|l| l.strip_prefix("![Semantics: ")?.split("](").nth(1))
        .expect("the semantics chart in its section")
        .trim_end_matches(')');
    check_png(&out.join(chart));
    check_svg(&out.join(chart.replace(".png", ".svg")));
    for place in places {
        let line = section
            .lines()
            .find(|l| l.starts_with(&format!("| {place} | ")))
            .unwrap_or_else(|| panic!("{place}'s timings in {section}"));
        assert_eq!(line.matches(" | ").count(), 4, "{line}");
        assert!(!line.contains('–') && !line.contains("at once"), "{line}");
    }
    rows
}

fn on_local_docker_every_probe_is_judged_and_a_bind_mount_is_the_hosts_own() -> Ran {
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), SEMANTICS);
    let out = tmp.path().join("out");
    let places = ["native", "bind", "volume", "tmpfs", "layer"];
    let output = run_cli(
        &workload,
        &tmp.path().join("data"),
        &out,
        &["--targets", &places.join(",")],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = check_run(&out, &places);
    // On Linux the bind source is the host's own folder: nothing may differ there.
    for probe in PROBES {
        let r = &rows[&("bind".to_string(), probe.to_string())];
        assert_eq!(r["verdict"], "as-native", "{r:?}");
    }
    let fsync = &rows[&("tmpfs".to_string(), "fsync".to_string())];
    assert!(fsync["detail"].starts_with("fsync p50 "), "{fsync:?}");
    Ok(())
}

fn on_podman_every_probe_is_judged() -> Ran {
    let (host, _) = podman()?;
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), SEMANTICS);
    let out = tmp.path().join("out");
    let places = ["native", "bind", "volume", "tmpfs"];
    let output = run_on(
        &host,
        &workload,
        &tmp.path().join("data"),
        &out,
        &["--targets", &places.join(",")],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    check_run(&out, &places);
    Ok(())
}

/// The test VM over virtiofs or 9p: every probe judged on a bind mount that crosses the VM
/// boundary, a volume and a tmpfs on the guest. What differs depends on the share (9p has no
/// fallocate), so only that each is judged with evidence is required.
fn on_the_test_vm_every_probe_is_judged() -> Ran {
    let (vm, share) = vm_engine()?;
    let tmp = tempfile::tempdir_in(&share).unwrap();
    let workload = write_workload(tmp.path(), SEMANTICS);
    let (data, out) = (tmp.path().join("data"), tmp.path().join("out"));
    let engine = format!("vm={vm}");
    let args = ["--targets", "native,bind,volume,tmpfs", "--engine", &engine];
    let output = run_cli(&workload, &data, &out, &args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows = check_run(&out, &["native", "bind@vm", "volume@vm", "tmpfs@vm"]);
    for ((place, probe), r) in &rows {
        if r["verdict"] == "fails" {
            assert!(
                !r["errno"].is_empty() && !r["step"].is_empty(),
                "{place} {probe}: {r:?}"
            );
        }
    }
    Ok(())
}

// ---- two-sided probes (#23): both sides of the storage at once ----

const TWO_SIDED: &str = r#"
[run]
reps = 1
warmup = 0

[targets.tmpfs]
size = "64MiB"

[[workload]]
kind = "semantics"
name = "duet"
phases = ["warm"]
probes = ["flock", "fcntl", "mmap-shared", "phantom", "unlink-held", "rename-held", "owner", "chown"]
"#;

/// A workload of two-sided probes only on a target with no second side: noted and left out
/// of a wider matrix, refused with one line when exactly that cell is asked for.
fn two_sided_probes_on_a_private_target_are_noted_or_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), TWO_SIDED);
    let out = tmp.path().join("out");
    let args = ["--only", "duet", "--targets", "tmpfs"];
    let output = run_cli(&workload, &tmp.path().join("data"), &out, &args);
    let stderr = common::expect_input_error(
        &output,
        &[
            "--targets tmpfs",
            "needs a second side",
            "belongs to one container",
        ],
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!out.exists(), "nothing written");
}

fn two_sided_probes_cross_the_sides_on_local_docker() -> Ran {
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    let text = TWO_SIDED.replace("probes = [", "probes = [\"case\", ");
    let workload = write_workload(tmp.path(), &text);
    let out = tmp.path().join("out");
    let places = ["native", "bind", "volume", "tmpfs"];
    let args = ["--targets", "native,bind,volume,tmpfs"];
    let output = run_cli(&workload, &tmp.path().join("data"), &out, &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let rows = by_cell(&out);
    assert_eq!(rows.len(), places.len() * 9, "{:?}", rows.keys());
    let row = |place: &str, probe: &str| &rows[&(place.to_string(), probe.to_string())];
    // Two host processes: POSIX record locks and flock both exclude the other side.
    let exclusive = "exclusive: the other side was refused, then got it once released";
    for lock in ["flock", "fcntl"] {
        assert_eq!(row("native", lock)["facts"], exclusive);
        for place in ["bind", "volume"] {
            assert_eq!(row(place, lock)["verdict"], "as-native", "{place} {lock}");
        }
    }
    for probe in [
        "mmap-shared",
        "phantom",
        "unlink-held",
        "rename-held",
        "owner",
    ] {
        for place in ["bind", "volume"] {
            let r = row(place, probe);
            assert_eq!(r["verdict"], "as-native", "{place} {probe}: {r:?}");
        }
        let r = row("tmpfs", probe);
        assert_eq!(r["verdict"], "skipped", "{r:?}");
        assert_eq!(
            r["facts"],
            "no second side: tmpfs storage belongs to one container"
        );
    }
    // The one-sided probe still ran on tmpfs.
    assert_eq!(row("tmpfs", "case")["verdict"], "as-native");
    Ok(())
}
