//! A real run on the native target: result files present and plausible, charts decode,
//! datasets reused on the next run.

use crate::common;

use common::{check_png, check_svg, read_csv, run_cli, write_workload, TINY};

trials!(native_run_writes_plausible_results_and_charts);

fn native_run_writes_plausible_results_and_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), TINY);
    let out = tmp.path().join("out");
    let data = tmp.path().join("data");
    let output = run_cli(&workload, &data, &out, &["--targets", "native"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("generated in"),
        "dataset generation speed is reported: {stderr}"
    );

    let reps = read_csv(&out.join("reps.csv"));
    // seq: 2 phases, small: 1, ckpt: 1 phase × 3 metrics; (1 warm-up + 2 reps) each.
    assert_eq!(reps.len(), (2 + 1 + 3) * 3);
    for r in &reps {
        assert_eq!(r["ok"], "true", "{r:?}");
        assert_eq!(r["schema"], "2");
        let mib_s: f64 = r["mib_s"].parse().unwrap();
        assert!(
            mib_s > 0.0 && mib_s < 1e6,
            "implausible MiB/s {mib_s}: {r:?}"
        );
        let p50: f64 = r["p50_us"].parse().unwrap();
        let p99: f64 = r["p99_us"].parse().unwrap();
        assert!(p50 > 0.0 && p99 >= p50, "{r:?}");
    }
    // A warm seq rep makes its 3 passes over the 4 MiB of shards, a cold one a single pass.
    for r in reps.iter().filter(|r| r["workload"] == "seq") {
        let passes = if r["phase"] == "warm" { 3 } else { 1 };
        assert_eq!(r["bytes"], ((passes * 4) << 20).to_string(), "{r:?}");
    }
    let residency = |phase: &str, workload: &str| -> f64 {
        reps.iter()
            .filter(|r| r["phase"] == phase && r["workload"] == workload)
            .map(|r| r["residency"].parse::<f64>().unwrap())
            .fold(0.0, f64::max)
    };
    assert!(residency("warm", "seq") > 0.99, "warm means cached");
    assert!(
        residency("cold", "seq") < 0.5,
        "cold means evicted (measured by mincore)"
    );

    let summary = read_csv(&out.join("summary.csv"));
    assert_eq!(summary.len(), 6);
    for s in &summary {
        assert_eq!(s["reps"], "2");
        assert_eq!(s["ratio_to_native"].parse::<f64>().unwrap(), 1.0);
        let (lo, med, hi): (f64, f64, f64) = (
            s["ci_low_mib_s"].parse().unwrap(),
            s["median_mib_s"].parse().unwrap(),
            s["ci_high_mib_s"].parse().unwrap(),
        );
        assert!(lo <= med && med <= hi, "{s:?}");
    }
    let latency = read_csv(&out.join("latency.csv"));
    for op in [
        "read",
        "open",
        "stat",
        "file",
        "write",
        "fsync",
        "fsync-dir",
        "rename",
        "restore",
    ] {
        assert!(
            latency.iter().any(|l| l["op"] == op),
            "latency.csv lacks {op}"
        );
    }
    let env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("env.json")).unwrap()).unwrap();
    assert_eq!(env["schema"], 2);
    assert!(env["host"]["cores"].as_u64().unwrap() >= 1);
    assert!(!env["host"]["data_mount"]["fs_type"]
        .as_str()
        .unwrap()
        .is_empty());
    assert!(env["workload_file"]["text"]
        .as_str()
        .unwrap()
        .contains("seq-read"));
    let hist: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("histograms.json")).unwrap())
            .unwrap();
    assert_eq!(hist["cells"].as_array().unwrap().len(), 4);

    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("| seq | native | cold | read |"),
        "{report}"
    );
    let charts: Vec<_> = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let pngs: Vec<_> = charts
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert!(pngs.len() >= 4, "{charts:?}");
    for p in pngs {
        check_png(p);
        check_svg(&p.with_extension("svg"));
        assert!(
            report.contains(p.file_name().unwrap().to_str().unwrap()),
            "report.md links {}",
            p.display()
        );
    }

    // Same data dir again: datasets are reused, a new --out is required.
    let again = run_cli(
        &workload,
        &data,
        &tmp.path().join("out2"),
        &["--targets", "native", "--reps", "1", "--warmup", "0"],
    );
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(
        stderr.contains("reused") && !stderr.contains("generated in"),
        "{stderr}"
    );
    let clobber = run_cli(&workload, &data, &out, &["--targets", "native"]);
    assert_eq!(
        clobber.status.code(),
        Some(2),
        "an existing results folder is never overwritten"
    );
}
