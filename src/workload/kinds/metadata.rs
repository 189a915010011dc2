//! `metadata`: storms of create, stat, rename and unlink on empty files spread over many
//! directories (dataset preparation, shard rotation, checkpoint housekeeping). Each storm is
//! timed on its own, all threads starting together.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{IoContext, Result};
use crate::measure::{Lap, Op, OpHistograms};
use crate::metric::Metric;
use crate::size::ByteSize;
use crate::workload::check::Check;
use crate::workload::dataset::DatasetSpec;
use crate::workload::kinds::{Kind, Scale};
use crate::workload::rep::{Measured, MetricResult, Rep};
use crate::workload::{run_threads, Timed};

/// Create, stat, rename and unlink storms of empty files across many directories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Metadata {
    pub dirs: u32,
    pub files_per_dir: u32,
}

impl Default for Metadata {
    fn default() -> Self {
        Metadata {
            dirs: 16,
            files_per_dir: 256,
        }
    }
}

impl Kind for Metadata {
    fn check(&self, c: &Check) -> Result<()> {
        c.positive("dirs", self.dirs as u64)?;
        c.positive("files_per_dir", self.files_per_dir as u64)
    }

    fn direct_block(&self) -> Option<ByteSize> {
        None
    }

    fn dataset(&self, _seed: u64) -> Option<DatasetSpec> {
        None
    }

    /// An inode and a directory entry each; tmpfs charges about a page per file.
    fn footprint(&self) -> u64 {
        (self.dirs as u64 * self.files_per_dir as u64).saturating_mul(4096)
    }

    fn metrics(&self) -> &'static [Metric] {
        &[Metric::Create, Metric::Stat, Metric::Rename, Metric::Unlink]
    }

    fn run(&self, rep: &Rep) -> Result<Measured> {
        let dir = rep.scratch_dir().join(rep.spec.seq.to_string());
        let s = storms(
            &dir,
            self.dirs as usize,
            self.files_per_dir as usize,
            rep.threads(),
        )?;
        let mut histograms = OpHistograms::default();
        for t in [&s.create, &s.stat, &s.rename, &s.unlink] {
            histograms.merge(&t.histograms);
        }
        let metrics = vec![
            MetricResult::timed(Metric::Create, &s.create),
            MetricResult::timed(Metric::Stat, &s.stat),
            MetricResult::timed(Metric::Rename, &s.rename),
            MetricResult::timed(Metric::Unlink, &s.unlink),
        ];
        Ok(Measured {
            metrics,
            histograms,
            residency: None,
            observations: Vec::new(),
        })
    }

    fn scaled(&self, scale: Scale) -> Self {
        let (dirs, files_per_dir) = scale.tree(self.dirs, self.files_per_dir);
        Metadata {
            dirs,
            files_per_dir,
        }
    }
}

pub(crate) struct Storms {
    pub create: Timed,
    pub stat: Timed,
    pub rename: Timed,
    pub unlink: Timed,
}

/// Thread `t` owns directories t, t+threads, …; the folders are made before and removed
/// after the timed storms.
pub(crate) fn storms(
    dir: &Path,
    dirs: usize,
    files_per_dir: usize,
    threads: usize,
) -> Result<Storms> {
    let threads = threads.min(dirs).max(1);
    for d in 0..dirs {
        let sub = dir.join(format!("d{d:04}"));
        fs::create_dir_all(&sub).at(&sub)?;
    }
    let names = |t: usize, suffix: &str| -> Vec<PathBuf> {
        (t..dirs)
            .step_by(threads)
            .flat_map(|d| {
                (0..files_per_dir).map(move |f| dir.join(format!("d{d:04}/f{f:06}{suffix}")))
            })
            .collect()
    };
    let storm = |op: Op, act: &(dyn Fn(&Path, &Path) -> std::io::Result<()> + Sync)| {
        run_threads(
            threads,
            &[op],
            |t| (names(t, ""), names(t, ".renamed")),
            |_, (plain, renamed), hist| {
                let mut lap = Lap::start();
                for (a, b) in plain.iter().zip(renamed.iter()) {
                    let done = act(a, b);
                    lap.split(hist, op);
                    done.at(a)?;
                }
                Ok((0, plain.len() as u64))
            },
        )
    };
    let create = storm(Op::Create, &|a, _| {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(a)
            .map(drop)
    })?;
    let stat = storm(Op::Stat, &|a, _| fs::metadata(a).map(drop))?;
    let rename = storm(Op::Rename, &|a, b| fs::rename(a, b))?;
    let unlink = storm(Op::Unlink, &|_, b| fs::remove_file(b))?;
    fs::remove_dir_all(dir).at(dir)?;
    Ok(Storms {
        create,
        stat,
        rename,
        unlink,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_storm_touches_every_file_and_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("storm");
        let storms = storms(&dir, 3, 40, 2).unwrap();
        for (name, t) in [
            ("create", &storms.create),
            ("stat", &storms.stat),
            ("rename", &storms.rename),
            ("unlink", &storms.unlink),
        ] {
            assert_eq!(t.ops, 120, "{name}");
            assert!(t.seconds > 0.0, "{name}");
        }
        assert_eq!(storms.unlink.histograms.get(Op::Unlink).unwrap().len(), 120);
        assert!(!dir.exists());
    }
}
