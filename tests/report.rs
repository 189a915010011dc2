//! Reports from result folders: charts decode, a Linux run merges with a macOS fixture into
//! cross-host charts, and incompatible folders are refused with a clear message.

use crate::common;

use std::path::Path;

use common::{expect_input_error, report_cli, run_cli, write_workload, TINY};
use mountbench::agent::MountFacts;
use mountbench::env::{Env, TargetFacts};
use mountbench::measure::OpHistograms;
use mountbench::results::Results;
use mountbench::targets::flavour::EngineFacts;

trials!(
    two_hosts_merge_into_cross_host_charts,
    incompatible_folders_are_refused_by_name,
    recorded_macos_samples_parse,
    a_slow_engine_cpu_and_a_blind_bind_are_called_out,
    boundary_workloads_get_a_section_and_a_chart_engine_by_engine
);

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/macos");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap()
}

/// A real native run of TINY.
fn linux_run(dir: &Path) -> std::path::PathBuf {
    let workload = write_workload(dir, TINY);
    let out = dir.join("linux");
    let output = run_cli(
        &workload,
        &dir.join("data"),
        &out,
        &["--quiet", "--targets", "native"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// A macOS Docker Desktop result folder built from the Linux run's rows and the recorded
/// Docker Desktop answers: bind slowed 3×, volume 1.1×, tmpfs as native (synthetic).
fn macos_fixture(linux: &Path, dir: &Path) -> std::path::PathBuf {
    let out = dir.join("macos");
    std::fs::create_dir_all(&out).unwrap();
    let mut results = Results::load(linux).unwrap();
    let mut env = Env::load(linux).unwrap();
    let info: serde_json::Value =
        serde_json::from_str(&fixture("docker-desktop-info.json")).unwrap();
    let version: serde_json::Value =
        serde_json::from_str(&fixture("docker-desktop-version.json")).unwrap();
    let engine = EngineFacts::from_answers(info, version, "unix:///var/run/docker.sock", "macos");
    assert_eq!(engine.flavour, "Docker Desktop");
    env.run_id = "FIXTURE-20261101-120000-0000".into();
    env.host.hostname = "FIXTURE-macbook".into();
    env.host.os = "Darwin".into();
    env.host.kernel = "24.1.0".into();
    env.host.arch = "aarch64".into();
    env.engines.insert("default".into(), engine);
    let mountinfo = fixture("mountinfo.txt");
    env.targets = [("bind", "/mb"), ("volume", "/mbv"), ("tmpfs", "/mbt")]
        .into_iter()
        .map(|(t, mp)| TargetFacts {
            engine: "default".into(),
            target: t.into(),
            root: mp.into(),
            mount: MountFacts::from_mountinfo(&mountinfo, Path::new(mp)),
            container: None,
            image: None,
            volume: None,
            cpu: None,
            copy: None,
        })
        .collect();
    assert_eq!(env.targets[0].mount.as_ref().unwrap().fs_type, "fakeowner");
    results.meta.run_id = env.run_id.clone();
    results.meta.host = env.host.hostname.clone();
    let native_rows = results.reps.clone();
    for (target, slowdown) in [("bind", 3.0), ("volume", 1.1), ("tmpfs", 1.0)] {
        for row in &native_rows {
            let mut r = row.clone();
            r.target = target.into();
            r.engine = "default".into();
            r.seconds *= slowdown;
            r.mib_s /= slowdown;
            r.ops_s /= slowdown;
            results.reps.push(r);
        }
        let cells: Vec<_> = results
            .histograms
            .iter()
            .filter(|(k, _)| k.target == "native")
            .map(|(k, h)| (k.clone(), h.clone()))
            .collect();
        for (mut key, hist) in cells {
            key.target = target.into();
            key.engine = "default".into();
            let mut slowed = OpHistograms::default();
            for (op, h) in hist.iter() {
                for v in h.iter_recorded() {
                    for _ in 0..v.count_at_value() {
                        slowed.record(op, (v.value_iterated_to() as f64 * slowdown) as u64);
                    }
                }
            }
            results.histograms.insert(key, slowed);
        }
    }
    for r in results.reps.iter_mut() {
        r.run_id = env.run_id.clone();
        r.host = env.host.hostname.clone();
        r.os = "Darwin 24.1.0".into();
        r.engine_label = "Docker Desktop 27.4.0".into();
    }
    let analysis = mountbench::analysis::analyze(&results);
    mountbench::export::write_all(&out, &results, &analysis).unwrap();
    std::fs::write(
        out.join("env.json"),
        serde_json::to_vec_pretty(&env).unwrap(),
    )
    .unwrap();
    out
}

fn two_hosts_merge_into_cross_host_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let linux = linux_run(tmp.path());
    let macos = macos_fixture(&linux, tmp.path());
    let report = tmp.path().join("report");
    let out = report_cli(&[&linux, &macos], &report);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("## Across hosts"));
    assert!(
        md.contains("FIXTURE-macbook (Darwin, Docker Desktop)"),
        "{md}"
    );
    assert!(md.contains("fakeowner"), "macOS mounts are listed");
    assert!(md.contains("(Linux, no engine)"), "{md}");
    for name in [
        "hosts-ratio",
        "hosts-latency-cdf",
        "fixture-macbook-ratio",
        "fixture-macbook-throughput",
    ] {
        let png = report.join("charts").join(format!("{name}.png"));
        assert!(png.is_file(), "{name}.png");
        common::check_png(&png);
        common::check_svg(&png.with_extension("svg"));
        assert!(
            md.contains(&format!("charts/{name}.png")),
            "report.md links {name}"
        );
    }
    let summary = common::read_csv(&macos.join("summary.csv"));
    let bind = summary
        .iter()
        .find(|s| s["target"] == "bind" && s["workload"] == "seq" && s["phase"] == "warm")
        .unwrap();
    let ratio: f64 = bind["ratio_to_native"].parse().unwrap();
    assert!((ratio - 1.0 / 3.0).abs() < 0.01, "{ratio}");
}

fn incompatible_folders_are_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let linux = linux_run(tmp.path());
    let macos = macos_fixture(&linux, tmp.path());

    let mut env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(macos.join("env.json")).unwrap()).unwrap();
    env["scale"] = serde_json::Value::from(0.5);
    std::fs::write(macos.join("env.json"), serde_json::to_vec(&env).unwrap()).unwrap();
    let out = report_cli(&[&linux, &macos], &tmp.path().join("r0"));
    expect_input_error(&out, &["ran at different scales (1 vs 0.5)"]);
    env["scale"] = serde_json::Value::Null;

    env["workload_file"]["text"] =
        serde_json::Value::String(TINY.replace("shards = 2", "shards = 4"));
    env["workload_file"]["hash"] = serde_json::Value::String("other".into());
    std::fs::write(macos.join("env.json"), serde_json::to_vec(&env).unwrap()).unwrap();
    let out = report_cli(&[&linux, &macos], &tmp.path().join("r1"));
    expect_input_error(&out, &["workload \"seq\" differs", "\"shards\":4"]);
    assert!(!tmp.path().join("r1").exists());

    env["schema"] = serde_json::Value::from(3);
    std::fs::write(macos.join("env.json"), serde_json::to_vec(&env).unwrap()).unwrap();
    let out = report_cli(&[&linux, &macos], &tmp.path().join("r2"));
    expect_input_error(&out, &["schema 3", "macos"]);

    let reps = std::fs::read_to_string(linux.join("reps.csv"))
        .unwrap()
        .replacen("\n2,", "\n3,", 1);
    std::fs::write(linux.join("reps.csv"), reps).unwrap();
    let out = report_cli(&[&linux], &tmp.path().join("r3"));
    expect_input_error(&out, &["schema 3"]);
}

fn recorded_macos_samples_parse() {
    let info: serde_json::Value =
        serde_json::from_str(&fixture("docker-desktop-info.json")).unwrap();
    let version: serde_json::Value =
        serde_json::from_str(&fixture("docker-desktop-version.json")).unwrap();
    let facts = EngineFacts::from_answers(info, version, "unix:///var/run/docker.sock", "macos");
    assert_eq!(
        (
            facts.flavour.as_str(),
            facts.arch.as_str(),
            facts.cgroup_version.as_str()
        ),
        ("Docker Desktop", "aarch64", "2")
    );
    assert!(
        !facts.runs_host_binaries("macos", "aarch64"),
        "macOS hosts need the Dockerfile-built agent"
    );
    let mountinfo = fixture("mountinfo.txt");
    let cases = [
        ("/mb/datasets/x", "fakeowner"),
        ("/mbv", "ext4"),
        ("/mbt/f", "tmpfs"),
        ("/etc", "overlay"),
    ];
    for (path, fs) in cases {
        assert_eq!(
            MountFacts::from_mountinfo(&mountinfo, Path::new(path))
                .unwrap()
                .fs_type,
            fs,
            "{path}"
        );
    }
}

fn a_slow_engine_cpu_and_a_blind_bind_are_called_out() {
    let tmp = tempfile::tempdir().unwrap();
    let linux = linux_run(tmp.path());
    let macos = macos_fixture(&linux, tmp.path());
    let mut env = Env::load(&macos).unwrap();
    for t in env.targets.iter_mut() {
        let seconds = if t.target == "volume" { 0.3 } else { 0.1 };
        t.cpu = mountbench::measure::CpuFacts::new(seconds, 0.1);
    }
    std::fs::write(
        macos.join("env.json"),
        serde_json::to_vec_pretty(&env).unwrap(),
    )
    .unwrap();
    let report = tmp.path().join("report");
    let out = report_cli(&[&macos], &report);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    let wants = [
        "- `volume`: 300.0 ms, **0.33× the host: emulated or throttled**",
        "- `bind`: 100.0 ms, 1.00× the host",
        "**Warning:** the CPU where volume (0.33×) ran is below 0.5× the host's",
        "residency is unknown on bind (fakeowner)",
        "| seq | bind | warm (unverified) | read |",
        "| seq | volume | warm | read |",
    ];
    for want in wants {
        assert!(md.contains(want), "{want:?} not in {md}");
    }
    let bind_rows = md.lines().filter(|l| l.starts_with("| seq | bind |"));
    for line in bind_rows {
        assert!(
            line.contains("| unknown |"),
            "never 0% where mincore is blind: {line}"
        );
    }
}

/// A latency as the report writes it: a figure and its unit, or "at once" for a change the
/// look already under way found (whatever this machine measured).
fn is_duration(text: &str) -> bool {
    let measured = text.split_once(' ').is_some_and(|(figure, unit)| {
        figure.parse::<f64>().is_ok() && ["ns", "µs", "ms", "s"].contains(&unit)
    });
    measured || text == "at once"
}

fn boundary_workloads_get_a_section_and_a_chart_engine_by_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), common::boundary::WORKLOADS);
    let native = tmp.path().join("native");
    let args = ["--quiet", "--targets", "native"];
    let output = run_cli(&workload, &tmp.path().join("data"), &native, &args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let engines = common::boundary::engines_fixture(&native, tmp.path());
    let report = tmp.path().join("report");
    let out = report_cli(&[&native, &engines], &report);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert_eq!(
        md.matches("### Boundary: changes across the mount").count(),
        2,
        "one per host"
    );

    let host = md.split("## FIXTURE-boundary").nth(1).unwrap();
    let section = host.split("### Boundary").nth(1).unwrap();
    let headings: Vec<&str> = section.lines().filter(|l| l.starts_with("#### ")).collect();
    assert_eq!(headings.len(), 3, "{headings:?}");
    assert!(headings[0].starts_with("#### native — both sides on the host"));
    assert!(
        headings[1].starts_with("#### engine `default` — "),
        "{}",
        headings[1]
    );
    assert!(
        headings[2].starts_with("#### engine `vm` — "),
        "{}",
        headings[2]
    );
    let wants = [
        "| coherence-in | native | host → host, reads | 24 | 24 of 24 | 0 of 24 | 0 of 24 |",
        "| coherence-out | bind | container → host, reads | 24 | 24 of 24 | 0 of 24 | 0 of 24 |",
        "| watch | volume | 2nd container → container, inotify | 24 | 24 of 24 | – | 0 of 24 |",
        "| coherence-in | bind@vm | host → container, reads | 24 | 21 of 24 | **2 of 24** | **3 of 24** |",
        "| watch | bind@vm | host → container, inotify | 24 | 23 of 24 | – | **1 of 24** |",
    ];
    let lines: Vec<&str> = section.lines().filter(|l| l.starts_with("| ")).collect();
    for want in wants {
        let line = lines
            .iter()
            .find(|l| l.starts_with(want))
            .unwrap_or_else(|| panic!("{want} in {section}"));
        let cells: Vec<&str> = line.split(" | ").collect();
        for latency in &cells[7..9] {
            assert!(is_duration(latency), "{latency} in {line}");
        }
        assert_eq!(cells[9], "2 |", "measured reps in {line}");
    }
    assert!(
        section.contains("(charts/fixture-boundary-boundary.png)"),
        "the chart sits in its section"
    );
    for line in md
        .lines()
        .filter(|l| l.starts_with("| coherence") || l.starts_with("| watch"))
    {
        assert!(
            line.contains(" → "),
            "a boundary metric outside its section: {line}"
        );
    }
    assert!(
        md.contains("| seq | bind@vm | warm | read |"),
        "rates keep their table"
    );

    let charts = report.join("charts");
    let png = charts.join("fixture-boundary-boundary.png");
    common::check_png(&png);
    common::check_svg(&png.with_extension("svg"));
    let (texts, red) = common::svg_texts(&png.with_extension("svg"), "#C81E1E");
    for want in [
        "coherence-in: host → container, time until read back",
        "watch: time until its inotify event",
        "host",
        "engine default",
        "engine vm",
        "volume",
        "stale 0/24",
    ] {
        assert!(texts.iter().any(|t| t == want), "{want} not in {texts:?}");
    }
    assert_eq!(red, ["stale 2/24", "lost 3/24", "missed 1/24"]);
    let img = image::open(&png).unwrap().to_rgb8();
    let alarm = img.pixels().filter(|p| p.0 == [200, 30, 30]).count();
    assert!(alarm > 20, "alarms are red in the PNG too ({alarm} pixels)");
    for name in ["ratio", "throughput", "latency"] {
        let svg = charts.join(format!("fixture-boundary-{name}.svg"));
        let (texts, _) = common::svg_texts(&svg, "");
        assert!(texts.iter().any(|t| t.contains("seq")), "{name} shows seq");
        let boundary = texts
            .iter()
            .find(|t| t.contains("coherence") || t.contains("watch"));
        assert_eq!(boundary, None, "{name} shows a boundary workload");
    }
    let host_charts = std::fs::read_dir(&charts).unwrap().flatten();
    let boundary_charts =
        host_charts.filter(|e| e.file_name().to_string_lossy().ends_with("-boundary.png"));
    assert_eq!(boundary_charts.count(), 2, "one boundary chart per host");
}
