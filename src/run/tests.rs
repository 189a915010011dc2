//! The run loop driven with fake hosts, no engine: restarts, failed reps, resume, cancel and
//! teardown on error.

use std::path::Path;

use super::fake::{Act, FakeHosts};
use super::start::Start;
use super::{RunOptions, RunSummary, Session};
use crate::analysis::CiStatus;
use crate::cancel::CancelToken;
use crate::error::Result;
use crate::plan::WorkloadFile;
use crate::plan::{Overrides, Plan};
use crate::results::Results;

/// 2 cells (seq on native and volume), 1 warm-up and 2 reps each: 6 steps.
const TWO_TARGETS: &str = r#"
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
        agent_exe: "/nonexistent/mountbench".into(),
        drop_caches: false,
        progress: false,
        cancel: cancel.clone(),
    }
}

fn session(dir: &Path, text: &str, hosts: &FakeHosts, cancel: &CancelToken) -> Session {
    let file = WorkloadFile::parse(Path::new("t.toml"), text).unwrap();
    let plan = Plan::new(file, &Overrides::default()).unwrap();
    let options = options(dir, cancel);
    let start = Start::fresh(&plan, &options, |_| Ok(None)).unwrap();
    Session::new(plan, options, start, Box::new(hosts.clone()))
}

fn resumed(dir: &Path, hosts: &FakeHosts) -> Result<RunSummary> {
    let mut options = options(dir, &CancelToken::new());
    let (plan, start) = Start::resume(&dir.join("out"), &mut options, |_| Ok(None))?;
    Session::new(plan, options, start, Box::new(hosts.clone())).run_all()
}

fn reps_on_disk(dir: &Path) -> Results {
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
    let died = log.reps[1];
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

/// TWO_TARGETS with a CI goal: 2 reps, rounds up to 4.
fn with_goal() -> String {
    TWO_TARGETS.replace("reps = 2\n", "reps = 2\ntarget_ci = \"3%\"\nmax_reps = 4\n")
}

fn statuses(summary: &RunSummary) -> Vec<(String, Option<CiStatus>, usize)> {
    let rows = &summary.analysis.summary;
    rows.iter()
        .map(|r| (r.target.clone(), r.ci_status, r.reps))
        .collect()
}

#[test]
fn rounds_go_on_for_a_wide_ci_up_to_max_reps_and_stop_when_tight() {
    let tmp = tempfile::tempdir().unwrap();
    let steady = FakeHosts::default();
    let summary = session(tmp.path(), &with_goal(), &steady, &CancelToken::new())
        .run_all()
        .unwrap();
    assert_eq!(
        steady.log().reps.len(),
        6,
        "paired ratios of 1.0: no round added"
    );
    let reached = Some(CiStatus::Reached);
    assert_eq!(
        statuses(&summary),
        [("native".into(), reached, 2), ("volume".into(), reached, 2)]
    );

    let tmp = tempfile::tempdir().unwrap();
    let jumpy = FakeHosts::default().jumpy("volume");
    let summary = session(tmp.path(), &with_goal(), &jumpy, &CancelToken::new())
        .run_all()
        .unwrap();
    assert_eq!(jumpy.log().reps.len(), 10, "two rounds added, both cells");
    assert_eq!(
        statuses(&summary),
        [
            ("native".into(), reached, 4),
            ("volume".into(), Some(CiStatus::Capped), 4)
        ]
    );
    let file = std::fs::read_to_string(tmp.path().join("out/summary.csv")).unwrap();
    assert!(
        file.contains(",capped") && file.contains(",paired,"),
        "{file}"
    );
}

#[test]
fn a_run_cancelled_in_an_added_round_resumes_to_the_same_rounds() {
    let tmp = tempfile::tempdir().unwrap();
    let cancel = CancelToken::new();
    let hosts = FakeHosts::new([(7, Act::Cancel(cancel.clone()))]).jumpy("volume");
    let summary = session(tmp.path(), &with_goal(), &hosts, &cancel)
        .run_all()
        .unwrap();
    assert!(summary.interrupted);
    assert_eq!(
        hosts.log().reps.len(),
        7,
        "stopped in the first added round"
    );
    let again = FakeHosts::default().jumpy("volume");
    let summary = resumed(tmp.path(), &again).unwrap();
    assert_eq!(again.log().reps.len(), 3, "the rest of round 3 and round 4");
    let rows = reps_on_disk(tmp.path()).reps;
    assert_eq!(rows.len(), 10);
    assert_eq!(statuses(&summary)[1].1, Some(CiStatus::Capped));
}
