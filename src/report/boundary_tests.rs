use super::*;

/// A reps.csv row of `metric` with `ops`, its target already named by place.
fn rep(workload: &str, engine: &str, place: &str, m: Metric, rep: u32, ops: u64) -> RepRow {
    serde_json::from_value(serde_json::json!({
        "schema": 2, "run_id": "r", "host": "h", "os": "Linux", "engine": engine,
        "workload": workload, "kind": "k", "target": place, "phase": "warm",
        "metric": m.name(), "rep": rep, "warmup": false, "bytes": 0, "ops": ops,
        "seconds": 0.1, "mib_s": 0.0, "ops_s": 0.0, "p50_us": null, "p99_us": null,
        "residency": null, "overhead_s": null, "ok": true, "error": "",
    }))
    .unwrap()
}

/// Rows of one coherence rep: (seen, stale, lost).
fn coherence(engine: &str, place: &str, r: u32, counts: (u64, u64, u64)) -> Vec<RepRow> {
    let w = "coherence-in";
    vec![
        rep(w, engine, place, Metric::Seen, r, counts.0),
        rep(w, engine, place, Metric::Stale, r, counts.1),
        rep(w, engine, place, Metric::Lost, r, counts.2),
    ]
}

fn watch(engine: &str, place: &str, r: u32, delivered: u64, missed: u64) -> Vec<RepRow> {
    vec![
        rep("watch", engine, place, Metric::Delivered, r, delivered),
        rep("watch", engine, place, Metric::Missed, r, missed),
    ]
}

fn sides(workload: &str) -> Option<Sides> {
    match workload {
        "coherence-in" => Some(Sides::HostToTarget),
        "watch" => Some(Sides::OtherToTarget),
        _ => None,
    }
}

#[test]
fn counts_sum_the_measured_reps_that_succeeded() {
    let mut warmup = coherence("", "native", 0, (40, 9, 9));
    warmup.iter_mut().for_each(|r| r.warmup = true);
    let mut failed = coherence("vm", "bind@vm", 3, (0, 0, 0));
    failed.iter_mut().for_each(|r| r.ok = false);
    let rows: Vec<RepRow> = [
        warmup,
        coherence("", "native", 1, (40, 0, 0)),
        coherence("", "native", 2, (40, 0, 0)),
        coherence("vm", "bind@vm", 1, (38, 1, 2)),
        coherence("vm", "bind@vm", 2, (39, 2, 1)),
        failed,
        watch("default", "volume", 1, 20, 0),
        watch("default", "bind", 1, 19, 1),
        vec![rep("seq", "", "native", Metric::Read, 1, 5)],
    ]
    .concat();
    let found = cells(&rows, &BTreeMap::new(), &sides);
    let got: Vec<_> = found
        .iter()
        .map(|c| {
            let counts = (c.changes(), c.seen, c.stale, c.lost, c.reps, c.failed);
            (c.workload.as_str(), c.place.as_str(), c.look, counts)
        })
        .collect();
    let want = [
        (
            "coherence-in",
            "native",
            Look::Reads,
            (80, 80, Some(0), 0, 2, 0),
        ),
        (
            "coherence-in",
            "bind@vm",
            Look::Reads,
            (80, 77, Some(3), 3, 2, 1),
        ),
        ("watch", "bind", Look::Inotify, (20, 19, None, 1, 1, 0)),
        ("watch", "volume", Look::Inotify, (20, 20, None, 0, 1, 0)),
    ];
    assert_eq!(got, want);
}

#[test]
fn latency_comes_from_the_cells_histogram_of_its_op() {
    let rows = [
        coherence("", "native", 1, (3, 0, 0)),
        watch("", "native", 1, 2, 1),
    ]
    .concat();
    let key = |workload: &str| CellKey {
        workload: workload.into(),
        engine: String::new(),
        target: "native".into(),
        phase: "warm".into(),
    };
    let mut seen = OpHistograms::default();
    for ns in [10_000, 20_000, 2_000_000] {
        seen.record(Op::Visible, ns);
    }
    let mut events = OpHistograms::default();
    events.record(Op::Visible, 1);
    let histograms = BTreeMap::from([(key("coherence-in"), seen), (key("watch"), events)]);
    let got: Vec<_> = cells(&rows, &histograms, &sides)
        .iter()
        .map(|c| {
            (
                c.p50_us.map(|v| v.round()),
                c.p99_us.map(|v| (v / 1000.0).round()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(Some(20.0), Some(2.0)), (None, None)],
        "watch has no event op"
    );
}

#[test]
fn paths_name_who_changes_and_who_looks() {
    let cases = [
        ("native", Some(Sides::TargetToHost), "host → host"),
        ("bind", Some(Sides::HostToTarget), "host → container"),
        ("bind:ro@vm", Some(Sides::TargetToHost), "container → host"),
        ("bind@vm", Some(Sides::OtherToTarget), "host → container"),
        (
            "volume",
            Some(Sides::OtherToTarget),
            "2nd container → container",
        ),
        ("volume", None, "? → ?"),
    ];
    let base = &cells(
        &coherence("", "native", 1, (1, 0, 0)),
        &BTreeMap::new(),
        &sides,
    )[0];
    for (place, sides, want) in cases {
        let c = Cell {
            place: place.into(),
            sides,
            ..base.clone()
        };
        assert_eq!(c.path(), want, "{place} {sides:?}");
    }
}

#[test]
fn engines_come_native_first_then_default_then_by_name() {
    let rows = [
        watch("vm", "bind@vm", 1, 1, 0),
        watch("default", "bind", 1, 1, 0),
        watch("", "native", 1, 1, 0),
        watch("alpha", "bind@alpha", 1, 1, 0),
    ]
    .concat();
    let cells = cells(&rows, &BTreeMap::new(), &sides);
    let places: Vec<&str> = cells.iter().map(|c| c.place.as_str()).collect();
    assert_eq!(places, ["native", "bind", "bind@alpha", "bind@vm"]);
    assert_eq!(engines(&cells), ["", "default", "alpha", "vm"]);
}
