pub mod api;
pub mod boundary;
pub mod hardening;
pub mod harness;
pub mod import_graph;
pub mod podman;
pub mod source;

use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

pub use harness::{missing, Ran, Skip};

pub fn mountbench() -> Command {
    Command::cargo_bin("mountbench").expect("the mountbench binary is built")
}

/// Whether a Docker engine answers: a skip without one, a failure with
/// MOUNTBENCH_REQUIRE_DOCKER=1 (CI).
pub fn docker_available() -> Ran {
    match mountbench::engine::Engine::connect_default() {
        Ok(_) => Ok(()),
        Err(e) => Err(missing(
            "MOUNTBENCH_REQUIRE_DOCKER",
            format!("no Docker engine: {e}"),
        )),
    }
}

/// A tiny matrix that finishes in seconds on any target.
pub const TINY: &str = r#"
[run]
reps = 2
warmup = 1
seed = 7

[targets.tmpfs]
size = "64MiB"

[targets.container]
memory = "512MiB"

[[workload]]
kind = "seq-read"
name = "seq"
shards = 2
shard_size = "2MiB"
block_size = "256KiB"
threads = 2
phases = ["cold", "warm"]
loops = 3

[[workload]]
kind = "small-files"
name = "small"
dirs = 2
files_per_dir = 20
median_size = "8KiB"
threads = 2

[[workload]]
kind = "checkpoint"
name = "ckpt"
size = "3MiB"
chunk_size = "1MiB"
keep = 1
"#;

pub fn write_workload(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("w.toml");
    std::fs::write(&path, text).unwrap();
    path
}

pub fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    reader.deserialize().map(|r| r.unwrap()).collect()
}

/// Labelled containers and volumes of one run still on the engine.
pub fn leftovers(run_id: &str) -> (usize, usize) {
    let out = std::process::Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=io.mountbench.run={run_id}"),
        ])
        .output()
        .expect("docker CLI");
    let containers = String::from_utf8_lossy(&out.stdout).lines().count();
    let out = std::process::Command::new("docker")
        .args([
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("label=io.mountbench.run={run_id}"),
        ])
        .output()
        .expect("docker CLI");
    (
        containers,
        String::from_utf8_lossy(&out.stdout).lines().count(),
    )
}

pub fn run_id_of(out: &Path) -> String {
    let env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("env.json")).unwrap()).unwrap();
    env["run_id"].as_str().unwrap().to_string()
}

pub fn check_png(path: &Path) {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    let (width, height) = img.dimensions();
    assert_eq!(width, 1600, "{}", path.display());
    assert!(
        (1..=40).any(|panels| mountbench::report::draw::figure_height(panels) == height),
        "{}: height {height} fits no panel grid",
        path.display()
    );
    let first = *img.get_pixel(0, 0);
    let differing = img.pixels().filter(|p| **p != first).count();
    assert!(
        differing > 10_000,
        "{} looks blank ({differing} non-background pixels)",
        path.display()
    );
}

pub fn check_svg(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert!(
        doc.descendants().filter(|n| n.has_tag_name("text")).count() > 5,
        "{} has no text",
        path.display()
    );
}

/// The text of every `<text>` element of an SVG, and of those filled with `fill`.
pub fn svg_texts(path: &Path, fill: &str) -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let texts = doc.descendants().filter(|n| n.has_tag_name("text"));
    let of = |n: roxmltree::Node| n.text().unwrap_or_default().trim().to_string();
    let filled = texts.clone().filter(|n| n.attribute("fill") == Some(fill));
    (texts.map(of).collect(), filled.map(of).collect())
}

/// `mountbench run ARGS… -w WORKLOAD --data-dir DATA --out OUT`, not started.
pub fn run_command(workload: &Path, data: &Path, out: &Path, args: &[&str]) -> StdCommand {
    let mut cmd = StdCommand::new(env!("CARGO_BIN_EXE_mountbench"));
    cmd.arg("run")
        .args(args)
        .arg("-w")
        .arg(workload)
        .arg("--data-dir")
        .arg(data)
        .arg("--out")
        .arg(out);
    cmd
}

/// `mountbench run ARGS… -w WORKLOAD --data-dir DATA --out OUT`, waited for.
pub fn run_cli(workload: &Path, data: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    run_command(workload, data, out, args).output().unwrap()
}

/// `mountbench report DIRS… --out OUT`, waited for.
pub fn report_cli<P: AsRef<Path>>(dirs: &[P], out: &Path) -> std::process::Output {
    mountbench()
        .arg("report")
        .args(dirs.iter().map(|d| d.as_ref()))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// Assert a bad-input failure: exit code 2 and every `want` in stderr. Returns stderr.
pub fn expect_input_error(output: &std::process::Output, wants: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for want in wants {
        assert!(stderr.contains(want), "{want:?} not in {stderr}");
    }
    stderr
}

/// `mountbench run --quiet ARGS… -w WORKLOAD --data-dir DATA --out OUT`, in the background.
pub fn spawn_run(workload: &Path, data: &Path, out: &Path, args: &[&str]) -> Child {
    let mut quiet = vec!["--quiet"];
    quiet.extend_from_slice(args);
    run_command(workload, data, out, &quiet)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait for a spawned run: its exit code and stderr.
pub fn finish(child: Child) -> (Option<i32>, String) {
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Rep rows in reps.csv so far (0 while it does not exist).
pub fn rows_so_far(out: &Path, needle: &str) -> usize {
    std::fs::read_to_string(out.join("reps.csv"))
        .map(|t| t.lines().skip(1).filter(|l| l.contains(needle)).count())
        .unwrap_or(0)
}

pub fn wait_for(what: &str, secs: u64, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// After a fault in the bind target of a TINY run over native,bind: some bind reps failed
/// with their error, nothing else failed, and all `rounds` (warm-ups + reps) of each of the
/// six native metric cells (seq cold and warm, small, checkpoint save, write-fsync and
/// restore) completed.
pub fn only_bind_failed(out: &Path, rounds: usize) {
    let reps = read_csv(&out.join("reps.csv"));
    let failed: Vec<_> = reps.iter().filter(|r| r["ok"] == "false").collect();
    assert!(!failed.is_empty(), "no rep failed");
    assert!(
        failed
            .iter()
            .all(|r| r["target"] == "bind" && !r["error"].is_empty()),
        "{failed:?}"
    );
    let native_ok = reps
        .iter()
        .filter(|r| r["target"] == "native" && r["ok"] == "true")
        .count();
    assert_eq!(
        native_ok,
        (2 + 1 + 3) * rounds,
        "every native rep completed"
    );
}

/// The test VM engine: its endpoint and the host folder it shares (MOUNTBENCH_VM_DOCKER_HOST,
/// MOUNTBENCH_VM_SHARE; scripts/vm/engine.sh start --share DIR). Without them a skip, or a
/// failure with MOUNTBENCH_REQUIRE_VM_ENGINE=1 (CI).
pub fn vm_engine() -> Result<(String, PathBuf), Skip> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (var("MOUNTBENCH_VM_DOCKER_HOST"), var("MOUNTBENCH_VM_SHARE")) {
        (Some(host), Some(share)) => Ok((host, PathBuf::from(share))),
        _ => Err(missing(
            "MOUNTBENCH_REQUIRE_VM_ENGINE",
            "no test VM engine: MOUNTBENCH_VM_DOCKER_HOST and MOUNTBENCH_VM_SHARE are not set; scripts/vm/engine.sh start --share DIR starts one",
        )),
    }
}

/// A run the engine's memory refuses (8 TiB for a tmpfs) after the shared-folder probe ran
/// there, with the data dir under `dir`: exit 2, one line naming the run, nothing left on
/// the host. The run's id, to look for its leftovers on the engine.
pub fn refused_on_the_engine(dir: &Path, args: &[&str]) -> String {
    let text = "[run]\ntargets = [\"tmpfs\"]\n[targets.tmpfs]\nsize = \"16TiB\"\n[targets.container]\nmemory = \"32TiB\"\n[[workload]]\nkind = \"seq-read\"\nname = \"huge\"\nshards = 1\nshard_size = \"8TiB\"\n";
    let workload = write_workload(dir, text);
    let (data, out) = (dir.join("data"), dir.join("out"));
    let mut all = vec!["--quiet"];
    all.extend(args);
    let output = run_cli(&workload, &data, &out, &all);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    for want in [
        "workload \"huge\" on tmpfs",
        "the 8.0TiB the run writes there plus a margin of 819.2GiB",
        "cannot hold",
    ] {
        assert!(lines[0].contains(want), "{want:?} not in {}", lines[0]);
    }
    assert!(!out.exists() && !data.exists(), "nothing left on the host");
    lines[0]
        .split("volumes of run ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no run id in {}", lines[0]))
        .to_string()
}

/// Labelled containers and volumes of one run still on the engine at `host`.
pub fn leftovers_on(host: &str, run_id: &str) -> (usize, usize) {
    let filter = format!("label=io.mountbench.run={run_id}");
    let count = |args: &[&str]| {
        let out = std::process::Command::new("docker")
            .args(["-H", host])
            .args(args)
            .args(["--filter", &filter])
            .output()
            .expect("docker CLI");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    (count(&["ps", "-aq"]), count(&["volume", "ls", "-q"]))
}

/// The mountbench binary under test, which the containers run as their agent.
pub fn agent_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mountbench"))
}

/// The agent binaries of a test: the binary under test alone.
pub fn agents() -> mountbench::targets::agent_binary::AgentBinaries {
    mountbench::targets::agent_binary::AgentBinaries::host_only(agent_exe())
}

/// The arm64 test VM engine (scripts/vm/engine.sh start --arch arm64 --share DIR): its
/// endpoint, the folder it shares and the static aarch64 agent to give it
/// (MOUNTBENCH_ARM64_DOCKER_HOST, MOUNTBENCH_ARM64_SHARE, MOUNTBENCH_ARM64_AGENT, default the
/// cross script's target/agent/aarch64/mountbench). Without them a skip, or a failure with
/// MOUNTBENCH_REQUIRE_ARM64_ENGINE=1.
pub fn arm64_engine() -> Result<(String, PathBuf, PathBuf), Skip> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let cross_built = agent_exe()
        .parent()
        .and_then(Path::parent)
        .map(|t| t.join("agent/aarch64/mountbench"));
    let agent = var("MOUNTBENCH_ARM64_AGENT")
        .map(PathBuf::from)
        .or(cross_built)
        .filter(|p| p.is_file());
    match (
        var("MOUNTBENCH_ARM64_DOCKER_HOST"),
        var("MOUNTBENCH_ARM64_SHARE"),
        agent,
    ) {
        (Some(host), Some(share), Some(agent)) => Ok((host, PathBuf::from(share), agent)),
        _ => Err(missing(
            "MOUNTBENCH_REQUIRE_ARM64_ENGINE",
            "no arm64 test engine: needs MOUNTBENCH_ARM64_DOCKER_HOST and MOUNTBENCH_ARM64_SHARE (scripts/vm/engine.sh start --arch arm64 --share DIR) and an aarch64 agent (scripts/agent/cross.sh aarch64, or MOUNTBENCH_ARM64_AGENT)",
        )),
    }
}
