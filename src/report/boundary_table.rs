//! report.md's boundary section: one table per engine (native, the host's own baseline,
//! first) of the coherence and watch cells: changes made over the measured reps, how many
//! the other side saw, saw stale or lost, and how soon it saw them.

use std::fmt::Write as _;

use super::boundary::Cell;
use super::human::duration_us;
use super::select;
use super::HostRun;
use crate::cell::{EngineName, DEFAULT_ENGINE};

const INTRO: &str = "How soon one side of the storage sees what the other changed. *coherence*: one side creates, overwrites, renames and deletes files and the other reads each change back byte for byte; *watch*: the target watches its folder with inotify while the host (without a host side, a second container on the same volume) changes files in it (*bursts of N*: N changes made back to back before any event is waited for). Counts are totals over the measured reps that succeeded (warm-ups left out): *changes* made, *seen* (watch: events delivered), *stale* (the first look after the change still found the old state; seen later), *lost* (watch: *missed*; never seen within the workload's limit). p50 / p99: time from each change to its being seen, merged over those reps. Counts and latencies, not rates: no ratio to native. Native has both sides on the host: the baseline.";

const HEADER: &str = "| workload | target | changed by → seen by | changes | seen / delivered | stale | lost / missed | p50 | p99 | reps |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|";

/// The section, when the run has boundary cells.
pub(crate) fn render(md: &mut String, run: &HostRun, cells: &[Cell]) {
    if cells.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n### Boundary: changes across the mount\n\n{INTRO}\n");
    let phased = select::ordered(cells.iter().map(|c| &c.phase)).len() > 1;
    for engine in engines(cells) {
        let _ = writeln!(md, "#### {}\n\n{HEADER}", engine_heading(run, &engine));
        for c in cells.iter().filter(|c| *c.engine() == engine) {
            let _ = writeln!(md, "{}", line(c, phased));
        }
        if let Some(note) = clock_note(cells.iter().filter(|c| *c.engine() == engine)) {
            let _ = writeln!(md, "\n{note}");
        }
        md.push('\n');
    }
}

/// The engines of these cells as the section orders them: native's (none) first, then the
/// default engine, then the others by name.
pub(super) fn engines(cells: &[Cell]) -> Vec<EngineName> {
    let mut engines = select::ordered(cells.iter().map(|c| c.engine().clone()));
    engines.sort_by_key(|e| (!e.is_none(), *e != DEFAULT_ENGINE, e.clone()));
    engines
}

/// Where the two sides ran on different kernels (a VM): how far their latencies may be off.
fn clock_note<'a>(cells: impl Iterator<Item = &'a Cell>) -> Option<String> {
    let slack = cells.filter_map(|c| c.slack_us).fold(0.0, f64::max);
    (slack > 0.001).then(|| {
        format!(
            "The two sides ran on different kernels here: their clocks' offset was estimated over the agents' channel (the reading with the shortest round trip), so these latencies hold to within ±{}.",
            duration_us(slack)
        )
    })
}

/// "native — …" or "engine `default` — its identity and software".
fn engine_heading(run: &HostRun, engine: &EngineName) -> String {
    if engine.is_none() {
        return "native — both sides on the host (baseline)".into();
    }
    match run.env.engines.get(engine.as_str()) {
        Some(e) => format!(
            "engine `{engine}` — {} — {}",
            e.identity_label(),
            e.software()
        ),
        None => format!("engine `{engine}`"),
    }
}

/// One cell as a terminal line: "coherence-in bind@vm (host → container): 120 changes,
/// 120 seen, 60 stale, 0 lost; p50 5.05 ms, p99 995 ms".
pub(crate) fn terminal_line(c: &Cell) -> String {
    let latency = |v: Option<f64>| v.map_or_else(|| "-".to_string(), duration_us);
    let (seen, lost) = match c.stale {
        Some(stale) => (format!("{} seen, {stale} stale", c.seen), "lost"),
        None => (format!("{} delivered", c.seen), "missed"),
    };
    format!(
        "{} {} ({}): {} changes, {seen}, {} {lost}; p50 {}, p99 {}",
        c.workload,
        c.place,
        c.path(),
        c.changes(),
        c.lost,
        latency(c.p50_us),
        latency(c.p99_us)
    )
}

/// One cell's table line; `phased` adds the phase to the workload where a run has several.
pub(crate) fn line(c: &Cell, phased: bool) -> String {
    let workload = match phased {
        true => format!("{} ({})", c.workload, c.phase),
        false => c.workload.clone(),
    };
    let latency = |v: Option<f64>| v.map_or_else(|| "-".to_string(), duration_us);
    let reps = match c.failed {
        0 => c.reps.to_string(),
        n => format!("{} (**{n} failed**)", c.reps),
    };
    format!(
        "| {workload} | {} | {} | {} | {} | {} | {} | {} | {} | {reps} |",
        c.place,
        c.how(),
        c.changes(),
        of(c.seen, c.changes(), false),
        c.stale
            .map_or_else(|| "–".to_string(), |n| of(n, c.changes(), true)),
        of(c.lost, c.changes(), true),
        latency(c.p50_us),
        latency(c.p99_us),
    )
}

/// "3 of 80", in bold when it is a grave count above zero.
fn of(n: u64, total: u64, grave: bool) -> String {
    if grave && n > 0 {
        format!("**{n} of {total}**")
    } else {
        format!("{n} of {total}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::boundary::Look;
    use crate::workload::party::Sides;

    fn cell(place: &str, look: Look, counts: (u64, u64, u64), failed: usize) -> Cell {
        let (seen, stale, lost) = counts;
        Cell {
            workload: "w".into(),
            phase: crate::cell::Phase::Warm,
            place: place.parse().unwrap(),
            look,
            sides: Some(Sides::OtherToTarget),
            burst: 1,
            reps: 2,
            failed,
            seen,
            stale: (look == Look::Reads).then_some(stale),
            lost,
            p50_us: Some(17.4),
            p99_us: Some(2863.1),
            slack_us: None,
        }
    }

    #[test]
    fn a_clock_slack_is_noted_only_across_kernels() {
        let one_kernel = [cell("bind", Look::Reads, (8, 0, 0), 0)];
        assert_eq!(clock_note(one_kernel.iter()), None);
        let vm = Cell {
            slack_us: Some(1904.6),
            ..cell("bind@vm", Look::Reads, (8, 0, 0), 0)
        };
        let note = clock_note([vm].iter()).unwrap();
        assert!(note.ends_with("within ±1.90 ms."), "{note}");
    }

    #[test]
    fn lines_say_how_many_of_the_changes_and_how_soon() {
        let cases = [
            (
                cell("bind@vm", Look::Reads, (80, 0, 0), 0),
                false,
                "| w | bind@vm | host → container, reads | 80 | 80 of 80 | 0 of 80 | 0 of 80 | 17.4 µs | 2.86 ms | 2 |",
            ),
            (
                cell("bind@vm", Look::Reads, (77, 2, 3), 1),
                false,
                "| w | bind@vm | host → container, reads | 80 | 77 of 80 | **2 of 80** | **3 of 80** | 17.4 µs | 2.86 ms | 2 (**1 failed**) |",
            ),
            (
                cell("volume@vm", Look::Inotify, (79, 0, 1), 0),
                true,
                "| w (warm) | volume@vm | 2nd container → container, inotify | 80 | 79 of 80 | – | **1 of 80** | 17.4 µs | 2.86 ms | 2 |",
            ),
        ];
        for (c, phased, want) in cases {
            assert_eq!(line(&c, phased), want);
        }
        let burst = Cell {
            burst: 400,
            ..cell("bind@vm", Look::Inotify, (80, 0, 0), 0)
        };
        assert!(line(&burst, false)
            .starts_with("| w | bind@vm | host → container, inotify, bursts of 400 | 80 |"));
        let none_seen = Cell {
            p50_us: None,
            p99_us: None,
            ..cell("volume@vm", Look::Inotify, (0, 0, 80), 0)
        };
        assert!(line(&none_seen, false).ends_with("| **80 of 80** | - | - | 2 |"));
    }
}
