//! `semantics`: what a mount does, not how fast. Each probe checks one behaviour users trip
//! over (an O_DIRECT open, a hole, a hard link, an xattr, a 255-byte name…) in a folder of
//! its own on the target and reports what it saw; the run judges that against what native
//! saw on the same host ([`judge`], in [`crate::workload::probe`]). Two timed probes also give rates: `fsync`
//! (many small write + fsync pairs, their latency histogram) and `delete-200`.
//!
//! One file per probe family: [`files`] (O_DIRECT, fallocate, holes, big files, long
//! names), [`names`] (case, NFC, hard links, symlinks, tar's mode-0000 create), [`attrs`]
//! (xattrs, timestamps), [`timed`] (fsync latency, deleting tiny files).
//!
//! Two-sided probes need the target and another agent on the same files at once (the host
//! for bind and native, a second container for volumes): [`locks`] (flock, fcntl),
//! [`mmap`] (a MAP_SHARED write seen across), [`phantom`] (lstat and readdir after the
//! other side unlinks), [`held`] (unlink and rename over a file held open), [`owner`]
//! (owner, chmod, chown). mountbench conducts them act by act ([`two_sided`], on [`duo`])
//! between two agents that obey ([`sides`]), in the words of [`acts`]; the run's single
//! agent does the rest.

mod acts;
mod attrs;
mod duo;
mod files;
mod held;
mod locks;
mod looks;
mod mmap;
mod names;
mod owner;
mod phantom;
mod sides;
mod timed;
mod two_sided;

use std::fs;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{IoContext, Result};
use crate::measure::{Op, OpHistograms};
use crate::metric::Metric;
use crate::size::ByteSize;
use crate::workload::check::Check;
use crate::workload::dataset::DatasetSpec;
use crate::workload::kinds::{Kind, Scale};
use crate::workload::party::{self, Duet, Line, There};
use crate::workload::rep::{Measured, MetricResult, Rep};

pub use crate::workload::probe::{evidence, judge, Observation, Outcome, Probe, Verdict};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Semantics {
    /// The probes to run, in this order; every probe when empty.
    pub probes: Vec<Probe>,
    /// Small write + fsync pairs the `fsync` probe times.
    pub fsyncs: u32,
}

impl Default for Semantics {
    fn default() -> Self {
        Semantics {
            probes: Vec::new(),
            fsyncs: 200,
        }
    }
}

impl Semantics {
    /// The probes this workload runs.
    pub fn chosen(&self) -> Vec<Probe> {
        match self.probes.is_empty() {
            true => Probe::ALL.to_vec(),
            false => self.probes.clone(),
        }
    }
}

impl Kind for Semantics {
    fn check(&self, c: &Check) -> Result<()> {
        c.one_thread("semantics probes run one at a time")?;
        c.positive("fsyncs", self.fsyncs as u64)?;
        let chosen = self.chosen();
        for (i, p) in chosen.iter().enumerate() {
            if chosen[..i].contains(p) {
                return Err(c.error("probes", format!("'{}' is listed twice", p.name())));
            }
        }
        Ok(())
    }

    fn direct_block(&self) -> Option<ByteSize> {
        None
    }

    fn dataset(&self, _seed: u64) -> Option<DatasetSpec> {
        None
    }

    /// A filesystem without holes writes the sparse probe's 16 MiB gap out (the 5 GiB
    /// file is then skipped); fallocate takes 1 MiB; the 200 tiny files and the fsync pairs
    /// a page each (tmpfs charges that much).
    fn footprint(&self) -> u64 {
        (17 << 20) + (200 + self.fsyncs as u64) * 4096
    }

    fn metrics(&self) -> &'static [Metric] {
        let chosen = self.chosen();
        match (
            chosen.contains(&Probe::Fsync),
            chosen.contains(&Probe::Delete200),
        ) {
            (true, true) => &[Metric::Probes, Metric::Fsync, Metric::Unlink],
            (true, false) => &[Metric::Probes, Metric::Fsync],
            (false, true) => &[Metric::Probes, Metric::Unlink],
            (false, false) => &[Metric::Probes],
        }
    }

    fn run(&self, rep: &Rep) -> Result<Measured> {
        let root = rep.scratch_dir().join(rep.spec.seq.to_string());
        fs::create_dir_all(&root).at(&root)?;
        let mut sheet = Sheet::default();
        let started = Instant::now();
        for probe in self.chosen().into_iter().filter(|p| !p.two_sided()) {
            let dir = root.join(probe.name());
            fs::create_dir(&dir).at(&dir)?;
            sheet.run(probe, &dir, self.fsyncs);
            let _ = fs::remove_dir_all(&dir);
        }
        let seconds = started.elapsed().as_secs_f64();
        fs::remove_dir_all(&root).at(&root)?;
        Ok(sheet.measured(self.metrics(), seconds))
    }

    fn duet(&self) -> Option<&dyn Duet> {
        Some(self)
    }

    fn scaled(&self, scale: Scale) -> Self {
        Semantics {
            fsyncs: scale.count(self.fsyncs),
            ..self.clone()
        }
    }
}

impl Duet for Semantics {
    fn two_sided(&self) -> bool {
        self.chosen().iter().any(|p| p.two_sided())
    }

    fn one_sided(&self) -> bool {
        self.chosen().iter().any(|p| !p.two_sided())
    }

    fn serve(&self, rep: &Rep, input: &mut dyn BufRead, output: &mut dyn Write) -> Result<()> {
        let base = party::folder(rep)?;
        sides::serve(&base, input, output)
    }

    fn conduct(&self, here: &mut dyn Line, there: There) -> Result<Vec<Observation>> {
        two_sided::conduct(&self.chosen(), here, there)
    }
}

/// What the probes of one rep found and timed.
#[derive(Default)]
struct Sheet {
    observations: Vec<Observation>,
    histograms: OpHistograms,
    timed: Vec<MetricResult>,
}

impl Sheet {
    fn run(&mut self, probe: Probe, dir: &Path, fsyncs: u32) {
        let started = Instant::now();
        let outcome = match probe {
            Probe::ODirect => files::o_direct(dir),
            Probe::Fallocate => files::fallocate(dir),
            Probe::Sparse => files::sparse(dir),
            Probe::Sparse4G => files::sparse_past_4g(dir),
            Probe::LongName => files::long_name(dir),
            Probe::Case => names::case(dir),
            Probe::Nfc => names::nfc(dir),
            Probe::HardLink => names::hard_link(dir),
            Probe::Symlink => names::symlink(dir),
            Probe::OpenatMode0 => names::openat_mode0(dir),
            Probe::Xattr => attrs::xattr(dir),
            Probe::Mtime => attrs::mtime(dir),
            Probe::Fsync => self.timed(Metric::Fsync, timed::fsync(dir, fsyncs)),
            Probe::Delete200 => self.timed(Metric::Unlink, timed::delete_tiny(dir, 200)),
            two_sided => Outcome::Skipped {
                note: format!(
                    "{} needs two sides; one agent alone cannot play it",
                    two_sided.name()
                ),
            },
        };
        let elapsed = started.elapsed();
        self.histograms
            .record(Op::Probe, elapsed.as_nanos().min(u64::MAX as u128) as u64);
        self.observations.push(Observation {
            probe,
            outcome,
            micros: elapsed.as_secs_f64() * 1e6,
        });
    }

    /// Keep a timed probe's rate and latencies; a failed one reports no rate.
    fn timed(
        &mut self,
        metric: Metric,
        (outcome, timed): (Outcome, Option<crate::workload::Timed>),
    ) -> Outcome {
        if let Some(t) = timed {
            self.histograms.merge(&t.histograms);
            self.timed
                .push(MetricResult::of(metric, t.bytes, t.ops, t.seconds));
        }
        outcome
    }

    fn measured(self, metrics: &[Metric], seconds: f64) -> Measured {
        let ran = self.observations.len() as u64;
        let mut results = vec![MetricResult::of(Metric::Probes, 0, ran, seconds)];
        // A timed probe that failed has no rate: its row is left out, its failure is in
        // the observations.
        for m in &metrics[1..] {
            results.extend(self.timed.iter().find(|t| t.metric == *m).cloned());
        }
        Measured {
            metrics: results,
            histograms: self.histograms,
            residency: None,
            observations: self.observations,
        }
    }
}

/// Carry on through a probe's steps, or stop at the first that fails, naming it.
type Steps<T> = std::result::Result<T, Outcome>;

fn step<T>(name: &str, r: std::io::Result<T>) -> Steps<T> {
    r.map_err(|e| Outcome::failed(name, &e))
}

/// The outcome of a probe written with [`step`]s.
fn finish(r: Steps<Outcome>) -> Outcome {
    r.unwrap_or_else(|failed| failed)
}

/// `dir/name`.
fn at(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

#[cfg(test)]
#[path = "duet_tests.rs"]
mod duet_tests;
