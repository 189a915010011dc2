//! Never fill a disk: runs that cannot fit are refused before a byte is written; a dataset
//! whose generation meets a full disk leaves nothing behind and fails its cell once; a
//! volume too small on the engine is refused before generating; datasets can be listed and
//! removed (only ours).

use crate::common;
use common::{missing, Ran};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{docker_available, leftovers, mountbench, read_csv, run_cli, write_workload};

trials!(
    runs_that_cannot_fit_exit_2_at_once_and_write_nothing,
    a_dataset_meeting_a_full_disk_leaves_nothing_and_fails_its_cell_once,
    a_volume_too_small_on_the_engine_is_refused_before_generating,
    a_run_refused_on_the_engine_leaves_nothing_with_its_label,
    info_lists_datasets_and_clean_removes_only_ours
);

fn seq(name: &str, shards: u64, shard_size: &str) -> String {
    format!(
        "[[workload]]\nkind = \"seq-read\"\nname = \"{name}\"\nshards = {shards}\nshard_size = \"{shard_size}\"\nphases = [\"cold\"]\n"
    )
}

fn free_bytes(path: &Path) -> u64 {
    mountbench::agent::FsSpace::of(path).unwrap().free
}

struct Refusal {
    name: &'static str,
    toml: String,
    args: Vec<&'static str>,
    expect: Vec<&'static str>,
}

/// The refusals, with the data dir on the filesystem of `tmp`.
#[rustfmt::skip]
fn refusals(tmp: &Path) -> Vec<Refusal> {
    let almost = ((free_bytes(tmp) - (100 << 20)) / 4096 * 4096).to_string();
    let tmpfs = "[run]\ntargets = [\"native\", \"tmpfs\"]\n[targets.tmpfs]\nsize = \"1MiB\"\n";
    let memory = "[run]\ntargets = [\"tmpfs\"]\n[targets.tmpfs]\nsize = \"1GiB\"\n[targets.container]\nmemory = \"1GiB\"\n";
    vec![
        Refusal { name: "1000 shards of 1EiB", toml: seq("huge", 1000, "1EiB"), args: vec![], expect: vec!["workload \"huge\" on native", "needs more than 16EiB", "cannot hold"] },
        Refusal { name: "1EiB with nothing kept free", toml: seq("huge", 1, "1EiB"), args: vec!["--keep-free", "0"], expect: vec!["needs 1.0EiB", "cannot hold"] },
        Refusal { name: "free space less 100MiB", toml: seq("almost", 1, &almost), args: vec![], expect: vec!["workload \"almost\" on native", "keeps", "--keep-free", "cannot hold"] },
        Refusal { name: "kept free from the file", toml: format!("[run]\nkeep_free = \"200MiB\"\n{}", seq("almost", 1, &almost)), args: vec![], expect: vec!["keeps 200.0MiB free"] },
        Refusal { name: "a size past u64", toml: seq("huge", 1, "20EiB"), args: vec![], expect: vec!["shard_size", "20EiB", "too large"] },
        Refusal { name: "a bad --keep-free", toml: seq("s", 1, "1MiB"), args: vec!["--keep-free", "lots"], expect: vec!["--keep-free", "lots"] },
        Refusal { name: "a tmpfs too small", toml: format!("{tmpfs}{}", seq("s", 2, "1MiB")), args: vec![], expect: vec!["workload \"s\" on tmpfs", "[targets.tmpfs] size 1MiB", "cannot hold"] },
        Refusal { name: "a tmpfs past the memory limit", toml: format!("{memory}{}", seq("s", 2, "400MiB")), args: vec![], expect: vec!["workload \"s\" on tmpfs", "the 800.0MiB the run writes there", "container memory limit", "cannot hold"] },
    ]
}

fn runs_that_cannot_fit_exit_2_at_once_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    for case in refusals(tmp.path()) {
        let dir = tmp.path().join(case.name.replace(' ', "-"));
        std::fs::create_dir(&dir).unwrap();
        let workload = write_workload(&dir, &case.toml);
        let (data, out) = (dir.join("data"), dir.join("out"));
        let mut args = vec!["--quiet"];
        args.extend(&case.args);
        let started = Instant::now();
        let output = run_cli(&workload, &data, &out, &args);
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{}: {stderr}", case.name);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{}: one line: {stderr}", case.name);
        for want in &case.expect {
            assert!(
                lines[0].contains(want),
                "{}: {want:?} not in {}",
                case.name,
                lines[0]
            );
        }
        // A refusal is made before any byte is written: minutes would mean it was not.
        assert!(
            took < Duration::from_secs(30),
            "{}: took {took:?}",
            case.name
        );
        assert!(
            !data.exists() && !out.exists(),
            "{}: something was created",
            case.name
        );
        eprintln!("{}: refused in {took:?}: {}", case.name, lines[0]);
    }
}

/// A tmpfs mounted for the test as a small disk, unmounted however the test ends.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(path.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn a_dataset_meeting_a_full_disk_leaves_nothing_and_fails_its_cell_once() -> Ran {
    let tmp = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&tmp.path().join("disk"), "64m") else {
        return Err(missing(
            "MOUNTBENCH_REQUIRE_DOCKER",
            "cannot mount a tmpfs as a small disk (not root; CI runs as root)",
        ));
    };
    // The two datasets take the whole 64 MiB, which the preflight allows with nothing kept
    // free; the data dir's marker and the manifests then make one of big's writes fail.
    let free = free_bytes(&disk.0);
    assert_eq!(free, 64 << 20);
    let text = format!(
        "[run]\nreps = 2\nwarmup = 0\nkeep_free = \"0\"\n{}{}",
        seq("big", 1, &(free - 4096).to_string()),
        seq("tiny", 1, "4KiB")
    );
    let workload = write_workload(tmp.path(), &text);
    let (data, out) = (disk.0.join("data"), tmp.path().join("out"));
    let output = run_cli(&workload, &data, &out, &["--quiet"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let reps = read_csv(&out.join("reps.csv"));
    let big: Vec<_> = reps.iter().filter(|r| r["workload"] == "big").collect();
    assert_eq!(big.len(), 2);
    assert!(big
        .iter()
        .all(|r| r["ok"] == "false" && r["error"] == big[0]["error"]));
    let error = &big[0]["error"];
    assert!(
        error.contains("could not be generated") && error.contains("No space left on device"),
        "{error}"
    );
    assert!(reps
        .iter()
        .filter(|r| r["workload"] == "tiny")
        .all(|r| r["ok"] == "true"));
    assert_eq!(reps.iter().filter(|r| r["workload"] == "tiny").count(), 2);
    let datasets = data.join("host").join("datasets");
    let left: Vec<String> = std::fs::read_dir(&datasets)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert_eq!(left.len(), 1, "tiny's dataset alone, no partial: {left:?}");
    assert!(left[0].starts_with("shards-"), "{left:?}");
    assert!(
        free_bytes(&disk.0) > free - (64 << 10),
        "big's bytes are gone"
    );
    eprintln!("full disk: {error}");
    Ok(())
}

fn a_volume_too_small_on_the_engine_is_refused_before_generating() -> Ran {
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "[run]\ntargets = [\"volume-opts\"]\n[targets.volume-opts]\ndriver_opts = {{ type = \"tmpfs\", device = \"tmpfs\", o = \"size=16m\" }}\n{}",
        seq("big", 1, "64MiB")
    );
    let workload = write_workload(tmp.path(), &text);
    let (data, out) = (tmp.path().join("data"), tmp.path().join("out"));
    let output = run_cli(&workload, &data, &out, &["--quiet"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    for want in [
        "workload \"big\" on volume-opts",
        "needs 64.0MiB",
        "16.0MiB free",
        "cannot hold",
    ] {
        assert!(lines[0].contains(want), "{want:?} not in {}", lines[0]);
    }
    let run_id = lines[0]
        .split("volumes of run ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no run id in {}", lines[0]));
    assert_eq!(leftovers(run_id), (0, 0), "nothing left on the engine");
    assert!(!out.exists(), "no results folder");
    assert!(
        !data.exists(),
        "the data dir made for the run is gone again"
    );
    Ok(())
}

fn a_run_refused_on_the_engine_leaves_nothing_with_its_label() -> Ran {
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    let run_id = common::refused_on_the_engine(tmp.path(), &[]);
    assert_eq!(leftovers(&run_id), (0, 0), "nothing of run {run_id} left");
    Ok(())
}

fn info_lists_datasets_and_clean_removes_only_ours() {
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(
        tmp.path(),
        &format!("[run]\nreps = 1\nwarmup = 0\n{}", seq("s", 2, "1MiB")),
    );
    let data = tmp.path().join("data");
    let output = run_cli(&workload, &data, &tmp.path().join("out"), &["--quiet"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let foreign = data.join("host").join("datasets").join("notes.txt");
    std::fs::write(&foreign, "mine").unwrap();
    let stdout = |args: &[&str]| {
        let out = mountbench()
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // (command, wanted in its output)
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["info"],
            &[
                "datasets    1 taking 2.0MiB",
                "shards-",
                "ready",
                "last used",
            ],
        ),
        (
            &["clean", "--datasets", "--older-than", "1d"],
            &["no dataset to clean"],
        ),
        (
            &["clean", "--datasets"],
            &["removed dataset shards-", "freed 2.0MiB"],
        ),
        (&["info"], &["datasets    none"]),
    ];
    for (args, wants) in cases {
        let text = stdout(args);
        for want in wants {
            assert!(text.contains(want), "{args:?}: {want:?} not in {text}");
        }
    }
    assert!(foreign.exists(), "a file that is not ours stays");
}
