use std::io;
use std::path::PathBuf;
use std::time::Instant;

use super::*;
use crate::agent::run_rep;
use crate::workload::{Params, Phase, RepSpec, Role, Workload};

fn saw(facts: &str) -> Outcome {
    Outcome::saw(facts, "detail varies")
}

#[test]
fn verdicts_compare_facts_not_details() {
    let native = saw("two files");
    let failed = Outcome::failed("setxattr", &io::Error::from_raw_os_error(libc::EOPNOTSUPP));
    let skipped = Outcome::Skipped {
        note: "no host side".into(),
    };
    let cases = [
        (
            Some(&native),
            Outcome::saw("two files", "other"),
            Verdict::AsNative,
        ),
        (Some(&native), saw("one file"), Verdict::Differs),
        (Some(&native), failed.clone(), Verdict::Fails),
        (Some(&failed), failed.clone(), Verdict::AsNative),
        (Some(&failed), saw("two files"), Verdict::Differs),
        (Some(&native), skipped.clone(), Verdict::Skipped),
        (None, saw("two files"), Verdict::Skipped),
    ];
    for (native, here, want) in cases {
        assert_eq!(judge(native, &here).0, want, "{here:?} against {native:?}");
    }
    let (_, evidence) = judge(Some(&native), &failed);
    assert_eq!(
        evidence,
        format!(
            "setxattr: EOPNOTSUPP ({}) (native: two files (detail varies))",
            libc::EOPNOTSUPP
        )
    );
}

#[test]
fn probe_names_round_trip_and_unknown_ones_list_the_known() {
    for p in Probe::ALL {
        assert_eq!(p.name().parse::<Probe>(), Ok(p));
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            format!("\"{}\"", p.name())
        );
    }
    let err = "flok".parse::<Probe>().unwrap_err();
    assert!(
        err.starts_with("unknown probe 'flok' (known: o-direct, "),
        "{err}"
    );
    assert!(err.ends_with("owner, chown)"), "{err}");
}

#[test]
fn mtime_steps_are_the_largest_power_of_ten_dividing_the_nanoseconds() {
    let cases = [
        (123_456_789, "1 ns"),
        (123_456_780, "10 ns"),
        (123_456_000, "1 µs"),
        (120_000_000, "10 ms"),
        (0, "1 s"),
    ];
    for (nanos, want) in cases {
        assert_eq!(attrs::resolution_of(nanos), want, "{nanos}");
    }
}

fn spec(root: &std::path::Path, probes: Vec<Probe>) -> RepSpec {
    RepSpec {
        workload: Workload {
            name: "sem".into(),
            phases: vec![Phase::Warm],
            threads: 1,
            direct: false,
            seed: 1,
            loops: 1,
            params: Params::Semantics(Semantics { probes, fsyncs: 20 }),
        },
        phase: Phase::Warm,
        root: root.to_path_buf(),
        scratch: "t".into(),
        seq: 3,
        backup: PathBuf::new(),
        role: Role::Solo,
        data_root: None,
    }
}

/// On the host's own filesystem every probe runs to its end; what it finds depends on that
/// filesystem, so only the ones every Linux data dir agrees on are pinned.
#[test]
fn every_probe_answers_natively_and_leaves_nothing() {
    let root = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
    let result = run_rep(&spec(root.path(), Vec::new()), Instant::now()).unwrap();
    let probes: Vec<Probe> = result.probes.iter().map(|o| o.probe).collect();
    let one_sided: Vec<Probe> = Probe::ALL.into_iter().filter(|p| !p.two_sided()).collect();
    assert_eq!(probes, one_sided);
    for o in &result.probes {
        assert!(matches!(o.outcome, Outcome::Saw { .. }), "{o:?}");
        assert!(o.micros > 0.0, "{o:?}");
    }
    let facts = |p: Probe| result.probes[p as usize].outcome.describe();
    assert_eq!(facts(Probe::Case), "Case and case are 2 files");
    assert_eq!(
        facts(Probe::HardLink),
        "one inode, nlink 2, a write through one name seen through the other"
    );
    assert!(facts(Probe::LongName).ends_with("256 bytes refused with ENAMETOOLONG"));
    assert!(facts(Probe::Delete200).starts_with("200 deleted, 0 left listed"));
    let metrics: Vec<Metric> = result.metrics.iter().map(|m| m.metric).collect();
    assert_eq!(metrics, [Metric::Probes, Metric::Fsync, Metric::Unlink]);
    assert_eq!((result.metrics[0].ops, result.metrics[1].ops), (14, 20));
    assert!(result.histograms.contains_key(&Op::Fsync));
    let scratch = root.path().join("scratch/t/sem");
    assert_eq!(std::fs::read_dir(scratch).unwrap().count(), 0);
}

#[test]
fn a_choice_of_probes_runs_those_in_order_with_their_metrics() {
    let root = tempfile::tempdir().unwrap();
    let chosen = vec![Probe::Symlink, Probe::Case];
    let result = run_rep(&spec(root.path(), chosen.clone()), Instant::now()).unwrap();
    let probes: Vec<Probe> = result.probes.iter().map(|o| o.probe).collect();
    assert_eq!(probes, chosen);
    assert_eq!(result.metrics.len(), 1);
    assert_eq!(result.metrics[0].metric, Metric::Probes);
}

#[test]
fn a_failed_step_is_named_with_its_errno() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone");
    let outcome = names::case(&gone);
    assert_eq!(
        outcome,
        Outcome::Failed {
            step: "create Case".into(),
            errno: format!("ENOENT ({})", libc::ENOENT),
        }
    );
}
