//! `metadata`: storms of create, stat, rename and unlink on empty files spread over many
//! directories (dataset preparation, shard rotation, checkpoint housekeeping). Each storm is
//! timed on its own, all threads starting together.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};
use crate::measure::{Lap, Op};
use crate::workload::{run_threads, Timed};

pub struct Storms {
    pub create: Timed,
    pub stat: Timed,
    pub rename: Timed,
    pub unlink: Timed,
}

/// Thread `t` owns directories t, t+threads, …; the folders are made before and removed
/// after the timed storms.
pub fn run(dir: &Path, dirs: usize, files_per_dir: usize, threads: usize) -> Result<Storms> {
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
        let storms = run(&dir, 3, 40, 2).unwrap();
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
