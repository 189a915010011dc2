//! The scripts under scripts/: each one is run by .ci/run, by a test here, or named with
//! what it needs that neither has (a second VM, a Mac, a quarter of an hour). The tests run
//! the scripts on small inputs with the binary under test (MOUNTBENCH_BIN).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{agent_exe, missing, Ran, Skip};

trials!(
    every_script_is_run_somewhere,
    fio_compare_s_tmpfs_part_runs_on_a_tmpfs_it_sizes,
    rss_script_scans_a_small_tree_and_prints_its_peak,
    replication_compares_two_result_folders
);

/// How each script is exercised.
enum RunBy {
    /// .ci/run calls it.
    Ci,
    /// An integration test runs it.
    Test(&'static str),
    /// Neither can: what it needs.
    Needs(&'static str),
}

const SCRIPTS: &[(&str, RunBy)] = &[
    ("apple-check.sh", RunBy::Ci),
    ("vm/engine.sh", RunBy::Ci),
    ("podman/service.sh", RunBy::Ci),
    (
        "fio-compare.sh",
        RunBy::Test("fio_compare_s_tmpfs_part_runs_on_a_tmpfs_it_sizes"),
    ),
    (
        "rss-million-files.sh",
        RunBy::Test("rss_script_scans_a_small_tree_and_prints_its_peak"),
    ),
    (
        "replication.py",
        RunBy::Test("replication_compares_two_result_folders"),
    ),
    (
        "vm/durability.sh",
        RunBy::Test("what_fsync_promised_survives_a_killed_vm"),
    ),
    (
        "vm/smoke.sh",
        RunBy::Needs("a test VM of its own: it stops the engine it boots, CI's among them"),
    ),
    (
        "agent/cross.sh",
        RunBy::Needs("about 5 min of cross-building; agent/arm64-test.sh runs it"),
    ),
    (
        "agent/arm64-test.sh",
        RunBy::Needs("an emulated arm64 VM, about 15 min on 2 cores (docs/macos-agent.md)"),
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scripts_under(dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("scripts/ readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            scripts_under(&path, found);
        } else {
            let rel = path
                .strip_prefix(root().join("scripts"))
                .expect("under scripts/");
            found.push(rel.to_string_lossy().into_owned());
        }
    }
}

fn every_script_is_run_somewhere() {
    let mut found = Vec::new();
    scripts_under(&root().join("scripts"), &mut found);
    found.sort();
    let ci = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run readable");
    let tests = test_sources();
    for script in &found {
        let Some((_, by)) = SCRIPTS.iter().find(|(name, _)| name == script) else {
            panic!("scripts/{script} is in no row of SCRIPTS");
        };
        match by {
            RunBy::Ci => assert!(
                ci.contains(&format!("scripts/{script}")),
                "scripts/{script} is not in .ci/run"
            ),
            RunBy::Test(test) => assert!(
                tests.contains(&format!("fn {test}()")),
                "scripts/{script}: no test {test}"
            ),
            RunBy::Needs(what) => assert!(!what.is_empty(), "scripts/{script}: needs what?"),
        }
    }
    for (name, _) in SCRIPTS {
        assert!(found.iter().any(|f| f == name), "scripts/{name} is gone");
    }
}

/// Every integration test module's text, one string.
fn test_sources() -> String {
    let dir = std::fs::read_dir(root().join("tests")).expect("tests/ readable");
    dir.flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| std::fs::read_to_string(p).expect("readable"))
        .collect()
}

/// The script at `scripts/NAME` with ARGS, given the binary under test.
fn script(name: &str, args: &[&str]) -> Output {
    let output = Command::new(root().join("scripts").join(name))
        .args(args)
        .env("MOUNTBENCH_BIN", agent_exe())
        .output()
        .unwrap_or_else(|e| panic!("scripts/{name}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "scripts/{name}: {stderr}");
    output
}

/// Its tmpfs part mounts a tmpfs, so it needs root, and fio. It used to exit 2: the space
/// preflight keeps 1 GiB free, and the tmpfs had 1 GiB.
fn fio_compare_s_tmpfs_part_runs_on_a_tmpfs_it_sizes() -> Ran {
    if Command::new("fio").arg("--version").output().is_err() {
        return Err(missing("MOUNTBENCH_REQUIRE_FIO", "fio is not installed"));
    }
    if !rustix::process::geteuid().is_root() {
        return Err(missing(
            "MOUNTBENCH_REQUIRE_FIO",
            "mounting a tmpfs needs root",
        ));
    }
    let output = script("fio-compare.sh", &["tmpfs"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("tmpfs        mountbench native on a tmpfs") && stdout.contains("ratio"),
        "{stdout}"
    );
    assert!(!stdout.contains("skipped"), "{stdout}");
    Ok(())
}

fn rss_script_scans_a_small_tree_and_prints_its_peak() {
    let output = script("rss-million-files.sh", &["2000"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("2000 files scanned at") && stdout.contains("peak RSS"),
        "{stdout}"
    );
}

/// Two runs on one host: one line per ratio row both have, and a tally.
fn replication_compares_two_result_folders() -> Ran {
    if Command::new("python3").arg("--version").output().is_err() {
        return Err(Skip("python3 is not installed".into()));
    }
    let results = root().join("results/vm");
    let [a, b] = ["20261125-023354-363c", "20261125-023700-54f6"].map(|d| results.join(d));
    let a = a.to_string_lossy().into_owned();
    let b = b.to_string_lossy().into_owned();
    let output = script("replication.py", &[&a, &b]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let rows = stdout
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains('/'));
    assert!(rows.count() > 5, "{stdout}");
    assert!(stdout.contains("ratio rows; CIs overlap on"), "{stdout}");
    Ok(())
}
