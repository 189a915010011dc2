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
mod tests {
    use std::io;
    use std::path::PathBuf;
    use std::time::Instant;

    use super::*;
    use crate::agent::run_rep;
    use crate::workload::{Params, Phase, RepSpec, Role, Workload};

    fn saw(facts: &str) -> Outcome {
        Outcome::saw(facts, "detail varies")
    }

    #[test]
    fn verdicts_compare_facts_not_details() {
        let native = saw("two files");
        let failed = Outcome::failed("setxattr", &io::Error::from_raw_os_error(libc::EOPNOTSUPP));
        let skipped = Outcome::Skipped {
            note: "no host side".into(),
        };
        let cases = [
            (
                Some(&native),
                Outcome::saw("two files", "other"),
                Verdict::AsNative,
            ),
            (Some(&native), saw("one file"), Verdict::Differs),
            (Some(&native), failed.clone(), Verdict::Fails),
            (Some(&failed), failed.clone(), Verdict::AsNative),
            (Some(&failed), saw("two files"), Verdict::Differs),
            (Some(&native), skipped.clone(), Verdict::Skipped),
            (None, saw("two files"), Verdict::Skipped),
        ];
        for (native, here, want) in cases {
            assert_eq!(judge(native, &here).0, want, "{here:?} against {native:?}");
        }
        let (_, evidence) = judge(Some(&native), &failed);
        assert_eq!(
            evidence,
            format!(
                "setxattr: EOPNOTSUPP ({}) (native: two files (detail varies))",
                libc::EOPNOTSUPP
            )
        );
    }

    #[test]
    fn probe_names_round_trip_and_unknown_ones_list_the_known() {
        for p in Probe::ALL {
            assert_eq!(p.name().parse::<Probe>(), Ok(p));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.name())
            );
        }
        let err = "flok".parse::<Probe>().unwrap_err();
        assert!(
            err.starts_with("unknown probe 'flok' (known: o-direct, "),
            "{err}"
        );
        assert!(err.ends_with("owner, chown)"), "{err}");
    }

    #[test]
    fn mtime_steps_are_the_largest_power_of_ten_dividing_the_nanoseconds() {
        let cases = [
            (123_456_789, "1 ns"),
            (123_456_780, "10 ns"),
            (123_456_000, "1 µs"),
            (120_000_000, "10 ms"),
            (0, "1 s"),
        ];
        for (nanos, want) in cases {
            assert_eq!(attrs::resolution_of(nanos), want, "{nanos}");
        }
    }

    fn spec(root: &std::path::Path, probes: Vec<Probe>) -> RepSpec {
        RepSpec {
            workload: Workload {
                name: "sem".into(),
                phases: vec![Phase::Warm],
                threads: 1,
                direct: false,
                seed: 1,
                loops: 1,
                params: Params::Semantics(Semantics { probes, fsyncs: 20 }),
            },
            phase: Phase::Warm,
            root: root.to_path_buf(),
            scratch: "t".into(),
            seq: 3,
            backup: PathBuf::new(),
            role: Role::Solo,
            data_root: None,
        }
    }

    /// On the host's own filesystem every probe runs to its end; what it finds depends on that
    /// filesystem, so only the ones every Linux data dir agrees on are pinned.
    #[test]
    fn every_probe_answers_natively_and_leaves_nothing() {
        let root = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let result = run_rep(&spec(root.path(), Vec::new()), Instant::now()).unwrap();
        let probes: Vec<Probe> = result.probes.iter().map(|o| o.probe).collect();
        let one_sided: Vec<Probe> = Probe::ALL.into_iter().filter(|p| !p.two_sided()).collect();
        assert_eq!(probes, one_sided);
        for o in &result.probes {
            assert!(matches!(o.outcome, Outcome::Saw { .. }), "{o:?}");
            assert!(o.micros > 0.0, "{o:?}");
        }
        let facts = |p: Probe| result.probes[p as usize].outcome.describe();
        assert_eq!(facts(Probe::Case), "Case and case are 2 files");
        assert_eq!(
            facts(Probe::HardLink),
            "one inode, nlink 2, a write through one name seen through the other"
        );
        assert!(facts(Probe::LongName).ends_with("256 bytes refused with ENAMETOOLONG"));
        assert!(facts(Probe::Delete200).starts_with("200 deleted, 0 left listed"));
        let metrics: Vec<Metric> = result.metrics.iter().map(|m| m.metric).collect();
        assert_eq!(metrics, [Metric::Probes, Metric::Fsync, Metric::Unlink]);
        assert_eq!((result.metrics[0].ops, result.metrics[1].ops), (14, 20));
        assert!(result.histograms.contains_key(&Op::Fsync));
        let scratch = root.path().join("scratch/t/sem");
        assert_eq!(std::fs::read_dir(scratch).unwrap().count(), 0);
    }

    #[test]
    fn a_choice_of_probes_runs_those_in_order_with_their_metrics() {
        let root = tempfile::tempdir().unwrap();
        let chosen = vec![Probe::Symlink, Probe::Case];
        let result = run_rep(&spec(root.path(), chosen.clone()), Instant::now()).unwrap();
        let probes: Vec<Probe> = result.probes.iter().map(|o| o.probe).collect();
        assert_eq!(probes, chosen);
        assert_eq!(result.metrics.len(), 1);
        assert_eq!(result.metrics[0].metric, Metric::Probes);
    }

    #[test]
    fn a_failed_step_is_named_with_its_errno() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let outcome = names::case(&gone);
        assert_eq!(
            outcome,
            Outcome::Failed {
                step: "create Case".into(),
                errno: format!("ENOENT ({})", libc::ENOENT),
            }
        );
    }
}

#[cfg(test)]
mod duet_tests {
    //! The two-sided probes played for real on this machine's filesystem: two agents' sides in
    //! threads over pipes, as two host processes would (native, the reference).

    use std::io::{BufRead, BufReader, PipeReader, PipeWriter, Write};
    use std::path::Path;
    use std::time::Duration;

    use super::acts::{Act, Reply};
    use super::sides;
    use super::*;
    use crate::workload::party::Line;

    /// mountbench's end of one side's pipes, the side serving in a thread.
    struct PipeLine {
        to: PipeWriter,
        from: BufReader<PipeReader>,
        side: Option<std::thread::JoinHandle<Result<()>>>,
    }

    impl PipeLine {
        fn serve(base: &Path) -> PipeLine {
            let (orders, to) = std::io::pipe().unwrap();
            let (from, replies) = std::io::pipe().unwrap();
            let base = base.to_path_buf();
            let side = std::thread::spawn(move || {
                let mut input = BufReader::new(orders);
                let mut output = replies;
                sides::serve(&base, &mut input, &mut output)
            });
            PipeLine {
                to,
                from: BufReader::new(from),
                side: Some(side),
            }
        }

        fn ended(mut self) -> Result<()> {
            self.side.take().unwrap().join().unwrap()
        }
    }

    impl Line for PipeLine {
        fn send_line(&mut self, line: &str) -> Result<()> {
            writeln!(self.to, "{line}").map_err(|e| crate::error::Error::Agent(e.to_string()))
        }

        fn recv_line(&mut self, _within: Duration) -> Result<String> {
            let mut line = String::new();
            self.from.read_line(&mut line).unwrap();
            Ok(line.trim_end().to_string())
        }
    }

    fn two_sided() -> Vec<Probe> {
        Probe::ALL.into_iter().filter(|p| p.two_sided()).collect()
    }

    #[test]
    fn two_host_processes_agree_on_every_two_sided_probe() {
        let root = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let base = root.path().join("rep");
        std::fs::create_dir(&base).unwrap();
        let mut here = PipeLine::serve(&base);
        let mut there = PipeLine::serve(&base);
        let seen = two_sided::conduct(&Probe::ALL, &mut here, Ok(&mut there)).unwrap();
        here.ended().unwrap();
        there.ended().unwrap();
        let probes: Vec<Probe> = seen.iter().map(|o| o.probe).collect();
        assert_eq!(probes, two_sided());
        let facts = |p: Probe| {
            let o = seen.iter().find(|o| o.probe == p).unwrap();
            match &o.outcome {
                Outcome::Saw { facts, .. } => facts.clone(),
                other => panic!("{p:?}: {other:?}"),
            }
        };
        let exclusive = "exclusive: the other side was refused, then got it once released";
        assert_eq!(facts(Probe::Flock), exclusive);
        // POSIX record locks belong to a process: two sides in threads of one share them (two
        // processes, as in a run, exclude each other; tests/semantics.rs shows it).
        assert_eq!(
            facts(Probe::Fcntl),
            "not exclusive: both sides held the lock at once"
        );
        assert_eq!(
            facts(Probe::MmapShared),
            "a write through the map seen by the other side"
        );
        assert_eq!(
            facts(Probe::Phantom),
            "gone to lstat and readdir at the first look"
        );
        assert_eq!(
        facts(Probe::UnlinkHeld),
        "after the unlink the open file still reads the old content; nothing left in the folder"
    );
        assert_eq!(
            facts(Probe::RenameHeld),
            "after the rename the open file still reads the old content; a new open reads the \
         new; nothing left in the folder"
        );
        assert_eq!(
            facts(Probe::Owner),
            "the other side sees the writer's owner; chmod 0640 seen"
        );
        let chown = seen.iter().find(|o| o.probe == Probe::Chown).unwrap();
        match rustix::process::geteuid().is_root() {
            true => assert_eq!(facts(Probe::Chown), "the chown holds, seen across"),
            false => assert!(matches!(chown.outcome, Outcome::Skipped { .. })),
        }
        // Every probe's folder is gone, and the rep's with them.
        assert!(!base.exists());
    }

    #[test]
    fn without_a_second_side_the_two_sided_probes_are_skipped_with_the_reason() {
        let root = tempfile::tempdir().unwrap();
        let mut here = PipeLine::serve(root.path());
        let why = "tmpfs storage belongs to one container".to_string();
        let seen = two_sided::conduct(&[Probe::Case, Probe::Flock], &mut here, Err(why)).unwrap();
        here.ended().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(
            seen[0].outcome,
            Outcome::Skipped {
                note: "no second side: tmpfs storage belongs to one container".into()
            }
        );
    }

    #[test]
    fn a_side_refuses_with_the_errno_and_breaks_on_nonsense() {
        let root = tempfile::tempdir().unwrap();
        let mut side = PipeLine::serve(root.path());
        let mut ask = |act: &Act| {
            side.send_line(&serde_json::to_string(act).unwrap())
                .unwrap();
            serde_json::from_str::<Reply>(&side.recv_line(Duration::ZERO).unwrap()).unwrap()
        };
        let unlink = Act::Unlink {
            name: "nothing".into(),
        };
        assert!(
            matches!(ask(&unlink), Reply::Refused { ref errno, .. } if errno.starts_with("ENOENT")),
        );
        let read = Act::ReadHeld {
            name: "never-held".into(),
        };
        assert_eq!(
            ask(&read),
            Reply::Broke {
                message: "never-held is not held".into()
            }
        );
        assert!(side.ended().is_err());
    }
}
