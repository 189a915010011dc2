use std::io;

use super::*;
use crate::results::RunMeta;
use crate::verdicts::RowPlace;
use crate::workload::kinds::semantics::{Observation, Outcome};

fn row(engine: &str, target: &str, rep: u32, probe: Probe, outcome: Outcome) -> ProbeRow {
    let meta = RunMeta {
        host: "h".into(),
        ..RunMeta::default()
    };
    let at = RowPlace {
        meta: &meta,
        engine,
        workload: "sem",
        target,
        rep,
    };
    ProbeRow::of(
        &at,
        &Observation {
            probe,
            outcome,
            micros: 1.0,
        },
    )
}

fn judged_matrix(rows: Vec<ProbeRow>) -> Matrix {
    let rows = judged(&rows);
    matrix("sem".into(), rows.iter().collect())
}

#[test]
fn places_are_ordered_native_first_then_engine_by_engine_and_probes_in_their_order() {
    let saw = || Outcome::saw("2 files", "");
    let m = judged_matrix(vec![
        row("vm", "tmpfs", 0, Probe::Case, saw()),
        row("vm", "bind", 0, Probe::Xattr, saw()),
        row("", "native", 0, Probe::Xattr, saw()),
        row("", "native", 0, Probe::Case, saw()),
        row("default", "bind", 0, Probe::Case, saw()),
    ]);
    assert_eq!(m.places, ["native", "bind", "bind@vm", "tmpfs@vm"]);
    assert_eq!(m.probes, [Probe::Case, Probe::Xattr]);
    let native = &m.cells[&(Probe::Case, "native".to_string())];
    assert_eq!(
        (native.verdict, native.text.as_str()),
        (Verdict::AsNative, "2 files")
    );
    let bind = &m.cells[&(Probe::Case, "bind".to_string())];
    assert_eq!(bind.text, "as native");
    assert!(!m
        .cells
        .contains_key(&(Probe::Xattr, "tmpfs@vm".to_string())));
}

#[test]
fn reps_that_disagree_show_the_worst_verdict_and_how_many_gave_it() {
    let einval = Outcome::failed("open O_DIRECT", &io::Error::from_raw_os_error(libc::EINVAL));
    let ok = || Outcome::saw("4 KiB read back", "");
    let m = judged_matrix(vec![
        row("", "native", 0, Probe::ODirect, ok()),
        row("", "native", 1, Probe::ODirect, ok()),
        row("vm", "tmpfs", 0, Probe::ODirect, einval),
        row("vm", "tmpfs", 1, Probe::ODirect, ok()),
    ]);
    let c = &m.cells[&(Probe::ODirect, "tmpfs@vm".to_string())];
    assert_eq!((c.verdict, c.worst, c.reps), (Verdict::Fails, 1, 2));
    assert_eq!(
        c.text,
        format!("fails: open O_DIRECT: EINVAL ({})", libc::EINVAL)
    );
    assert_eq!(c.errno.as_deref(), Some("EINVAL"));
    let mut md = String::new();
    table(&mut md, &m);
    assert!(
        md.contains("| o-direct | 4 KiB read back | fails: open O_DIRECT: EINVAL"),
        "{md}"
    );
    assert!(md.contains(" (1 of 2 reps) |"), "{md}");
}
