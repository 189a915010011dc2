//! The semantics matrix of one host: probes × places (native first, then engine by engine),
//! each cell the verdict of its measured reps against native and what a reader needs to see:
//! native's own answer, "as native", how it differs, or the step and errno that failed.
//! report.md's Semantics section and its grid chart are both drawn from it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::human::duration_us;
use super::palette::sort_places;
use super::select;
use super::HostRun;
use crate::cell::Place;
use crate::metric::Metric;
use crate::results::verdicts::{judged, ProbeRow};
use crate::workload::kinds::semantics::{Probe, Verdict};

/// One workload's matrix.
pub(crate) struct Matrix {
    pub workload: String,
    pub probes: Vec<Probe>,
    pub places: Vec<Place>,
    pub cells: BTreeMap<(Probe, Place), Cell>,
}

/// One probe on one place over the measured reps.
pub(crate) struct Cell {
    /// The worst verdict of its reps (as-native < differs < fails < skipped).
    pub verdict: Verdict,
    /// What the cell shows.
    pub text: String,
    /// Reps with that verdict, of all its reps.
    pub worst: usize,
    pub reps: usize,
    /// The errno's name when a step failed (`EINVAL`).
    pub errno: Option<String>,
}

/// Every semantics workload's matrix in the run, in the order their rows appear.
pub(crate) fn matrices(run: &HostRun) -> Vec<Matrix> {
    let rows = judged(&run.results.probes);
    let workloads = select::ordered(rows.iter().map(|r| r.workload.clone()));
    workloads
        .into_iter()
        .map(|w| {
            let of = rows.iter().filter(|r| r.workload == w).collect();
            matrix(w, of)
        })
        .collect()
}

fn matrix(workload: String, rows: Vec<&ProbeRow>) -> Matrix {
    let mut places = select::ordered(rows.iter().map(|r| r.place()));
    sort_places(&mut places);
    let mut probes = select::ordered(rows.iter().map(|r| r.probe));
    probes.sort();
    let mut cells = BTreeMap::new();
    for p in &probes {
        for place in &places {
            let of: Vec<&&ProbeRow> = rows
                .iter()
                .filter(|r| r.probe == *p && r.is_at(place))
                .collect();
            if let Some(cell) = cell(&of) {
                cells.insert((*p, place.clone()), cell);
            }
        }
    }
    Matrix {
        workload,
        probes,
        places,
        cells,
    }
}

fn cell(rows: &[&&ProbeRow]) -> Option<Cell> {
    let worst = rows.iter().max_by_key(|r| r.verdict)?;
    let verdict = worst.verdict?;
    let text = match (worst.is_native(), verdict) {
        (true, Verdict::AsNative) => worst.outcome().describe(),
        (false, Verdict::AsNative) => "as native".into(),
        (_, v) => format!("{v}: {}", worst.outcome().describe()),
    };
    Some(Cell {
        verdict,
        text,
        worst: rows.iter().filter(|r| r.verdict == Some(verdict)).count(),
        reps: rows.len(),
        errno: worst
            .errno
            .split(' ')
            .next()
            .filter(|e| !e.is_empty())
            .map(str::to_string),
    })
}

const INTRO: &str = "What each place does, not how fast: every probe's answer judged against native's on this host. *as native*: the same facts; *differs*: other facts (shown, with native's after them); *fails*: a step native got through failed, with its errno; *skipped*: the place cannot hold the probe, or the run has no native answer. Native's column is the reference: what the host's own filesystem does. Where reps disagree, the worst verdict is shown with how many reps gave it.";

/// report.md's Semantics section, when the run has probes.
pub(crate) fn render(md: &mut String, run: &HostRun) {
    let matrices = matrices(run);
    if matrices.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n### Semantics\n\n{INTRO}\n");
    for m in &matrices {
        let _ = writeln!(md, "#### {}\n", m.workload);
        table(md, m);
        timings(md, run, &m.workload);
    }
}

fn table(md: &mut String, m: &Matrix) {
    let _ = writeln!(
        md,
        "| probe | {} |",
        m.places
            .iter()
            .map(Place::to_string)
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(md, "|---|{}", "---|".repeat(m.places.len()));
    for p in &m.probes {
        let cells: Vec<String> = m
            .places
            .iter()
            .map(|place| match m.cells.get(&(*p, place.clone())) {
                Some(c) if c.worst < c.reps => {
                    format!("{} ({} of {} reps)", escape(&c.text), c.worst, c.reps)
                }
                Some(c) => escape(&c.text),
                None => "–".into(),
            })
            .collect();
        let _ = writeln!(md, "| {} | {} |", p.name(), cells.join(" | "));
    }
    md.push('\n');
}

/// Per place: the probes' run time, fsync p50 and p99, and the time to delete 200 files.
fn timings(md: &mut String, run: &HostRun, workload: &str) {
    let rows: Vec<_> = run
        .analysis
        .summary
        .iter()
        .filter(|r| r.workload == workload && r.kind == "semantics")
        .collect();
    let mut places = select::ordered(rows.iter().map(|r| r.place()));
    sort_places(&mut places);
    let _ = writeln!(
        md,
        "| place | all probes | fsync p50 | fsync p99 | delete 200 tiny files |\n|---|---:|---:|---:|---:|"
    );
    for place in &places {
        let of = |m: Metric| rows.iter().find(|r| r.is_at(place) && r.metric == m);
        let per_op = |m: Metric| of(m).map(|r| 1e6 / r.median_ops_s);
        let probes = per_op(Metric::Probes).map(|us| us * probe_count(run, workload, place) as f64);
        let fsync = of(Metric::Fsync);
        let _ = writeln!(
            md,
            "| {place} | {} | {} | {} | {} |",
            show(probes),
            show(fsync.and_then(|r| r.p50_us)),
            show(fsync.and_then(|r| r.p99_us)),
            show(per_op(Metric::Unlink).map(|us| us * 200.0)),
        );
    }
    md.push('\n');
}

/// Probes one rep of `workload` ran on `place`.
fn probe_count(run: &HostRun, workload: &str, place: &Place) -> usize {
    let reps = run
        .results
        .probes
        .iter()
        .filter(|r| r.workload == workload && r.is_at(place));
    let rep0 = reps.clone().map(|r| r.rep).min();
    reps.filter(|r| Some(r.rep) == rep0).count()
}

fn show(us: Option<f64>) -> String {
    us.map_or("–".into(), duration_us)
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;
    use crate::cell::EngineName;
    use crate::results::verdicts::RowPlace;
    use crate::results::RunMeta;
    use crate::workload::kinds::semantics::{Observation, Outcome};

    fn row(engine: &str, target: &str, rep: u32, probe: Probe, outcome: Outcome) -> ProbeRow {
        let meta = RunMeta {
            host: "h".into(),
            ..RunMeta::default()
        };
        let engine = EngineName::from(engine);
        let at = RowPlace {
            meta: &meta,
            engine: &engine,
            workload: "sem",
            target: target.parse().unwrap(),
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

    fn at(place: &str) -> Place {
        place.parse().unwrap()
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
        let places: Vec<String> = m.places.iter().map(Place::to_string).collect();
        assert_eq!(places, ["native", "bind", "bind@vm", "tmpfs@vm"]);
        assert_eq!(m.probes, [Probe::Case, Probe::Xattr]);
        let native = &m.cells[&(Probe::Case, at("native"))];
        assert_eq!(
            (native.verdict, native.text.as_str()),
            (Verdict::AsNative, "2 files")
        );
        let bind = &m.cells[&(Probe::Case, at("bind"))];
        assert_eq!(bind.text, "as native");
        assert!(!m.cells.contains_key(&(Probe::Xattr, at("tmpfs@vm"))));
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
        let c = &m.cells[&(Probe::ODirect, at("tmpfs@vm"))];
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
}
