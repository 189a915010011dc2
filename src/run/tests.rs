//! The run loop driven with fake hosts, no engine: restarts, failed reps, resume, cancel and
//! teardown on error.

use std::path::Path;

use super::fake::{Act, FakeHosts};
use super::start::Start;
use super::{RunOptions, RunSummary, Session};
use crate::cancel::CancelToken;
use crate::error::Result;
use crate::plan::WorkloadFile;
use crate::plan::{Overrides, Plan};
use crate::results::Results;
use crate::targets::agent_binary::AgentBinaries;

/// 2 cells (seq on native and volume), 1 warm-up and 2 reps each: 6 steps.
pub(super) const TWO_TARGETS: &str = r#"
[run]
reps = 2
warmup = 1
seed = 7
targets = ["native", "volume"]
[[workload]]
kind = "seq-read"
name = "seq"
shards = 2
shard_size = "1MiB"
"#;

/// 1 cell, 5 reps, no warm-up.
const ONE_TARGET: &str = r#"
[run]
reps = 5
warmup = 0
targets = ["volume"]
[[workload]]
kind = "seq-read"
name = "seq"
shards = 2
shard_size = "1MiB"
"#;

fn options(dir: &Path, cancel: &CancelToken) -> RunOptions {
    RunOptions {
        out: Some(dir.join("out")),
        data_dir: dir.join("data"),
        engines: Vec::new(),
        agents: AgentBinaries::host_only("/nonexistent/mountbench".into()),
        drop_caches: false,
        progress: false,
        cancel: cancel.clone(),
        keep_free: None,
    }
}

pub(super) fn session(dir: &Path, text: &str, hosts: &FakeHosts, cancel: &CancelToken) -> Session {
    let file = WorkloadFile::parse(Path::new("t.toml"), text).unwrap();
    let plan = Plan::new(file, &Overrides::default()).unwrap();
    let options = options(dir, cancel);
    let start = Start::fresh(&plan, &options, |_| Ok(Vec::new())).unwrap();
    Session::new(plan, options, start, Box::new(hosts.clone()))
}

pub(super) fn resumed(dir: &Path, hosts: &FakeHosts) -> Result<RunSummary> {
    let mut options = options(dir, &CancelToken::new());
    let (plan, start) = Start::resume(&dir.join("out"), &mut options, |_| Ok(Vec::new()))?;
    Session::new(plan, options, start, Box::new(hosts.clone())).run_all()
}

pub(super) fn reps_on_disk(dir: &Path) -> Results {
    Results::load(&dir.join("out")).unwrap()
}

#[test]
fn a_dead_container_is_started_anew_and_the_run_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let hosts = FakeHosts::new([(2, Act::Die)]);
    let summary = session(tmp.path(), TWO_TARGETS, &hosts, &CancelToken::new())
        .run_all()
        .unwrap();
    let log = hosts.log();
    let died = log.reps[1].clone();
    assert_eq!(log.reps.len(), 6, "every step ran");
    assert_eq!(log.starts.iter().filter(|s| **s == died).count(), 2);
    assert_eq!(log.starts.len(), 3);
    assert_eq!(log.teardowns.len(), 3, "the dead host and both at the end");
    assert_eq!(summary.failed_reps.len(), 1, "{:?}", summary.failed_reps);
    assert!(
        summary.failed_reps[0].contains("exit 137"),
        "{:?}",
        summary.failed_reps
    );
    assert!(summary.teardown_errors.is_empty() && !summary.interrupted);
    let rows = reps_on_disk(tmp.path()).reps;
    assert_eq!(rows.iter().filter(|r| !r.ok).count(), 1);
    assert_eq!(rows.iter().filter(|r| r.ok).count(), 5);
}

#[test]
fn a_container_dying_again_and_again_is_given_up_after_the_restart_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let hosts = FakeHosts::new((1..=5).map(|n| (n, Act::Die)));
    let summary = session(tmp.path(), ONE_TARGET, &hosts, &CancelToken::new())
        .run_all()
        .unwrap();
    let log = hosts.log();
    let limit = super::pool::MAX_RESTARTS as usize;
    assert_eq!(
        log.starts.len(),
        limit + 1,
        "started once and restarted {limit} times"
    );
    assert_eq!(log.reps.len(), limit + 1);
    assert_eq!(summary.failed_reps.len(), 5);
    let last = &summary.failed_reps[4];
    assert!(last.contains("died 4 times; not started again"), "{last}");
}

#[test]
fn a_failed_rep_is_recorded_and_the_other_reps_are_done() {
    let tmp = tempfile::tempdir().unwrap();
    let hosts = FakeHosts::new([(3, Act::Fail)]);
    let summary = session(tmp.path(), TWO_TARGETS, &hosts, &CancelToken::new())
        .run_all()
        .unwrap();
    let log = hosts.log();
    assert_eq!(log.reps.len(), 6);
    assert_eq!(log.starts.len(), 2, "a live host is not restarted");
    assert_eq!(summary.failed_reps.len(), 1);
    let rows = reps_on_disk(tmp.path()).reps;
    let failed: Vec<_> = rows.iter().filter(|r| !r.ok).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].error, "agent: exit 1: disk on fire");
    assert!(rows.iter().filter(|r| r.ok).all(|r| r.p50_us.is_some()));
    let env = crate::env::Env::load(&tmp.path().join("out")).unwrap();
    assert_eq!(env.targets.len(), 2, "both targets' facts");
    assert_eq!(
        env.datasets.len(),
        2,
        "the dataset prepared once per target"
    );
    assert!(env.finished.is_some());
}

#[test]
fn resume_runs_only_the_failed_reps_and_keeps_the_good_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let first = FakeHosts::new([(2, Act::Fail), (5, Act::Fail)]);
    let summary = session(tmp.path(), TWO_TARGETS, &first, &CancelToken::new())
        .run_all()
        .unwrap();
    assert_eq!(summary.failed_reps.len(), 2);
    let good_before: Vec<_> = reps_on_disk(tmp.path())
        .reps
        .into_iter()
        .filter(|r| r.ok)
        .collect();

    let again = FakeHosts::default();
    let summary = resumed(tmp.path(), &again).unwrap();
    assert_eq!(
        again.log().reps.len(),
        2,
        "only the two failed reps ran again"
    );
    assert!(summary.failed_reps.is_empty(), "{:?}", summary.failed_reps);
    let after = reps_on_disk(tmp.path()).reps;
    assert_eq!(after.len(), 6);
    assert!(after.iter().all(|r| r.ok));
    assert_eq!(
        &after[..4],
        &good_before[..],
        "the good reps kept as they were"
    );
    let env = crate::env::Env::load(&tmp.path().join("out")).unwrap();
    assert_eq!(env.resumed.len(), 1);
}

#[test]
fn a_cancelled_run_stops_after_the_rep_in_flight_and_resume_finishes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let cancel = CancelToken::new();
    let hosts = FakeHosts::new([(2, Act::Cancel(cancel.clone()))]);
    let summary = session(tmp.path(), TWO_TARGETS, &hosts, &cancel)
        .run_all()
        .unwrap();
    assert!(summary.interrupted);
    assert!(summary.failed_reps.is_empty());
    {
        let log = hosts.log();
        assert_eq!(
            log.reps.len(),
            2,
            "the rep in flight finished, no other began"
        );
        assert_eq!(log.teardowns.len(), log.starts.len());
    }
    let again = FakeHosts::default();
    resumed(tmp.path(), &again).unwrap();
    assert_eq!(again.log().reps.len(), 4);
    assert_eq!(reps_on_disk(tmp.path()).reps.len(), 6);
}

#[test]
fn an_error_writing_the_results_stops_the_run_and_tears_every_target_down() {
    let tmp = tempfile::tempdir().unwrap();
    let hosts = FakeHosts::new([(3, Act::RemoveDir(tmp.path().join("out")))]);
    let result = session(tmp.path(), TWO_TARGETS, &hosts, &CancelToken::new()).run_all();
    assert!(result.is_err(), "the results could not be written");
    let log = hosts.log();
    assert_eq!(log.reps.len(), 3, "no rep after the error");
    assert_eq!(log.starts.len(), 2);
    assert_eq!(log.teardowns.len(), 2, "every started target torn down");
}

#[test]
fn every_target_records_its_cpu_speed_against_the_host() {
    use super::fake::{cpu_slowdown, FAKE_CPU_SECONDS, FAKE_HOST_CPU_SECONDS};
    use crate::targets::spec::{TargetKind, TargetSpec};
    // With a native target its agent's time is the host's; without, the factory's.
    for (text, host) in [
        (TWO_TARGETS, FAKE_CPU_SECONDS),
        (ONE_TARGET, FAKE_HOST_CPU_SECONDS),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let hosts = FakeHosts::new([]);
        session(tmp.path(), text, &hosts, &CancelToken::new())
            .run_all()
            .unwrap();
        let env = crate::env::Env::load(&tmp.path().join("out")).unwrap();
        for t in &env.targets {
            let cpu = t
                .cpu
                .as_ref()
                .unwrap_or_else(|| panic!("{}: no cpu", t.target));
            let kind = t.target.parse::<TargetSpec>().unwrap().kind;
            let seconds = FAKE_CPU_SECONDS * cpu_slowdown(kind);
            assert_eq!((cpu.seconds, cpu.host_seconds), (seconds, host), "{t:?}");
            assert!((cpu.speed - host / seconds).abs() < 1e-9, "{t:?}");
            assert_eq!(cpu.slow(), kind == TargetKind::Volume, "{t:?}");
        }
    }
}

/// seq reads a dataset; ckpt writes without one. 1 warm-up and 2 reps each, on native.
const DATASET_AND_CHECKPOINT: &str = r#"
[run]
reps = 2
warmup = 1
targets = ["native"]
[[workload]]
kind = "seq-read"
name = "seq"
shards = 2
shard_size = "1MiB"
[[workload]]
kind = "checkpoint"
name = "ckpt"
size = "1MiB"
chunk_size = "1MiB"
"#;

#[test]
fn a_dataset_that_fails_to_generate_fails_its_cell_once_and_the_others_go_on() {
    let tmp = tempfile::tempdir().unwrap();
    let hosts = FakeHosts::default().failing_prepare();
    let summary = session(
        tmp.path(),
        DATASET_AND_CHECKPOINT,
        &hosts,
        &CancelToken::new(),
    )
    .run_all()
    .unwrap();
    assert_eq!(
        hosts.log().prepares.len(),
        1,
        "generated once, not once per rep"
    );
    let rows = reps_on_disk(tmp.path()).reps;
    let failed: Vec<_> = rows.iter().filter(|r| !r.ok).collect();
    assert_eq!(failed.len(), 3, "every rep of the seq cell");
    assert!(failed.iter().all(|r| r.workload == "seq"));
    assert!(failed.iter().all(|r| r.error == failed[0].error));
    assert!(
        failed[0].error.contains("could not be generated")
            && failed[0].error.contains("No space left"),
        "{}",
        failed[0].error
    );
    let ckpt_ok = rows.iter().filter(|r| r.workload == "ckpt" && r.ok).count();
    assert_eq!(
        ckpt_ok,
        3 * 3,
        "the checkpoint cell's three metrics in all its steps"
    );
    assert_eq!(summary.failed_reps.len(), 3);
}

#[test]
fn a_target_without_room_is_refused_before_generating_and_torn_down() {
    let mib = 1u64 << 20;
    // (free on the volume's filesystem, --keep-free, accepted): the volume needs 2 MiB.
    let cases = [
        (mib, None, false),
        (2 * mib, None, false),
        (2 * mib, Some(0), true),
        (2 * mib, Some(1), false),
        (u64::MAX / 4, None, true),
    ];
    for (free, keep_free, accepted) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let hosts = FakeHosts::default().with_free(free);
        let mut session = session(tmp.path(), TWO_TARGETS, &hosts, &CancelToken::new());
        session.options.keep_free = keep_free.map(crate::size::ByteSize);
        let checked = session.preflight_targets();
        let label = format!("{free} {keep_free:?}");
        assert_eq!(checked.is_ok(), accepted, "{label}: {checked:?}");
        let log = hosts.log();
        assert_eq!(
            log.starts.len(),
            1,
            "{label}: only the volume is started to ask"
        );
        assert!(log.prepares.is_empty() && log.reps.is_empty(), "{label}");
        if let Err(e) = checked {
            assert_eq!(e.exit_code(), 2);
            let text = e.to_string();
            for want in [
                "workload \"seq\" on volume",
                "2.0MiB",
                "cannot hold",
                "were removed",
            ] {
                assert!(text.contains(want), "{label}: {want:?} not in {text}");
            }
            assert_eq!(log.teardowns.len(), 1, "{label}");
            assert!(!tmp.path().join("out").exists(), "{label}");
        }
    }
}
