//! What a run says while it goes, on stderr: a bar on a terminal, one line a rep otherwise,
//! nothing when quiet. The loop talks to one trait and never asks which.

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use super::record::StepOutcome;
use crate::plan::Step;
use crate::size::ByteSize;
use crate::targets::spec::Place;
use crate::workload::dataset::PrepareReport;

/// A step just done, as the progress shows it.
pub(crate) struct Done<'a> {
    /// 0-based among the steps of this invocation.
    index: usize,
    total: usize,
    cell: &'a str,
    step: Step,
    outcome: &'a StepOutcome,
}

impl<'a> Done<'a> {
    pub(crate) fn new(
        index: usize,
        total: usize,
        cell: &'a str,
        step: Step,
        outcome: &'a StepOutcome,
    ) -> Self {
        Done {
            index,
            total,
            cell,
            step,
            outcome,
        }
    }
}

pub(crate) trait Progress {
    fn begin(&mut self, run_id: &str, out: &Path, todo: usize, skipped: &[String]);
    fn dataset(&self, target: &Place, report: &PrepareReport);
    /// A line of its own about a target (the copy-at-first-use of volume-from-image).
    fn note(&self, line: &str);
    fn step(&self, cell: &str);
    fn done(&self, done: &Done);
    /// Measured round `round` (0-based) added for the CI goal, with its `steps`.
    fn round(&mut self, round: u32, steps: usize);
    fn end(&mut self);
}

/// Bar on a terminal, lines elsewhere, nothing when `shown` is false.
pub(crate) fn for_stderr(shown: bool) -> Box<dyn Progress> {
    match (shown, std::io::stderr().is_terminal()) {
        (false, _) => Box::new(Quiet),
        (true, true) => Box::new(Bar(None)),
        (true, false) => Box::new(Lines),
    }
}

pub(crate) struct Quiet;

impl Progress for Quiet {
    fn begin(&mut self, _: &str, _: &Path, _: usize, _: &[String]) {}
    fn dataset(&self, _: &Place, _: &PrepareReport) {}
    fn note(&self, _: &str) {}
    fn step(&self, _: &str) {}
    fn done(&self, _: &Done) {}
    fn round(&mut self, _: u32, _: usize) {}
    fn end(&mut self) {}
}

/// One line a rep, for logs and pipes.
pub(crate) struct Lines;

impl Progress for Lines {
    fn begin(&mut self, run_id: &str, out: &Path, todo: usize, skipped: &[String]) {
        header(run_id, out, todo, skipped);
    }

    fn dataset(&self, target: &Place, report: &PrepareReport) {
        eprintln!("{}", dataset_line(target, report));
    }

    fn note(&self, line: &str) {
        eprintln!("{line}");
    }

    fn step(&self, _: &str) {}

    fn done(&self, done: &Done) {
        eprintln!("{}", done_line(done));
    }

    fn round(&mut self, round: u32, steps: usize) {
        eprintln!("{}", round_line(round, steps));
    }

    fn end(&mut self) {}
}

/// A bar with the cell in flight; failed reps printed above it.
pub(crate) struct Bar(Option<ProgressBar>);

impl Progress for Bar {
    fn begin(&mut self, run_id: &str, out: &Path, todo: usize, skipped: &[String]) {
        let bar = ProgressBar::new(todo as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} ETA {eta} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        header(run_id, out, todo, skipped);
        self.0 = Some(bar);
    }

    fn dataset(&self, target: &Place, report: &PrepareReport) {
        self.note(&dataset_line(target, report));
    }

    fn note(&self, line: &str) {
        match &self.0 {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn step(&self, cell: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(cell.to_string());
        }
    }

    fn done(&self, done: &Done) {
        if let Some(bar) = &self.0 {
            if !done.outcome.ok {
                bar.println(done_line(done));
            }
            bar.inc(1);
        }
    }

    fn round(&mut self, round: u32, steps: usize) {
        if let Some(bar) = &self.0 {
            bar.inc_length(steps as u64);
            bar.println(round_line(round, steps));
        }
    }

    fn end(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}

fn header(run_id: &str, out: &Path, todo: usize, skipped: &[String]) {
    eprintln!(
        "mountbench: run {run_id} → {} ({todo} reps to do)",
        out.display()
    );
    for s in skipped {
        eprintln!("mountbench: skipped {s}");
    }
}

fn dataset_line(target: &Place, report: &PrepareReport) -> String {
    let what = if report.reused {
        "reused".to_string()
    } else {
        format!(
            "generated in {:.1} s ({:.0} MiB/s)",
            report.seconds, report.mib_s
        )
    };
    format!(
        "mountbench: dataset {} on {target}: {} files, {}, {what}",
        report.id,
        report.files,
        ByteSize(report.bytes)
    )
}

fn round_line(round: u32, steps: usize) -> String {
    format!(
        "mountbench: rep {} of the cells whose CI is still wider than the target: {steps} more reps",
        round + 1
    )
}

fn done_line(done: &Done) -> String {
    let Done {
        index,
        total,
        cell,
        step,
        outcome,
    } = done;
    let n = step.rep + 1;
    let label = if step.warmup {
        format!("warm-up {n}")
    } else {
        format!("rep {n}")
    };
    let at = format!("[{}/{total}] {cell} {label}", index + 1);
    match (&outcome.error, &outcome.counts) {
        (None, Some(counts)) => format!("{at}: {counts}"),
        (None, None) => format!("{at}: {:.1} MiB/s", outcome.mib_s),
        (Some(e), _) => format!("{at}: FAILED: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_a_rep_names_its_place_cell_and_speed_or_error() {
        let mut outcome = StepOutcome {
            ok: true,
            error: None,
            seconds: 1.0,
            bytes: 1 << 20,
            mib_s: 12.34,
            counts: None,
        };
        let step = Step {
            cell: 0,
            rep: 1,
            warmup: false,
        };
        let done = |outcome: &StepOutcome, step: Step| {
            done_line(&Done::new(2, 9, "seq/native/cold", step, outcome))
        };
        assert_eq!(
            done(&outcome, step),
            "[3/9] seq/native/cold rep 2: 12.3 MiB/s"
        );
        outcome.error = Some("agent: exit 1".into());
        let warmup = Step {
            warmup: true,
            rep: 0,
            ..step
        };
        assert_eq!(
            done(&outcome, warmup),
            "[3/9] seq/native/cold warm-up 1: FAILED: agent: exit 1"
        );
        outcome.error = None;
        outcome.counts = Some("40 seen, 0 stale, 0 lost".into());
        assert_eq!(
            done(&outcome, step),
            "[3/9] seq/native/cold rep 2: 40 seen, 0 stale, 0 lost"
        );
    }
}
