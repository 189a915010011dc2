//! Reports from result folders: charts decode, a Linux run merges with a macOS fixture into
//! cross-host charts, and incompatible folders are refused with a clear message.

use crate::common;

use std::path::Path;

use common::{expect_input_error, report_cli, run_cli, write_workload, TINY};
use mountbench::agent::MountFacts;
use mountbench::engine::identity::EngineFacts;
use mountbench::env::{Env, TargetFacts};
use mountbench::measure::OpHistograms;
use mountbench::results::Results;

trials!(
    two_hosts_merge_into_cross_host_charts,
    incompatible_folders_are_refused_by_name,
    recorded_macos_samples_parse,
    a_slow_engine_cpu_and_a_blind_bind_are_called_out,
    boundary_workloads_get_a_section_and_a_chart_engine_by_engine,
    committed_result_folders_re_render_byte_identical,
    the_committed_two_host_report_re_renders_byte_identical,
    committed_result_folders_re_export_byte_identical,
    a_result_file_with_an_unknown_target_or_phase_is_refused_by_name,
    every_target_kind_gets_its_own_column_colour_and_legend_entry
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
            r.target = target.parse().unwrap();
            r.engine = "default".into();
            r.seconds *= slowdown;
            r.mib_s /= slowdown;
            r.ops_s /= slowdown;
            results.reps.push(r);
        }
        let cells: Vec<_> = results
            .histograms
            .iter()
            .filter(|(k, _)| k.target.is_native())
            .map(|(k, h)| (k.clone(), h.clone()))
            .collect();
        for (mut key, hist) in cells {
            key.target = target.parse().unwrap();
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

/// The committed single-run result folders under results/ (those with a reps.csv), as paths
/// relative to the crate root, where tests run.
fn committed_result_folders() -> Vec<std::path::PathBuf> {
    let mut dirs = Vec::new();
    let mut todo = vec![std::path::PathBuf::from("results")];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.file_name().is_some_and(|n| n == "reps.csv") {
                dirs.push(dir.clone());
            }
        }
    }
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "results/ holds the sample folders: {dirs:?}"
    );
    dirs
}

/// Every file of `dir` (one level, and its charts/), by name.
fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    for sub in [dir.to_path_buf(), dir.join("charts")] {
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn committed_result_folders_re_render_byte_identical() {
    for dir in committed_result_folders() {
        let tmp = tempfile::tempdir().unwrap();
        mountbench::report::render_dirs(std::slice::from_ref(&dir), tmp.path()).unwrap();
        let rendered = files(tmp.path());
        let committed = files(&dir);
        let shown = |f: &std::collections::BTreeMap<String, Vec<u8>>| -> Vec<String> {
            f.keys()
                .filter(|n| n.starts_with("charts/") || *n == "report.md")
                .cloned()
                .collect()
        };
        assert_eq!(shown(&rendered), shown(&committed), "{}", dir.display());
        for (name, bytes) in &rendered {
            assert!(
                committed[name] == *bytes,
                "{}/{name} re-renders differently",
                dir.display()
            );
        }
    }
}

/// results/hosts/xeon-vs-epyc is `mountbench report` of two committed runs (its README).
fn the_committed_two_host_report_re_renders_byte_identical() {
    let runs = [
        Path::new("results/vm/20261125-023354-363c").to_path_buf(),
        Path::new("results/vm/20261124-011219-db7b").to_path_buf(),
    ];
    let tmp = tempfile::tempdir().unwrap();
    mountbench::report::render_dirs(&runs, tmp.path()).unwrap();
    let rendered = files(tmp.path());
    let committed = files(Path::new("results/hosts/xeon-vs-epyc"));
    assert_eq!(
        rendered.keys().collect::<Vec<_>>(),
        committed.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &rendered {
        assert!(
            committed[name] == *bytes,
            "xeon-vs-epyc/{name} re-renders differently"
        );
    }
}

fn committed_result_folders_re_export_byte_identical() {
    let mut compared = 0;
    for dir in committed_result_folders() {
        let results = Results::load(&dir).unwrap();
        let histograms = std::fs::read_to_string(dir.join("histograms.json")).unwrap();
        if histograms.contains("\"schema\": 1,") {
            // Upgraded to schema 2 on load: written back, it is schema 2 by design.
            continue;
        }
        let env = Env::load(&dir).unwrap();
        let goal = env.target_ci.map(|target| mountbench::analysis::CiGoal {
            target,
            max_reps: env.max_reps.unwrap_or(env.reps),
        });
        let analysis = mountbench::analysis::analyze_with_goal(&results, goal);
        let tmp = tempfile::tempdir().unwrap();
        mountbench::export::write_all(tmp.path(), &results, &analysis).unwrap();
        let committed = files(&dir);
        for (name, bytes) in files(tmp.path()) {
            let header = |b: &[u8]| b.split(|c| *c == b'\n').next().map(<[u8]>::to_vec);
            if header(&committed[&name]) != header(&bytes) {
                // Written before a column was added (schema 2 grew `cache_check`).
                continue;
            }
            assert!(
                committed[&name] == bytes,
                "{}/{name} re-exports differently",
                dir.display()
            );
            compared += 1;
        }
    }
    assert!(compared >= 20, "only {compared} files compared");
}

fn a_result_file_with_an_unknown_target_or_phase_is_refused_by_name() {
    let source = Path::new("results/vm/20261125-023354-363c");
    for (from, to, want) in [
        (",bind,", ",nfs,", "unknown target \"nfs\""),
        (",warm,", ",hot,", "hot"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        std::fs::create_dir(&dir).unwrap();
        for name in ["reps.csv", "summary.csv", "histograms.json", "env.json"] {
            std::fs::copy(source.join(name), dir.join(name)).unwrap();
        }
        let reps = std::fs::read_to_string(dir.join("reps.csv")).unwrap();
        assert!(reps.contains(from));
        std::fs::write(dir.join("reps.csv"), reps.replacen(from, to, 1)).unwrap();
        let out = tmp.path().join("report");
        let stderr = expect_input_error(&report_cli(&[&dir], &out), &["reps.csv:", want]);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(!out.exists(), "nothing created");
    }
}

fn every_target_kind_gets_its_own_column_colour_and_legend_entry() {
    use mountbench::cell::{EngineName, TargetKind, TargetSpec};
    let source = Path::new("results/vm/20261125-023354-363c");
    let mut results = Results::load(source).unwrap();
    let bind = TargetSpec::new(TargetKind::Bind);
    let engine = EngineName::default_engine();
    let missing: Vec<TargetSpec> = TargetSpec::all()
        .filter(|t| !results.reps.iter().any(|r| r.target == *t))
        .collect();
    let bind_reps: Vec<_> = results
        .reps
        .iter()
        .filter(|r| r.target == bind)
        .cloned()
        .collect();
    let bind_cells: Vec<_> = results
        .histograms
        .iter()
        .filter(|(k, _)| k.target == bind)
        .map(|(k, h)| (k.clone(), h.clone()))
        .collect();
    for target in &missing {
        for r in &bind_reps {
            let mut r = r.clone();
            (r.engine, r.target) = (engine.clone(), *target);
            results.reps.push(r);
        }
        for (key, h) in &bind_cells {
            results.histograms.insert(key.on(*target), h.clone());
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(source.join("env.json"), dir.join("env.json")).unwrap();
    let analysis = mountbench::analysis::analyze(&results);
    mountbench::export::write_all(&dir, &results, &analysis).unwrap();
    let out = tmp.path().join("report");
    mountbench::report::render_dirs(&[dir], &out).unwrap();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let svg = std::fs::read_to_string(out.join("charts/vm-throughput.svg")).unwrap();
    let mut colours = std::collections::BTreeSet::new();
    for target in TargetSpec::all() {
        assert!(
            md.contains(&format!("| {target} |")),
            "{target} has no table row"
        );
        if !target.is_native() {
            let column = format!(" {target} warm |");
            assert!(md.contains(&column), "{target} has no ratio column");
        }
        let entry = format!("\n{target}\n</text>");
        assert!(svg.contains(&entry), "{target} is not in the legend");
        let before = svg.split(&entry).next().unwrap();
        let swatch = before.rsplit("<rect").next().unwrap();
        let fill = swatch.split("fill=\"").nth(1).unwrap();
        colours.insert(fill[..7].to_string());
    }
    assert_eq!(colours.len(), TargetSpec::all().count(), "{colours:?}");
}
