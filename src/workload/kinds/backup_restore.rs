//! `backup-restore`: the helper-container backup pattern. The dataset on the target is
//! archived (tar) into a host folder bind-mounted into the container, then extracted onto
//! the target again into a fresh folder and checked byte for byte against the manifest.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{Corruption, Error, IoContext, Result};
use crate::measure::{Op, OpHistograms};
use crate::metric::Metric;
use crate::platform::{self, SyncMode};
use crate::size::ByteSize;
use crate::workload::check::Check;
use crate::workload::dataset::{verify_copy, Dataset, DatasetSpec};
use crate::workload::kinds::{FileSet, Kind, Scale};
use crate::workload::rep::{Measured, MetricResult, Rep};

/// A dataset archived (tar) to a host folder and extracted again onto the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupRestore {
    pub dirs: u32,
    pub files_per_dir: u32,
    pub median_size: ByteSize,
    pub sigma: f64,
    pub fsync: bool,
}

impl Default for BackupRestore {
    fn default() -> Self {
        let set = FileSet::DEFAULT;
        BackupRestore {
            dirs: set.dirs,
            files_per_dir: set.files_per_dir,
            median_size: set.median_size,
            sigma: set.sigma,
            fsync: true,
        }
    }
}

impl BackupRestore {
    fn set(&self) -> FileSet {
        FileSet {
            dirs: self.dirs,
            files_per_dir: self.files_per_dir,
            median_size: self.median_size,
            sigma: self.sigma,
        }
    }
}

impl Kind for BackupRestore {
    fn check(&self, c: &Check) -> Result<()> {
        c.one_thread("backup-restore archives one stream")?;
        self.set().check(c)
    }

    fn direct_block(&self) -> Option<ByteSize> {
        None
    }

    fn dataset(&self, seed: u64) -> Option<DatasetSpec> {
        Some(self.set().dataset(seed))
    }

    /// The dataset and its extracted copy (the archive goes to a host folder).
    fn footprint(&self) -> u64 {
        self.set().bytes().saturating_mul(2)
    }

    /// The archive: every file's bytes plus its 512-byte header and up to 511 bytes of
    /// padding, and the two closing blocks.
    fn backup_footprint(&self) -> u64 {
        let files = self.dirs as u64 * self.files_per_dir as u64;
        let headers = files.saturating_mul(1024).saturating_add(1024);
        self.set().bytes().saturating_add(headers)
    }

    fn metrics(&self) -> &'static [Metric] {
        &[Metric::Backup, Metric::Extract]
    }

    fn run(&self, rep: &Rep) -> Result<Measured> {
        let spec = rep.spec;
        let archive = spec
            .backup
            .join(&spec.scratch)
            .join(format!("{}-{}.tar", spec.workload.name, spec.seq));
        let restore = rep.scratch_dir().join(format!("restore-{}", spec.seq));
        let trip = round_trip(rep.dataset()?, &archive, &restore, self.fsync)?;
        let metrics = vec![
            MetricResult::of(Metric::Backup, trip.bytes, trip.files, trip.backup_seconds),
            MetricResult::of(
                Metric::Extract,
                trip.bytes,
                trip.files,
                trip.extract_seconds,
            ),
        ];
        Ok(Measured {
            metrics,
            histograms: trip.histograms,
            residency: None,
            observations: Vec::new(),
        })
    }

    fn scaled(&self, scale: Scale) -> Self {
        let (dirs, files_per_dir) = self.set().scaled_tree(scale);
        BackupRestore {
            dirs,
            files_per_dir,
            ..self.clone()
        }
    }
}

pub(crate) struct RoundTrip {
    pub bytes: u64,
    pub files: u64,
    pub backup_seconds: f64,
    pub extract_seconds: f64,
    pub histograms: OpHistograms,
}

/// Archive `dataset` to `archive`, extract it under `restore`, verify, remove both.
/// With `fsync`, both the archive and every extracted file are on stable storage before
/// their clock stops, as a backup tool must make them.
pub(crate) fn round_trip(
    dataset: &Dataset,
    archive: &Path,
    restore: &Path,
    fsync: bool,
) -> Result<RoundTrip> {
    let mut hist = OpHistograms::with_ops(&[Op::Archive, Op::Extract]);
    for dir in [archive.parent(), Some(restore)].into_iter().flatten() {
        fs::create_dir_all(dir).at(dir)?;
    }
    let names: Vec<String> = (0..dataset.sizes.len())
        .map(|i| dataset.spec.rel_path(i))
        .collect();
    let paths: Vec<_> = names.iter().map(|n| dataset.dir.join(n)).collect();
    let start = Instant::now();
    backup(&paths, &names, archive, fsync, &mut hist)?;
    let backup_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let files = extract(archive, restore, &mut hist)?;
    if fsync {
        sync_tree(restore, &names)?;
    }
    let extract_seconds = start.elapsed().as_secs_f64();
    if files != names.len() as u64 {
        return Err(Error::corrupt(
            archive,
            Corruption::FileCount {
                found: files,
                expected: names.len(),
            },
        ));
    }
    verify_copy(dataset, restore)?;
    fs::remove_file(archive).at(archive)?;
    fs::remove_dir_all(restore).at(restore)?;
    Ok(RoundTrip {
        bytes: dataset.total_bytes(),
        files,
        backup_seconds,
        extract_seconds,
        histograms: hist,
    })
}

/// Append the files at `paths` to a new tar `archive` under their relative `names`.
fn backup(
    paths: &[PathBuf],
    names: &[String],
    archive: &Path,
    fsync: bool,
    hist: &mut OpHistograms,
) -> Result<()> {
    let tar_error = |e: std::io::Error| Error::io(archive, e);
    let mut builder = tar::Builder::new(BufWriter::new(File::create(archive).at(archive)?));
    for (path, name) in paths.iter().zip(names) {
        hist.time(Op::Archive, || builder.append_path_with_name(path, name))
            .at(path)?;
    }
    let file = builder
        .into_inner()
        .map_err(tar_error)?
        .into_inner()
        .map_err(|e| tar_error(e.into_error()))?;
    if fsync {
        platform::sync_file(&file, SyncMode::Fsync).map_err(tar_error)?;
    }
    Ok(())
}

/// Unpack every entry of `archive` under `restore`; returns the number of entries.
fn extract(archive: &Path, restore: &Path, hist: &mut OpHistograms) -> Result<u64> {
    let tar_error = |e: std::io::Error| Error::io(archive, e);
    let mut reader = tar::Archive::new(BufReader::new(File::open(archive).at(archive)?));
    let mut files = 0u64;
    for entry in reader.entries().map_err(tar_error)? {
        let mut entry = entry.map_err(tar_error)?;
        hist.time(Op::Extract, || entry.unpack_in(restore))
            .map_err(|e| Error::io(restore, e))?;
        files += 1;
    }
    Ok(files)
}

/// fsync every extracted file, then every folder holding them, then `root`.
fn sync_tree(root: &Path, names: &[String]) -> Result<()> {
    let mut dirs = std::collections::BTreeSet::new();
    for name in names {
        let path = root.join(name);
        File::open(&path)
            .and_then(|f| platform::sync_file(&f, SyncMode::Fsync))
            .at(&path)?;
        if let Some(parent) = path.parent() {
            dirs.insert(parent.to_path_buf());
        }
    }
    dirs.insert(root.to_path_buf());
    for dir in dirs {
        File::open(&dir)
            .and_then(|f| platform::sync_file(&f, SyncMode::Fsync))
            .at(&dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_then_restore_is_byte_identical() {
        let root = tempfile::tempdir().unwrap();
        let spec = DatasetSpec::SmallFiles {
            dirs: 3,
            files_per_dir: 17,
            median_size: 20_000,
            sigma: 0.8,
            seed: 11,
        };
        Dataset::prepare(root.path(), &spec, 2).unwrap();
        let dataset = Dataset::open(root.path(), &spec).unwrap();
        let archive = root.path().join("backup/a.tar");
        let restore = root.path().join("restore");
        let trip = round_trip(&dataset, &archive, &restore, true).unwrap();
        assert_eq!(trip.files, 51);
        assert_eq!(trip.bytes, dataset.total_bytes());
        assert_eq!(trip.histograms.get(Op::Extract).unwrap().len(), 51);
        assert!(!archive.exists() && !restore.exists(), "cleaned up");

        // The same round trip kept on disk: every file identical to the original.
        let mut builder = tar::Builder::new(File::create(&archive).unwrap());
        for i in 0..dataset.sizes.len() {
            builder
                .append_path_with_name(dataset.path(i), dataset.spec.rel_path(i))
                .unwrap();
        }
        builder.finish().unwrap();
        tar::Archive::new(File::open(&archive).unwrap())
            .unpack(&restore)
            .unwrap();
        for i in 0..dataset.sizes.len() {
            let rel = dataset.spec.rel_path(i);
            assert_eq!(
                fs::read(dataset.path(i)).unwrap(),
                fs::read(restore.join(&rel)).unwrap(),
                "{rel}"
            );
        }
        // And a damaged copy is caught by the check the workload runs.
        let victim = restore.join(dataset.spec.rel_path(7));
        let mut bytes = fs::read(&victim).unwrap();
        bytes[0] ^= 0xff;
        fs::write(&victim, bytes).unwrap();
        let err = verify_copy(&dataset, &restore).unwrap_err();
        assert!(
            matches!(&err, Error::Corrupt { path, fault: Corruption::Checksum } if *path == victim),
            "{err}"
        );
    }
}
