//! Faults injected into real runs: signals, an agent crash, the engine going away, a full
//! tmpfs, a full results disk, two runs at once. Each must leave failed reps recorded with
//! their error, completed reps intact on disk, no labelled object behind and a non-zero exit.

use crate::common;
use common::{missing, Ran};

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{
    docker_available, finish, leftovers, only_bind_failed, read_csv, rows_so_far, run_id_of,
    spawn_run, wait_for, write_workload, TINY,
};

trials!(
    sigint_and_sigterm_stop_cleanly_and_resume_finishes_without_redoing_reps,
    an_agent_crash_fails_one_rep_and_the_run_goes_on,
    the_engine_going_away_fails_container_reps_and_native_goes_on,
    a_full_tmpfs_volume_fails_its_rep_with_enospc,
    a_full_results_disk_stops_the_run_and_keeps_what_was_written,
    two_runs_at_once_share_datasets_and_never_collide
);

type Row = std::collections::HashMap<String, String>;

fn step_key(r: &Row) -> (String, String, String, String, String) {
    (
        r["workload"].clone(),
        r["target"].clone(),
        r["phase"].clone(),
        r["rep"].clone(),
        r["warmup"].clone(),
    )
}

fn sigint_and_sigterm_stop_cleanly_and_resume_finishes_without_redoing_reps() -> Ran {
    docker_available()?;
    for (signal, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGTERM, "SIGTERM")] {
        let tmp = tempfile::tempdir().unwrap();
        let workload = write_workload(tmp.path(), TINY);
        let out = tmp.path().join("out");
        let data = tmp.path().join("data");
        let child = spawn_run(
            &workload,
            &data,
            &out,
            &["--reps", "6", "--targets", "native,bind"],
        );
        wait_for("a few reps", 120, || rows_so_far(&out, ",") >= 6);
        unsafe { libc::kill(child.id() as i32, signal) };
        let (code, stderr) = finish(child);
        assert_eq!(code, Some(130), "{name}: {stderr}");
        assert!(stderr.contains("--resume"), "{name}: {stderr}");
        let run_id = run_id_of(&out);
        assert_eq!(leftovers(&run_id), (0, 0), "{name}: objects left");
        let before = read_csv(&out.join("reps.csv"));
        let kept: BTreeMap<_, String> = before
            .iter()
            .filter(|r| r["ok"] == "true")
            .map(|r| ((step_key(r), r["metric"].clone()), r["seconds"].clone()))
            .collect();
        assert!(!kept.is_empty(), "{name}: reps done before the signal");

        let resumed = Command::new(env!("CARGO_BIN_EXE_mountbench"))
            .args(["run", "--quiet", "--resume"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&resumed.stderr);
        assert_eq!(resumed.status.code(), Some(0), "{name} resume: {stderr}");
        let after = read_csv(&out.join("reps.csv"));
        assert!(after.iter().all(|r| r["ok"] == "true"), "{name}: {after:?}");
        // Every step exactly once, and the reps done before the signal untouched.
        let mut seen = BTreeSet::new();
        for r in &after {
            assert!(
                seen.insert((step_key(r), r["metric"].clone())),
                "{name}: {r:?} twice"
            );
        }
        let steps: BTreeSet<_> = after.iter().map(step_key).collect();
        assert_eq!(steps.len(), 8 * (6 + 1), "{name}: every step done");
        for (key, seconds) in &kept {
            let now = after
                .iter()
                .find(|r| (step_key(r), r["metric"].clone()) == *key)
                .unwrap();
            assert_eq!(&now["seconds"], seconds, "{name}: {key:?} was redone");
        }
        assert!(out.join("summary.csv").is_file() && out.join("report.md").is_file());
        let env: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("env.json")).unwrap()).unwrap();
        assert_eq!(env["resumed"].as_array().unwrap().len(), 1, "{name}");
        assert!(env["finished"].is_string(), "{name}");
        assert_eq!(leftovers(&run_id), (0, 0), "{name}: objects left");
    }
    Ok(())
}

/// PIDs of `mountbench agent run` processes (native or in a container: the host sees both).
fn agent_pids() -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| {
                    c.split(|b| *b == 0)
                        .collect::<Vec<_>>()
                        .windows(2)
                        .any(|w| w[0] == b"agent" && w[1] == b"run")
                })
                .unwrap_or(false)
        })
        .collect()
}

fn an_agent_crash_fails_one_rep_and_the_run_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    // Long checkpoint reps (write + fsync of 64 MiB) so the crash lands inside one.
    let text = TINY.replacen("size = \"3MiB\"", "size = \"64MiB\"", 1);
    let workload = write_workload(tmp.path(), &text);
    let out = tmp.path().join("out");
    let child = spawn_run(
        &workload,
        &tmp.path().join("data"),
        &out,
        &["--reps", "3", "--targets", "native", "--only", "ckpt"],
    );
    let me = child.id();
    wait_for("the first rep", 120, || rows_so_far(&out, ",") >= 1);
    wait_for("an agent in flight", 120, || {
        let ours: Vec<i32> = agent_pids()
            .into_iter()
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|s| {
                        s.rsplit(')')
                            .next()?
                            .split_whitespace()
                            .nth(1)?
                            .parse()
                            .ok()
                    })
                    == Some(me)
            })
            .collect();
        let Some(pid) = ours.first() else {
            return false;
        };
        // Well inside the rep. (SIGABRT, as abort() sends: Rust’s own SIGSEGV handler
        // swallows a SIGSEGV sent with kill.)
        std::thread::sleep(Duration::from_millis(5));
        agent_pids().contains(pid) && unsafe { libc::kill(*pid, libc::SIGABRT) } == 0
    });
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("1 rep(s) failed"), "{stderr}");
    let reps = read_csv(&out.join("reps.csv"));
    let failed: Vec<_> = reps.iter().filter(|r| r["ok"] == "false").collect();
    let failed_steps: BTreeSet<_> = failed.iter().map(|r| step_key(r)).collect();
    assert_eq!(failed_steps.len(), 1, "{failed:?}");
    assert!(
        failed
            .iter()
            .all(|r| r["error"].contains("crashed (exit 134, SIGABRT)")),
        "{failed:?}"
    );
    // save, write-fsync and restore rows for 1 warm-up + 3 reps; the crashed one is
    // recorded too.
    assert_eq!(reps.len(), 3 * 4, "every rep recorded");
    assert_eq!(reps.iter().filter(|r| r["ok"] == "true").count(), 3 * 3);
}

/// A Unix socket that forwards to the real engine until `cut`: the engine "stops".
struct EngineProxy {
    path: PathBuf,
    cut: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<UnixStream>>>,
}

impl EngineProxy {
    fn start(dir: &Path) -> EngineProxy {
        let real = std::env::var("DOCKER_HOST")
            .ok()
            .and_then(|h| h.strip_prefix("unix://").map(String::from))
            .unwrap_or_else(|| "/var/run/docker.sock".into());
        let path = dir.join("engine.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let streams = Arc::new(Mutex::new(Vec::<UnixStream>::new()));
        let (c, s) = (cut.clone(), streams.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                if c.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(upstream) = UnixStream::connect(&real) else {
                    continue;
                };
                let mut all = s.lock().unwrap();
                all.push(client.try_clone().unwrap());
                all.push(upstream.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap()),
                    (upstream, client),
                ] {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 || to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        EngineProxy { path, cut, streams }
    }

    fn docker_host(&self) -> String {
        format!("unix://{}", self.path.display())
    }

    /// Refuse new connections and break the open ones.
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        let _ = std::fs::remove_file(&self.path);
        for s in self.streams.lock().unwrap().iter() {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn the_engine_going_away_fails_container_reps_and_native_goes_on() -> Ran {
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), TINY);
    let out = tmp.path().join("out");
    let proxy = EngineProxy::start(tmp.path());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mountbench"));
    let child = cmd
        .env("DOCKER_HOST", proxy.docker_host())
        .args([
            "run",
            "--quiet",
            "--reps",
            "6",
            "--targets",
            "native,bind",
            "-w",
        ])
        .arg(&workload)
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("bind reps", 120, || rows_so_far(&out, ",bind,") >= 4);
    proxy.cut();
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(1), "{stderr}");
    let run_id = run_id_of(&out);
    assert!(
        stderr.contains(&format!("mountbench clean --run {run_id}")),
        "says how to clean up once the engine is back: {stderr}"
    );
    only_bind_failed(&out, 7);
    // The engine is back (the real socket): clean removes what the run could not.
    let clean = Command::new(env!("CARGO_BIN_EXE_mountbench"))
        .args(["clean", "--run", &run_id])
        .output()
        .unwrap();
    assert!(clean.status.success());
    assert_eq!(leftovers(&run_id), (0, 0));
    Ok(())
}

fn a_full_tmpfs_volume_fails_its_rep_with_enospc() -> Ran {
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    // The preflight counts bytes: a 2 MiB tmpfs volume holds the metadata storm's 400 KiB,
    // but with 16 inodes it cannot take its 100 files, so the agent meets ENOSPC for real.
    let text = format!(
        "{TINY}\n[[workload]]\nkind = \"metadata\"\nname = \"meta\"\ndirs = 1\nfiles_per_dir = 100\n[targets.volume-opts]\ndriver_opts = {{ type = \"tmpfs\", device = \"tmpfs\", o = \"size=2m,nr_inodes=16\" }}\n"
    );
    let workload = write_workload(tmp.path(), &text);
    let out = tmp.path().join("out");
    let child = spawn_run(
        &workload,
        &tmp.path().join("data"),
        &out,
        &[
            "--reps",
            "1",
            "--targets",
            "native,volume-opts",
            "--only",
            "meta",
        ],
    );
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(1), "{stderr}");
    let reps = read_csv(&out.join("reps.csv"));
    let failed: Vec<_> = reps.iter().filter(|r| r["ok"] == "false").collect();
    assert!(!failed.is_empty());
    for r in &failed {
        assert_eq!(r["target"], "volume-opts");
        assert!(r["error"].contains("No space left on device"), "{r:?}");
    }
    assert!(reps
        .iter()
        .filter(|r| r["target"] == "native")
        .all(|r| r["ok"] == "true"));
    assert_eq!(leftovers(&run_id_of(&out)), (0, 0));
    Ok(())
}

/// A small tmpfs mounted for the test, unmounted on drop.
struct SmallFs(PathBuf);

impl SmallFs {
    fn mount(path: &Path, size: &str) -> Option<SmallFs> {
        std::fs::create_dir_all(path).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then(|| SmallFs(path.to_path_buf()))
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn a_full_results_disk_stops_the_run_and_keeps_what_was_written() -> Ran {
    let tmp = tempfile::tempdir().unwrap();
    let Some(fs) = SmallFs::mount(&tmp.path().join("results-fs"), "2m") else {
        return Err(missing(
            "MOUNTBENCH_REQUIRE_DOCKER",
            "cannot mount a tmpfs for the results (not root; CI runs as root)",
        ));
    };
    docker_available()?;
    let workload = write_workload(tmp.path(), TINY);
    let out = fs.0.join("out");
    let child = spawn_run(
        &workload,
        &tmp.path().join("data"),
        &out,
        &["--reps", "20", "--targets", "native,bind"],
    );
    wait_for("a few reps", 120, || rows_so_far(&out, ",") >= 6);
    let before = read_csv(&out.join("reps.csv")).len();
    // Fill the disk: every later rewrite of the result files fails.
    let mut filler = std::fs::File::create(fs.0.join("filler")).unwrap();
    let chunk = vec![0u8; 64 << 10];
    while filler.write_all(&chunk).is_ok() {}
    let (code, stderr) = finish(child);
    assert_eq!(code, Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].contains("No space left on device"), "{stderr}");
    assert!(lines[0].contains(&out.display().to_string()), "{stderr}");
    // The files on disk are whole (old or new, never half) and hold the reps done.
    let reps = read_csv(&out.join("reps.csv"));
    assert!(reps.len() >= before, "{} < {before}", reps.len());
    assert!(mountbench::results::Results::load(&out).is_ok());
    assert_eq!(leftovers(&run_id_of(&out)), (0, 0));
    Ok(())
}

fn two_runs_at_once_share_datasets_and_never_collide() {
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), TINY);
    let data = tmp.path().join("data");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    // Enough reps that the first is still running when the third process asks.
    let first = spawn_run(
        &workload,
        &data,
        &a,
        &["--reps", "10", "--targets", "native"],
    );
    let second = spawn_run(
        &workload,
        &data,
        &b,
        &["--reps", "3", "--targets", "native"],
    );
    // While the first runs, its folder cannot be resumed by a third process.
    wait_for("the first run's folder", 120, || {
        a.join("env.json").is_file()
    });
    let third = Command::new(env!("CARGO_BIN_EXE_mountbench"))
        .args(["run", "--quiet", "--resume"])
        .arg(&a)
        .output()
        .unwrap();
    let (code_a, err_a) = finish(first);
    let (code_b, err_b) = finish(second);
    assert_eq!((code_a, code_b), (Some(0), Some(0)), "{err_a}\n{err_b}");
    let stderr = String::from_utf8_lossy(&third.stderr);
    assert_eq!(third.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("another mountbench run"), "{stderr}");
    assert_ne!(run_id_of(&a), run_id_of(&b));
    // Each dataset generated once; the other run waited on its lock and reused it.
    let mut generated: BTreeMap<String, usize> = BTreeMap::new();
    for dir in [&a, &b] {
        let env: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("env.json")).unwrap()).unwrap();
        for d in env["datasets"].as_array().unwrap() {
            *generated.entry(d["id"].to_string()).or_default() += usize::from(d["reused"] == false);
        }
        for r in read_csv(&dir.join("reps.csv")) {
            assert_eq!(r["ok"], "true", "{r:?}");
        }
    }
    assert!(!generated.is_empty());
    assert!(generated.values().all(|n| *n == 1), "{generated:?}");
}
