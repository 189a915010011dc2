//! The agent: one rep of a workload, specified in JSON, measured in this process and reported
//! as JSON on stdout. Native runs it as a child process, containers through `exec`.

mod statfs;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::measure::Op;
use crate::workload::dataset::{self, Dataset, DatasetSpec, PrepareReport};
use crate::workload::party::{self, Party};
use crate::workload::probe::Observation;
use crate::workload::{MetricResult, Rep};

pub use crate::measure::calibrate::{calibrate, CpuCalibration};
pub use crate::workload::{MountFacts, RepSpec, Role};
pub(crate) use statfs::nearest_existing;
pub use statfs::FsSpace;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepResult {
    /// One per metric of the workload's kind, the headline first.
    pub metrics: Vec<MetricResult>,
    pub histograms: BTreeMap<Op, String>,
    /// Fraction of the data's pages in the page cache right before the timed section; None
    /// where there is no such data or mincore cannot see its cache (unknown, not 0%).
    pub residency: Option<f64>,
    /// Seconds the agent process spent in total, to separate exec overhead from I/O.
    pub agent_seconds: f64,
    /// What each semantics probe saw (none for other kinds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<Observation>,
}

/// Prepare (generate or reuse) a dataset under `root`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrepareSpec {
    pub dataset: DatasetSpec,
    pub root: PathBuf,
    pub threads: usize,
    /// Only check the copy already there (baked into an image); never generate one.
    #[serde(default)]
    pub existing: bool,
}

pub fn prepare(spec: &PrepareSpec) -> Result<PrepareReport> {
    let report = match spec.existing {
        true => Dataset::existing(&spec.root, &spec.dataset)?,
        false => Dataset::prepare(&spec.root, &spec.dataset, spec.threads)?,
    };
    dataset::settle(&Dataset::open(&spec.root, &spec.dataset)?)?;
    Ok(report)
}

/// Run one rep: find the kind's dataset and set its cache phase, then let the kind measure.
pub fn run_rep(spec: &RepSpec, started: Instant) -> Result<RepResult> {
    crate::measure::calibrate_clock();
    // The rep before (a checkpoint, a metadata storm) may have left dirty pages and queued
    // discards; flushing them now keeps its writeback out of this rep's timed section.
    rustix::fs::sync();
    let prepared = match DatasetSpec::of(&spec.workload) {
        Some(ds) => {
            let dataset = Dataset::open(spec.data_root(), &ds)?;
            let residency = crate::workload::cold::set_phase_checked(&dataset, spec.phase)?;
            Some((dataset, residency))
        }
        None => None,
    };
    let rep = Rep::new(spec, prepared.as_ref().map(|(d, _)| d));
    let measured = spec.workload.params.run(&rep)?;
    Ok(RepResult {
        metrics: measured.metrics,
        histograms: measured.histograms.encode(),
        residency: measured.residency.or(prepared.and_then(|(_, r)| r)),
        agent_seconds: started.elapsed().as_secs_f64(),
        probes: measured.observations,
    })
}

/// Play one side of a driven rep over stdin and stdout (the changer as the writer, the
/// checker as the reader), or one side of a two-sided probe.
pub fn party(spec: &RepSpec) -> Result<()> {
    if let Some(duet) = spec.workload.params.duet() {
        let rep = Rep::new(spec, None);
        let mut stdin = std::io::stdin().lock();
        return duet.serve(&rep, &mut stdin, &mut std::io::stdout().lock());
    }
    let driven = spec.workload.params.driven().ok_or_else(|| {
        Error::Protocol(format!(
            "party: {} is not a driven workload",
            spec.workload.params.kind()
        ))
    })?;
    let rep = Rep::new(spec, None);
    let party = match spec.role {
        Role::Writer => Party::Changer(driven.changer(&rep)?),
        Role::Reader | Role::Solo => Party::Checker(driven.checker(&rep)?),
    };
    let stdin = std::io::stdin().lock();
    party::serve(party, stdin, std::io::stdout().lock())
}

/// Shared objects this process has mapped: what a `FROM scratch` image must carry besides the
/// binary itself.
pub fn loaded_libraries() -> Result<Vec<PathBuf>> {
    let maps =
        std::fs::read_to_string("/proc/self/maps").map_err(|e| Error::io("/proc/self/maps", e))?;
    let mut libs: Vec<PathBuf> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.starts_with('/') && p.contains(".so"))
        .map(PathBuf::from)
        .collect();
    libs.sort();
    libs.dedup();
    Ok(libs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Metric;
    use crate::size::ByteSize;
    use crate::workload::kinds::checkpoint::Checkpoint;
    use crate::workload::{Params, Phase, Workload};

    #[test]
    fn a_checkpoint_names_its_file_metric_by_whether_it_fsyncs() {
        let cases = [(true, Metric::WriteFsync), (false, Metric::Write)];
        for (fsync, want) in cases {
            let checkpoint = Checkpoint {
                size: ByteSize(2 << 20),
                chunk_size: ByteSize(1 << 20),
                fsync,
                ..Checkpoint::default()
            };
            let root = tempfile::tempdir().unwrap();
            let spec = RepSpec {
                workload: Workload {
                    name: "ckpt".into(),
                    phases: vec![Phase::Warm],
                    threads: 1,
                    direct: false,
                    seed: 1,
                    loops: 1,
                    params: Params::Checkpoint(checkpoint),
                },
                phase: Phase::Warm,
                root: root.path().to_path_buf(),
                scratch: "t".into(),
                seq: 0,
                backup: PathBuf::new(),
                role: Role::Solo,
                data_root: None,
            };
            let result = run_rep(&spec, Instant::now()).unwrap();
            let names: Vec<Metric> = result.metrics.iter().map(|m| m.metric).collect();
            assert_eq!(
                names,
                [Metric::Save, want, Metric::Restore],
                "fsync = {fsync}"
            );
            let (save, file) = (&result.metrics[0], &result.metrics[1]);
            assert!(file.seconds > 0.0 && file.seconds <= save.seconds);
        }
    }
}
