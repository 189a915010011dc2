//! Boundary workloads for report tests: a native run of coherence both ways, watch and one
//! rate workload, and a result folder built from it with two engines (synthetic: rows
//! copied onto `bind`, `volume` and `bind@vm`, slowed, and some changes made stale, lost or
//! missed on the vm).

use std::path::{Path, PathBuf};

use mountbench::engine::identity::EngineFacts;
use mountbench::env::Env;
use mountbench::measure::OpHistograms;
use mountbench::metric::Metric;
use mountbench::results::{RepRow, Results};

/// 12 changes a rep, 2 measured reps and a warm-up: 24 changes a cell. The limits are long:
/// nothing native is lost, however loaded the machine, and they cost nothing when seen.
pub const WORKLOADS: &str = r#"
[run]
reps = 2
warmup = 1
seed = 7

[[workload]]
kind = "seq-read"
name = "seq"
shards = 1
shard_size = "1MiB"
block_size = "256KiB"

[[workload]]
name = "coherence-in"
kind = "coherence"
changes = 12
limit = "10s"

[[workload]]
name = "coherence-out"
kind = "coherence"
changes = 12
limit = "10s"
direction = "container-to-host"

[[workload]]
name = "watch"
kind = "watch"
changes = 12
limit = "10s"
"#;

/// (engine, target, how many times slower, workloads it runs): volume has no host side, so
/// no coherence.
const COPIES: [(&str, &str, f64, &[&str]); 3] = [
    (
        "default",
        "bind",
        2.0,
        &["seq", "coherence-in", "coherence-out", "watch"],
    ),
    ("default", "volume", 3.0, &["seq", "watch"]),
    (
        "vm",
        "bind",
        5.0,
        &["seq", "coherence-in", "coherence-out", "watch"],
    ),
];

/// The native run at `native` with two engines' targets added, written to `dir/engines`.
pub fn engines_fixture(native: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("engines");
    std::fs::create_dir_all(&out).unwrap();
    let mut results = Results::load(native).unwrap();
    let mut env = Env::load(native).unwrap();
    env.run_id = "FIXTURE-20261125-000000-0000".into();
    env.host.hostname = "FIXTURE-boundary".into();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/macos");
    let answer = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(fixtures.join(name)).unwrap()).unwrap()
    };
    for name in ["default", "vm"] {
        let engine = EngineFacts::from_answers(
            answer("docker-desktop-info.json"),
            answer("docker-desktop-version.json"),
            "unix:///var/run/docker.sock",
            "linux",
        );
        env.engines.insert(name.into(), engine);
    }
    let native_rows = results.reps.clone();
    for (engine, target, slowdown, workloads) in COPIES {
        for row in native_rows
            .iter()
            .filter(|r| workloads.contains(&r.workload.as_str()))
        {
            let mut r = row.clone();
            (r.engine, r.target) = (engine.into(), target.parse().unwrap());
            r.seconds *= slowdown;
            r.mib_s /= slowdown;
            r.ops_s /= slowdown;
            if engine == "vm" && !r.warmup && r.rep == first_measured(&native_rows) {
                lose(&mut r);
            }
            results.reps.push(r);
        }
        let cells: Vec<_> = results
            .histograms
            .iter()
            .filter(|(k, _)| k.target.is_native() && workloads.contains(&k.workload.as_str()))
            .map(|(k, h)| (k.clone(), slowed(h, slowdown)))
            .collect();
        for (mut key, hist) in cells {
            (key.engine, key.target) = (engine.into(), target.parse().unwrap());
            results.histograms.insert(key, hist);
        }
    }
    for r in results.reps.iter_mut() {
        (r.run_id, r.host) = (env.run_id.clone(), env.host.hostname.clone());
    }
    results.meta.run_id = env.run_id.clone();
    results.meta.host = env.host.hostname.clone();
    let analysis = mountbench::analysis::analyze(&results);
    mountbench::export::write_all(&out, &results, &analysis).unwrap();
    std::fs::write(
        out.join("env.json"),
        serde_json::to_vec_pretty(&env).unwrap(),
    )
    .unwrap();
    out
}

fn first_measured(rows: &[RepRow]) -> u32 {
    rows.iter()
        .filter(|r| !r.warmup)
        .map(|r| r.rep)
        .min()
        .unwrap()
}

/// On the vm, coherence-in loses 3 of a rep's changes and sees 2 stale; watch misses 1.
fn lose(r: &mut RepRow) {
    let shift = |r: &mut RepRow, n: u64| match r.metric {
        Metric::Seen | Metric::Delivered => r.ops -= n,
        Metric::Lost | Metric::Missed => r.ops += n,
        _ => {}
    };
    match (r.workload.as_str(), r.metric) {
        ("coherence-in", Metric::Stale) => r.ops = 2,
        ("coherence-in", _) => shift(r, 3),
        ("watch", _) => shift(r, 1),
        _ => {}
    }
}

fn slowed(h: &OpHistograms, factor: f64) -> OpHistograms {
    let mut slowed = OpHistograms::default();
    for (op, h) in h.iter() {
        for v in h.iter_recorded() {
            for _ in 0..v.count_at_value() {
                slowed.record(op, (v.value_iterated_to() as f64 * factor) as u64);
            }
        }
    }
    slowed
}
