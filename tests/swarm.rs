//! Fleet runs on a real swarm of several nodes (scripts/swarm/nodes.sh start 3): bad input
//! refused with nothing made, a small matrix on every node, Ctrl-C, and a node whose daemon
//! dies mid-run; after each, no service, container or volume of the run on any live node.
//! One test, in order: the steps share the swarm and the last one kills node 2.
//!
//! Needs MOUNTBENCH_SWARM_NODES (every node's endpoint, the manager first, as nodes.sh
//! prints it) and root (nodes.sh load and kill). Without it the test is ignored with the
//! reason, or fails when MOUNTBENCH_REQUIRE_SWARM=1 (CI).

use crate::common;
use common::{Ran, Skip};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::mountbench;

trials!(a_fleet_run_on_a_three_node_swarm);

const WORKLOAD: &str = r#"
[run]
reps = 2
warmup = 0
seed = 7
targets = ["bind", "volume", "tmpfs"]

[targets.tmpfs]
size = "128MiB"

[targets.container]
memory = "512MiB"

[[workload]]
kind = "seq-read"
name = "seq"
shards = 2
shard_size = "8MiB"
block_size = "1MiB"
threads = 2
phases = ["cold", "warm"]
loops = 2

[[workload]]
kind = "checkpoint"
name = "ckpt"
size = "16MiB"
chunk_size = "4MiB"
fsync = true
keep = 2
phases = ["warm"]
"#;

struct Swarm {
    /// Every node's endpoint, the manager (node 1) first.
    nodes: Vec<String>,
    /// The data dir every node has (nodes.sh makes it).
    data_dir: String,
}

fn swarm() -> Result<Swarm, Skip> {
    let nodes: Vec<String> = std::env::var("MOUNTBENCH_SWARM_NODES")
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect();
    if nodes.len() < 3 {
        return Err(common::harness::missing(
            "MOUNTBENCH_REQUIRE_SWARM",
            "MOUNTBENCH_SWARM_NODES does not name 3 nodes (scripts/swarm/nodes.sh start 3)",
        ));
    }
    let data_dir = std::env::var("MOUNTBENCH_SWARM_DATA")
        .unwrap_or_else(|_| "/var/lib/mountbench-swarm/data".into());
    Ok(Swarm { nodes, data_dir })
}

impl Swarm {
    fn manager(&self) -> &str {
        &self.nodes[0]
    }

    fn docker(&self, node: usize, args: &[&str]) -> String {
        let out = Command::new("docker")
            .args(args)
            .env("DOCKER_HOST", &self.nodes[node])
            .output()
            .expect("docker CLI");
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Services (on the manager), containers and volumes of `run` on node `node`.
    fn leftovers(&self, node: usize, run: &str) -> (usize, usize, usize) {
        let label = format!("label=io.mountbench.run={run}");
        let count = |s: String| s.lines().filter(|l| !l.trim().is_empty()).count();
        let services = match node {
            0 => count(self.docker(0, &["service", "ls", "-q", "--filter", &label])),
            _ => 0,
        };
        let containers = count(self.docker(node, &["ps", "-aq", "--filter", &label]));
        let volumes = count(self.docker(node, &["volume", "ls", "-q", "--filter", &label]));
        (services, containers, volumes)
    }

    /// Wait until node `node` has no container or volume with `label`: a node removes a
    /// stopped task's container a moment after the manager forgot the task.
    fn wait_clean(&self, node: usize, label: &str, when: &str) {
        let started = Instant::now();
        loop {
            let any = self.docker(node, &["ps", "-aq", "--filter", label]);
            let vols = self.docker(node, &["volume", "ls", "-q", "--filter", label]);
            if any.trim().is_empty() && vols.trim().is_empty() {
                eprintln!(
                    "node {} clean {when} after {:?}",
                    node + 1,
                    started.elapsed()
                );
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "node {} {when}: containers {any:?}, volumes {vols:?}",
                node + 1
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn fleet(&self, workload: &Path, out: &Path, extra: &[&str]) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("mountbench"));
        cmd.args(["run", "--swarm", self.manager(), "-w"])
            .arg(workload)
            .args(["--data-dir", &self.data_dir, "--out"])
            .arg(out)
            .args(extra);
        cmd
    }
}

fn nodes_sh(args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/swarm/nodes.sh");
    let status = Command::new(script).args(args).status().expect("nodes.sh");
    assert!(status.success(), "nodes.sh {args:?}");
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fleet_json(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("fleet.json")).expect("fleet.json");
    serde_json::from_str(&text).expect("fleet.json parses")
}

/// Wait until node `node` runs a container of a fleet job.
fn wait_running(swarm: &Swarm, node: usize, limit: Duration) {
    let started = Instant::now();
    loop {
        let running = swarm.docker(
            node,
            &[
                "ps",
                "-q",
                "--filter",
                "label=io.mountbench=fleet",
                "--filter",
                "status=running",
            ],
        );
        if !running.trim().is_empty() {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "node {} never ran the job's task",
            node + 1
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn a_fleet_run_on_a_three_node_swarm() -> Ran {
    let swarm = swarm()?;
    let dir = tempfile::tempdir().unwrap();
    let workload = dir.path().join("fleet.toml");
    std::fs::write(&workload, WORKLOAD).unwrap();
    bad_input_makes_nothing(&swarm, &workload, dir.path());

    // Node 1 alone (chosen by label): the agent image is packed on the manager; then
    // copied to the other nodes, as a user without a registry would.
    let one = dir.path().join("one");
    let out = swarm
        .fleet(
            &workload,
            &one,
            &[
                "--nodes",
                "mountbench.node=1",
                "--reps",
                "1",
                "--only",
                "seq",
            ],
        )
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(fleet_json(&one)["nodes"].as_array().unwrap().len(), 1);
    nodes_sh(&["load"]);

    // A data dir missing on a node: only the node can say, by refusing the task; exit 2,
    // the job removed.
    let out = mountbench()
        .args(["run", "--swarm", swarm.manager(), "-w"])
        .arg(&workload)
        .args([
            "--data-dir",
            "/var/lib/mountbench-no-such-dir",
            "--nodes",
            "mountbench.node=1",
        ])
        .args(["--quiet", "--out"])
        .arg(dir.path().join("missing"))
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("node mb-node-1") && stderr.contains("does not exist"),
        "{stderr}"
    );
    let services = swarm.docker(
        0,
        &["service", "ls", "-q", "--filter", "label=io.mountbench.run"],
    );
    assert_eq!(services.trim(), "", "the job removed");
    swarm.wait_clean(0, "label=io.mountbench=fleet", "after a missing data dir");

    all_nodes(&swarm, &workload, dir.path());
    interrupted(&swarm, &workload, dir.path());
    node_dies(&swarm, &workload, dir.path());
    Ok(())
}

fn bad_input_makes_nothing(swarm: &Swarm, workload: &Path, dir: &Path) {
    let worker = &swarm.nodes[1];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--swarm", worker.as_str()], "is not a swarm manager"),
        (
            vec!["--swarm", swarm.manager(), "--nodes", "rack=blue"],
            "no node of the swarm has rack=blue",
        ),
        (
            vec!["--swarm", swarm.manager(), "--targets", "bind,layer"],
            "--targets layer",
        ),
    ];
    for (args, want) in cases {
        let out = mountbench()
            .args(["run", "-w"])
            .arg(workload)
            .args(["--data-dir", &swarm.data_dir, "--out"])
            .arg(dir.join("bad"))
            .args(&args)
            .output()
            .unwrap();
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(want), "{want:?} not in {stderr}");
    }
    assert!(!dir.join("bad").exists());
    let services = swarm.docker(
        0,
        &["service", "ls", "-q", "--filter", "label=io.mountbench.run"],
    );
    assert_eq!(services.trim(), "", "no service made");
}

fn all_nodes(swarm: &Swarm, workload: &Path, dir: &Path) {
    let out_dir = dir.join("all");
    let out = swarm.fleet(workload, &out_dir, &[]).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let fleet = fleet_json(&out_dir);
    let run = fleet["run_id"].as_str().unwrap().to_string();
    let nodes = fleet["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3, "{fleet}");
    for node in nodes {
        assert_eq!(node["status"], "ok", "{node}");
        let dir = PathBuf::from(node["dir"].as_str().unwrap());
        let reps = std::fs::read_to_string(dir.join("reps.csv")).unwrap();
        // 3 targets × (seq cold, seq warm, ckpt warm) × 2 reps, one row per metric.
        assert!(reps.lines().count() > 18, "{reps}");
        let host = node["hostname"].as_str().unwrap();
        assert!(
            reps.lines().skip(1).all(|l| l.contains(host)),
            "rows name the node"
        );
    }
    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    for want in [
        "## Fleet: 3 node(s)",
        "| seq/bind/cold | read | MiB/s |",
        "slowest | median | fastest",
    ] {
        assert!(report.contains(want), "{want:?} not in the report");
    }
    assert!(out_dir.join("charts/fleet-nodes.png").is_file());
    for node in 0..3 {
        assert_eq!(
            swarm.leftovers(node, &run),
            (0, 0, 0),
            "node {} after the run",
            node + 1
        );
    }
}

/// Ctrl-C while every node runs: exit 130, the job and its volumes gone everywhere.
fn interrupted(swarm: &Swarm, workload: &Path, dir: &Path) {
    let out_dir = dir.join("int");
    let child = swarm
        .fleet(workload, &out_dir, &["--reps", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for node in 0..3 {
        wait_running(swarm, node, Duration::from_secs(60));
    }
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(130), "{stdout}{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let services = swarm.docker(
        0,
        &["service", "ls", "-q", "--filter", "label=io.mountbench.run"],
    );
    assert_eq!(services.trim(), "");
    for node in 0..3 {
        swarm.wait_clean(node, "label=io.mountbench=fleet", "after Ctrl-C");
    }
}

/// Node 2's daemon (and everything it ran) killed mid-run: it is marked failed with why,
/// the others finish, exit 1, nothing left on the others.
fn node_dies(swarm: &Swarm, workload: &Path, dir: &Path) {
    let out_dir = dir.join("kill");
    let child = swarm
        .fleet(workload, &out_dir, &["--reps", "8"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_running(swarm, 1, Duration::from_secs(60));
    nodes_sh(&["kill", "2"]);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&out);
    eprintln!("node-failure run:\n{stdout}{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let fleet = fleet_json(&out_dir);
    let run = fleet["run_id"].as_str().unwrap().to_string();
    let nodes = fleet["nodes"].as_array().unwrap();
    let by_name = |n: &str| nodes.iter().find(|x| x["hostname"] == n).unwrap().clone();
    let lost = by_name("mb-node-2");
    assert_eq!(lost["status"], "failed", "{fleet}");
    assert!(
        lost["failure"]
            .as_str()
            .unwrap()
            .contains("before its task ended"),
        "{lost}"
    );
    for ok in ["mb-node-1", "mb-node-3"] {
        assert_eq!(by_name(ok)["status"], "ok", "{fleet}");
    }
    let report = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(report.contains("| mb-node-2 | failed |"), "{report}");
    for node in [0, 2] {
        assert_eq!(
            swarm.leftovers(node, &run),
            (0, 0, 0),
            "node {} after the run",
            node + 1
        );
    }
}
