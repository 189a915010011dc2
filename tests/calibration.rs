//! The context recorded with every target: the speed of the CPU its agent ran on against the
//! host's (env.json, report.md), and the page-cache residency of its data where mincore can
//! see it — empty (unknown, never 0) where it cannot, with the phase marked unverified.

use crate::common;
use common::Ran;

use std::path::Path;

use common::{docker_available, leftovers, read_csv, run_cli, run_id_of, write_workload, TINY};
use mountbench::env::Env;

trials!(
    native_tmpfs_and_bind_record_cpu_speed_and_residency,
    a_native_run_calibrates_its_cpu_against_itself
);

/// Every target's CPU facts: positive times, the host's shared by all, speed their ratio,
/// native exactly 1.
fn check_cpu(env: &Env, targets: &[&str]) {
    let native = env.targets.iter().find(|t| t.target == "native");
    let host = native.and_then(|t| t.cpu.as_ref()).map(|c| c.seconds);
    for name in targets {
        let t = env.targets.iter().find(|t| t.target == *name);
        let cpu = t.and_then(|t| t.cpu.as_ref());
        let cpu = cpu.unwrap_or_else(|| panic!("{name}: no cpu in env.json"));
        assert!(
            cpu.seconds > 0.0 && cpu.host_seconds > 0.0,
            "{name}: {cpu:?}"
        );
        assert_eq!(
            Some(cpu.host_seconds),
            host,
            "{name}: native's time is the host's"
        );
        assert!((cpu.speed - cpu.host_seconds / cpu.seconds).abs() < 1e-9);
        if *name == "native" {
            assert_eq!(cpu.speed, 1.0);
        }
    }
}

/// Dataset reps (seq, small) carry a residency exactly where the target's mount lets mincore
/// see the page cache; warm seq reps there are cached. Returns the blind targets.
fn check_residency(out: &Path, env: &Env) -> Vec<String> {
    let reps = read_csv(&out.join("reps.csv"));
    let mut blind = Vec::new();
    for t in &env.targets {
        let mount = t.mount.as_ref().expect("mount facts");
        assert!(mount.fs_kind.is_some(), "{}: fs_kind recorded", t.target);
        let visible = mount.page_cache_visible();
        if !visible {
            blind.push(t.target.clone());
        }
        let rows = reps
            .iter()
            .filter(|r| r["target"] == t.target && r["workload"] != "ckpt");
        for r in rows {
            assert_eq!(!r["residency"].is_empty(), visible, "{}: {r:?}", t.target);
            if visible && r["workload"] == "seq" && r["phase"] == "warm" {
                let cached: f64 = r["residency"].parse().unwrap();
                assert!(cached > 0.9, "{}: warm seq {cached}", t.target);
            }
        }
    }
    blind
}

fn native_tmpfs_and_bind_record_cpu_speed_and_residency() -> Ran {
    docker_available()?;
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), TINY);
    let out = tmp.path().join("out");
    let targets = ["native", "tmpfs", "bind", "layer"];
    let args = ["--reps", "1", "--targets", "native,tmpfs,bind,layer"];
    let output = run_cli(&workload, &tmp.path().join("data"), &out, &args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let env = Env::load(&out).unwrap();
    check_cpu(&env, &targets);
    let blind = check_residency(&out, &env);
    // A tmpfs is always one, and mincore sees its pages; the layer is FUSE on engines with
    // the fuse-overlayfs storage driver (this one in CI), overlay elsewhere.
    assert!(!blind.contains(&"tmpfs".to_string()), "{blind:?}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("CPU speed where each target's agent ran"),
        "{md}"
    );
    for t in targets {
        assert!(md.contains(&format!("- `{t}`: ")), "a line for {t}: {md}");
    }
    for t in &blind {
        assert!(md.contains(&format!("| {t} | warm (unverified) |")), "{md}");
        assert!(stdout.contains("unverified"), "{stdout}");
        assert!(
            stdout.contains(&format!("residency is unknown on {t}")),
            "{stdout}"
        );
    }
    assert_eq!(leftovers(&run_id_of(&out)), (0, 0));
    Ok(())
}

fn a_native_run_calibrates_its_cpu_against_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let workload = write_workload(tmp.path(), TINY);
    let out = tmp.path().join("out");
    let args = ["--quiet", "--reps", "1", "--targets", "native"];
    let output = run_cli(&workload, &tmp.path().join("data"), &out, &args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let env = Env::load(&out).unwrap();
    check_cpu(&env, &["native"]);
    let blind = check_residency(&out, &env);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.contains("unverified"), !blind.is_empty(), "{stdout}");
    assert!(!stdout.contains("emulated or throttled"), "{stdout}");
}
