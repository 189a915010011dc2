//! The ML workloads end to end on real targets: a training epoch reports AU% with its CI,
//! random reads, metadata storms, a backup → restore round trip verified byte for byte
//! inside the agent, and two containers sharing a volume where the reader sees every
//! sample exactly once. Charts for AU and data wait decode.

use crate::common;
use common::Ran;

use common::{
    check_png, docker_available, leftovers, read_csv, run_cli, run_id_of, write_workload,
};

trials!(ml_workloads_run_on_every_target_with_au_and_verified_round_trips);

const ML: &str = r#"
[run]
reps = 2
warmup = 1
seed = 5

[targets.tmpfs]
size = "64MiB"

[targets.container]
memory = "512MiB"

[[workload]]
kind = "train-epoch"
name = "train"
dirs = 2
files_per_dir = 64
median_size = "16KiB"
batch_size = 16
prefetch = 2
threads = 2
compute_time = "2ms"

[[workload]]
kind = "random-read"
name = "random"
shards = 2
shard_size = "4MiB"
reads = 500
threads = 2

[[workload]]
kind = "metadata"
name = "meta"
dirs = 4
files_per_dir = 50
threads = 2

[[workload]]
kind = "backup-restore"
name = "backup"
dirs = 2
files_per_dir = 30
median_size = "16KiB"

[[workload]]
kind = "shared-volume"
name = "shared"
samples = 150
sample_size = "16KiB"
"#;

fn ml_workloads_run_on_every_target_with_au_and_verified_round_trips() -> Ran {
    docker_available()?;
    let targets = "native,bind,volume,tmpfs";
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), ML);
    let out = tmp.path().join("out");
    let output = run_cli(
        &workload,
        &tmp.path().join("data"),
        &out,
        &["--targets", targets],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("shared/tmpfs/warm: shared-volume needs two containers"),
        "{stderr}"
    );
    assert_eq!(leftovers(&run_id_of(&out)), (0, 0));

    let reps = read_csv(&out.join("reps.csv"));
    assert!(reps.iter().all(|r| r["ok"] == "true"), "{reps:?}");
    for target in targets.split(',') {
        let on = |(workload, metric): (&str, &str)| -> Vec<_> {
            reps.iter()
                .filter(|r| {
                    r["workload"] == workload && r["metric"] == metric && r["target"] == target
                })
                .collect()
        };
        // Every sample once per epoch, AU in (0, 1].
        for r in on(("train", "epoch")) {
            assert_eq!(r["ops"], "128", "{r:?}");
            let au: f64 = r["au"].parse().unwrap();
            assert!(au > 0.0 && au <= 1.0, "{r:?}");
        }
        for r in on(("random", "read")) {
            assert_eq!(r["ops"], "500");
        }
        for metric in ["create", "stat", "rename", "unlink"] {
            for r in on(("meta", metric)) {
                assert_eq!(r["ops"], "200", "{r:?}");
                assert!(r["ops_s"].parse::<f64>().unwrap() > 0.0);
            }
        }
        // The agent fails a rep whose restored bytes differ from the manifest.
        for metric in ["backup", "extract"] {
            let rows = on(("backup", metric));
            assert_eq!(rows.len(), 3, "{target} {metric}");
            assert!(rows.iter().all(|r| r["ops"] == "60"));
        }
        // The reader fails its rep on a missing, damaged or foreign sample; ops counts
        // distinct samples seen.
        let shared = on(("shared", "visible"));
        if target == "tmpfs" {
            assert!(shared.is_empty());
        } else {
            assert_eq!(shared.len(), 3, "{target}");
            assert!(shared.iter().all(|r| r["ops"] == "150"), "{shared:?}");
        }
    }

    let summary = read_csv(&out.join("summary.csv"));
    let train: Vec<_> = summary
        .iter()
        .filter(|s| s["workload"] == "train")
        .collect();
    assert_eq!(train.len(), targets.split(',').count());
    for s in &train {
        let (lo, au, hi): (f64, f64, f64) = (
            s["au_ci_low"].parse().unwrap(),
            s["au"].parse().unwrap(),
            s["au_ci_high"].parse().unwrap(),
        );
        assert!(lo <= au && au <= hi && hi <= 1.0, "{s:?}");
        assert_eq!(s["au_pass"] == "true", au >= 0.9, "{s:?}");
    }
    // Metadata has no bytes: its ratio and noise follow ops/s.
    let stat = summary
        .iter()
        .find(|s| s["workload"] == "meta" && s["metric"] == "stat" && s["target"] == "native")
        .unwrap();
    assert_eq!(stat["ratio_to_native"], "1.0");
    let latency = read_csv(&out.join("latency.csv"));
    for op in [
        "data-wait",
        "visible",
        "archive",
        "extract",
        "create",
        "unlink",
    ] {
        assert!(latency.iter().any(|l| l["op"] == op), "{op} in latency.csv");
    }
    for chart in ["au", "data-wait", "throughput", "latency"] {
        let host = std::fs::read_dir(out.join("charts"))
            .unwrap()
            .filter_map(|e| e.ok())
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .ends_with(&format!("-{chart}.png"))
            })
            .unwrap_or_else(|| panic!("{chart} chart"));
        check_png(&host.path());
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("AU"), "report.md names AU");
    Ok(())
}
