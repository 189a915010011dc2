//! Datasets on disk: found by their spec's id, with a manifest, reused when it matches and
//! every file has its size; generated otherwise.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::workload::dataset::generate::generate;
use crate::workload::dataset::partial;
use crate::workload::dataset::DatasetSpec;

pub(crate) const MANIFEST_SCHEMA: u32 = 1;

/// The file in a dataset's folder whose modification time is its last use.
pub(crate) const LAST_USE: &str = "last-used";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub schema: u32,
    pub id: String,
    pub spec: DatasetSpec,
    pub files: usize,
    pub total_bytes: u64,
    /// xxh3 over the per-file checksums in index order.
    pub checksum: String,
    pub generated_seconds: f64,
    pub generated_mib_s: f64,
}

/// What preparing a dataset did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrepareReport {
    pub id: String,
    pub files: usize,
    pub bytes: u64,
    pub reused: bool,
    pub seconds: f64,
    pub mib_s: f64,
}

/// A dataset on disk whose manifest matched its spec.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub dir: PathBuf,
    pub spec: DatasetSpec,
    pub sizes: Vec<u64>,
}

pub(crate) fn datasets_dir(root: &Path) -> PathBuf {
    root.join("datasets")
}

impl Dataset {
    pub(crate) fn path(&self, index: usize) -> PathBuf {
        self.dir.join(self.spec.rel_path(index))
    }

    pub(crate) fn total_bytes(&self) -> u64 {
        self.sizes.iter().sum()
    }

    /// Open a prepared dataset; fails if it is missing or its manifest does not match.
    pub(crate) fn open(root: &Path, spec: &DatasetSpec) -> Result<Self> {
        let dir = datasets_dir(root).join(spec.id());
        let manifest = read_manifest(&dir)?.ok_or_else(|| {
            Error::Dataset(format!(
                "{} is not prepared (no valid manifest.json)",
                dir.display()
            ))
        })?;
        if manifest.spec != *spec {
            return Err(Error::Dataset(format!(
                "{} has a manifest for another spec",
                dir.display()
            )));
        }
        Ok(Dataset {
            dir,
            spec: spec.clone(),
            sizes: spec.sizes(),
        })
    }

    /// Whether the dataset is on disk with a manifest for `spec` (its files are checked only
    /// when it is prepared).
    pub(crate) fn is_present(root: &Path, spec: &DatasetSpec) -> bool {
        let dir = datasets_dir(root).join(spec.id());
        matches!(read_manifest(&dir), Ok(Some(m)) if m.spec == *spec)
    }

    /// A dataset that must already be there (baked into an image): its manifest matches
    /// `spec` and every file has its size. Never generates and never writes.
    pub(crate) fn existing(root: &Path, spec: &DatasetSpec) -> Result<PrepareReport> {
        let dir = datasets_dir(root).join(spec.id());
        let manifest = read_manifest(&dir)?.filter(|m| m.spec == *spec);
        let Some(m) = manifest.filter(|_| files_match(spec, &dir, &spec.sizes())) else {
            return Err(Error::Dataset(format!(
                "{} is not there complete with a manifest for its spec",
                dir.display()
            )));
        };
        Ok(PrepareReport {
            id: m.id,
            files: m.files,
            bytes: m.total_bytes,
            reused: true,
            seconds: m.generated_seconds,
            mib_s: m.generated_mib_s,
        })
    }

    /// Generate the dataset under `root/datasets/`, or reuse it when its manifest matches and
    /// every file has its size. Holds an exclusive lock so concurrent runs do not collide.
    /// A new dataset is generated into a partial folder renamed into place when complete;
    /// on failure the partial folder is removed.
    pub(crate) fn prepare(
        root: &Path,
        spec: &DatasetSpec,
        threads: usize,
    ) -> Result<PrepareReport> {
        let base = datasets_dir(root);
        fs::create_dir_all(&base).at(&base)?;
        let id = spec.id();
        let _lock = partial::lock(&base, &id)?;
        partial::remove_stale_partials(&base, Some(&id))?;
        let dir = base.join(&id);
        let sizes = spec.sizes();
        if let Some(m) = read_manifest(&dir)? {
            if m.spec == *spec && files_match(spec, &dir, &sizes) {
                stamp_last_use(&dir);
                return Ok(PrepareReport {
                    id,
                    files: m.files,
                    bytes: m.total_bytes,
                    reused: true,
                    seconds: m.generated_seconds,
                    mib_s: m.generated_mib_s,
                });
            }
        }
        if dir.exists() {
            fs::remove_dir_all(&dir).at(&dir)?;
        }
        let report = generate_into_place(spec, &base, &sizes, threads)?;
        stamp_last_use(&dir);
        Ok(report)
    }
}

/// Generate into the partial folder, then rename it to the dataset's; on any failure the
/// partial folder is removed.
fn generate_into_place(
    spec: &DatasetSpec,
    base: &Path,
    sizes: &[u64],
    threads: usize,
) -> Result<PrepareReport> {
    let id = spec.id();
    let partial = partial::partial_dir(base, &id);
    if partial.exists() {
        fs::remove_dir_all(&partial).at(&partial)?;
    }
    let done = generate(spec, &partial, sizes, threads).and_then(|report| {
        let dir = base.join(&id);
        fs::rename(&partial, &dir).at(&dir)?;
        Ok(report)
    });
    if done.is_err() {
        let _ = fs::remove_dir_all(&partial);
    }
    done
}

/// Record that a run uses the dataset now (best effort: a full disk must not fail a rep
/// over it). `mountbench info` shows it and `clean --datasets --older-than` goes by it.
fn stamp_last_use(dir: &Path) {
    let _ = fs::write(dir.join(LAST_USE), chrono::Utc::now().to_rfc3339());
}

pub(crate) fn read_manifest(dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join("manifest.json");
    match fs::read(&path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path, e)),
    }
}

fn files_match(spec: &DatasetSpec, dir: &Path, sizes: &[u64]) -> bool {
    sizes.iter().enumerate().all(|(i, size)| {
        fs::metadata(dir.join(spec.rel_path(i)))
            .map(|m| m.len() == *size)
            .unwrap_or(false)
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::workload::dataset::verify;

    pub(crate) fn small() -> DatasetSpec {
        DatasetSpec::SmallFiles {
            dirs: 3,
            files_per_dir: 10,
            median_size: 4096,
            sigma: 0.5,
            seed: 7,
        }
    }

    #[test]
    fn generates_reuses_and_regenerates() {
        let root = tempfile::tempdir().unwrap();
        let spec = small();
        let first = Dataset::prepare(root.path(), &spec, 2).unwrap();
        assert!(!first.reused);
        assert_eq!(first.files, 30);
        let ds = Dataset::open(root.path(), &spec).unwrap();
        assert_eq!(verify(&ds).unwrap(), 30);
        assert_eq!(ds.total_bytes(), first.bytes);

        let again = Dataset::prepare(root.path(), &spec, 2).unwrap();
        assert!(again.reused);
        assert_eq!(Dataset::existing(root.path(), &spec).unwrap(), again);
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(Dataset::existing(elsewhere.path(), &spec).is_err());

        // A truncated file makes the manifest stale: the dataset is generated again.
        std::fs::write(ds.path(4), b"x").unwrap();
        assert!(Dataset::existing(root.path(), &spec).is_err());
        let redone = Dataset::prepare(root.path(), &spec, 1).unwrap();
        assert!(!redone.reused);
        assert_eq!(verify(&ds).unwrap(), 30);
    }

    #[test]
    fn a_killed_generation_is_never_taken_for_a_dataset_and_is_removed_next_time() {
        let root = tempfile::tempdir().unwrap();
        let base = datasets_dir(root.path());
        let spec = small();
        let other = DatasetSpec::Shards {
            count: 1,
            size: 10,
            seed: 1,
        };
        // What a killed generator leaves: partial folders, manifests and all.
        for s in [&spec, &other] {
            let partial = partial::partial_dir(&base, &s.id());
            fs::create_dir_all(&partial).unwrap();
            fs::write(partial.join("manifest.json"), b"{}").unwrap();
        }
        assert!(!Dataset::is_present(root.path(), &spec));
        let err = Dataset::open(root.path(), &spec).unwrap_err().to_string();
        let dir = base.join(spec.id());
        let shown = format!(
            "dataset {} is not prepared (no valid manifest.json)",
            dir.display()
        );
        assert_eq!(err, shown);
        let report = Dataset::prepare(root.path(), &spec, 2).unwrap();
        assert!(!report.reused);
        assert!(Dataset::is_present(root.path(), &spec));
        let names: Vec<String> = fs::read_dir(&base)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".lock"))
            .collect();
        assert_eq!(names, [spec.id()], "both partial folders removed");
        assert!(base.join(spec.id()).join(LAST_USE).is_file());
    }
}
