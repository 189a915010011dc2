//! Several engines in one run, driven with fake hosts: the plan's cells, native once, one
//! pool entry per engine and target, rows and facts carrying their engine, resume.

use std::path::Path;

use super::fake::FakeHosts;
use super::start::Start;
use super::{RunOptions, Session};
use crate::cancel::CancelToken;
use crate::engine::endpoint::EngineArg;
use crate::plan::{Overrides, Plan, WorkloadFile};
use crate::results::Results;
use crate::targets::agent_binary::AgentBinaries;
use crate::targets::spec::{TargetKind, TargetSpec};

/// seq on native, bind and volume; 1 warm-up and 2 reps each.
const FILE: &str = r#"
[run]
reps = 2
warmup = 1
seed = 3
targets = ["native", "bind", "volume"]
[[workload]]
kind = "seq-read"
name = "seq"
shards = 2
shard_size = "1MiB"
"#;

const ENGINES: [&str; 2] = [
    "local=unix:///var/run/docker.sock",
    "vm=tcp://127.0.0.1:23750",
];

fn engine_args() -> Vec<EngineArg> {
    ENGINES.iter().map(|a| a.parse().unwrap()).collect()
}

fn plan() -> Plan {
    let file = WorkloadFile::parse(Path::new("t.toml"), FILE).unwrap();
    let names = engine_args().into_iter().map(|a| a.name).collect();
    let overrides = Overrides {
        engines: Some(names),
        ..Default::default()
    };
    Plan::new(file, &overrides).unwrap()
}

fn options(dir: &Path) -> RunOptions {
    RunOptions {
        out: Some(dir.join("out")),
        data_dir: dir.join("data"),
        engines: engine_args(),
        agents: AgentBinaries::host_only("/nonexistent/mountbench".into()),
        drop_caches: false,
        progress: false,
        cancel: CancelToken::new(),
        keep_free: None,
    }
}

#[test]
fn native_runs_once_and_every_container_target_on_each_engine() {
    let plan = plan();
    let ids: Vec<String> = plan.cells.iter().map(|c| c.id()).collect();
    assert_eq!(
        ids,
        [
            "seq/native/warm",
            "seq/bind@local/warm",
            "seq/volume@local/warm",
            "seq/bind@vm/warm",
            "seq/volume@vm/warm"
        ]
    );
    assert_eq!(plan.cells[0].engine, "", "native has no engine");
    let steps = plan.steps();
    assert_eq!(steps.len(), 5 * 3);
    for round in steps.chunks(5) {
        let mut cells: Vec<usize> = round.iter().map(|s| s.cell).collect();
        cells.sort();
        assert_eq!(cells, [0, 1, 2, 3, 4], "every round runs every cell once");
    }
    let twice = Overrides {
        engines: Some(vec!["a".into(), "a".into()]),
        ..Default::default()
    };
    let file = WorkloadFile::parse(Path::new("t.toml"), FILE).unwrap();
    let err = Plan::new(file, &twice).unwrap_err().to_string();
    assert!(err.contains("two engines are named `a`"), "{err}");
}

#[test]
fn each_engine_gets_its_own_targets_and_rows_name_their_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let hosts = FakeHosts::default();
    let options = options(tmp.path());
    let plan = plan();
    let start = Start::fresh(&plan, &options, |_| Ok(Vec::new())).unwrap();
    let summary = Session::new(plan, options, start, Box::new(hosts.clone()))
        .run_all()
        .unwrap();
    assert!(summary.failed_reps.is_empty(), "{:?}", summary.failed_reps);
    {
        let log = hosts.log();
        let started: Vec<String> = log.starts.iter().map(|p| p.to_string()).collect();
        let mut sorted = started.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            [
                "bind@local",
                "bind@vm",
                "native",
                "volume@local",
                "volume@vm"
            ],
            "one host per engine and target, native once"
        );
        assert_eq!(log.reps.len(), 15);
        assert_eq!(log.teardowns.len(), 5, "every engine's targets torn down");
    }
    let out = tmp.path().join("out");
    let rows = Results::load(&out).unwrap().reps;
    let engines: std::collections::BTreeSet<(&str, String)> = rows
        .iter()
        .map(|r| (r.engine.as_str(), r.target.to_string()))
        .collect();
    assert_eq!(engines.len(), 5);
    assert!(engines.contains(&("", "native".into())) && engines.contains(&("vm", "bind".into())));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary
        .lines()
        .next()
        .unwrap()
        .contains(",engine,engine_label,"));
    let env = crate::env::Env::load(&out).unwrap();
    assert_eq!(env.plan_engines, ["local", "vm"]);
    let facts: Vec<(String, String)> = env
        .targets
        .iter()
        .map(|t| (t.engine.clone(), t.target.clone()))
        .collect();
    assert!(facts.contains(&("vm".into(), "volume".into())), "{facts:?}");
    let datasets: Vec<&str> = env.datasets.iter().map(|d| d.target.as_str()).collect();
    assert!(datasets.contains(&"bind@vm"), "{datasets:?}");
}

#[test]
fn bind_is_compared_with_the_same_engines_volume() {
    let tmp = tempfile::tempdir().unwrap();
    let options = options(tmp.path());
    let plan = plan();
    let start = Start::fresh(&plan, &options, |_| Ok(Vec::new())).unwrap();
    let summary = Session::new(plan, options, start, Box::new(FakeHosts::default()))
        .run_all()
        .unwrap();
    for row in &summary.analysis.summary {
        let has = row.ratio_to_volume.is_some();
        let bind = row.target == TargetSpec::new(TargetKind::Bind);
        assert_eq!(has, bind, "{} {}", row.engine, row.target);
        if !row.target.is_native() {
            assert!(row.ratio_to_native.is_some(), "against the one native");
        }
    }
}

#[test]
fn resume_keeps_the_engines_of_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let cancel = CancelToken::new();
    let first = FakeHosts::new([(4, super::fake::Act::Cancel(cancel.clone()))]);
    let mut options = options(tmp.path());
    options.cancel = cancel;
    let plan = plan();
    let start = Start::fresh(&plan, &options, |_| Ok(Vec::new())).unwrap();
    let summary = Session::new(plan, options, start, Box::new(first))
        .run_all()
        .unwrap();
    assert!(summary.interrupted);
    let mut options = options_for_resume(tmp.path());
    let again = FakeHosts::default();
    let (plan, start) =
        Start::resume(&tmp.path().join("out"), &mut options, |_| Ok(Vec::new())).unwrap();
    assert_eq!(plan.engines, ["local", "vm"]);
    Session::new(plan, options, start, Box::new(again.clone()))
        .run_all()
        .unwrap();
    assert_eq!(again.log().reps.len(), 11);
    let rows = Results::load(&tmp.path().join("out")).unwrap().reps;
    assert_eq!(rows.len(), 15);
    assert_eq!(rows.iter().filter(|r| r.engine == "vm").count(), 6);
}

fn options_for_resume(dir: &Path) -> RunOptions {
    RunOptions {
        engines: Vec::new(),
        ..options(dir)
    }
}
