//! The run loop with a CI goal, driven by fake hosts: rounds added while a ratio CI is
//! wider than the target, up to max_reps, and the same rounds after a resume.

use super::fake::{Act, FakeHosts};
use super::tests::{reps_on_disk, resumed, session, TWO_TARGETS};
use super::RunSummary;
use crate::analysis::CiStatus;
use crate::cancel::CancelToken;

/// TWO_TARGETS with a CI goal: 2 reps, rounds up to 4.
fn with_goal() -> String {
    TWO_TARGETS.replace("reps = 2\n", "reps = 2\ntarget_ci = \"3%\"\nmax_reps = 4\n")
}

fn statuses(summary: &RunSummary) -> Vec<(String, Option<CiStatus>, usize)> {
    let rows = &summary.analysis.summary;
    rows.iter()
        .map(|r| (r.target.to_string(), r.ci_status, r.reps))
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
