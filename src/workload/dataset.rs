//! Datasets: files generated deterministically from a seed, with a manifest, reused when the
//! manifest matches.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::error::{Error, IoContext, Result};
use crate::results::write_atomic;
use crate::workload::spec::{Params, Workload};

pub const MANIFEST_SCHEMA: u32 = 1;
const MAX_SMALL_FILE: u64 = 64 << 20;

/// The shape of a dataset; equal specs give byte-identical files on every host and target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "layout", rename_all = "kebab-case")]
pub enum DatasetSpec {
    Shards {
        count: u32,
        size: u64,
        seed: u64,
    },
    SmallFiles {
        dirs: u32,
        files_per_dir: u32,
        median_size: u64,
        sigma: f64,
        seed: u64,
    },
}

impl DatasetSpec {
    pub fn of(workload: &Workload) -> Option<Self> {
        if let Some((dirs, files_per_dir, median_size, sigma)) = workload.params.small_file_set() {
            return Some(DatasetSpec::SmallFiles {
                dirs,
                files_per_dir,
                median_size: median_size.0,
                sigma,
                seed: workload.seed,
            });
        }
        match &workload.params {
            Params::SeqRead {
                shards, shard_size, ..
            }
            | Params::RandomRead {
                shards, shard_size, ..
            } => Some(DatasetSpec::Shards {
                count: *shards,
                size: shard_size.0,
                seed: workload.seed,
            }),
            _ => None,
        }
    }

    /// A stable folder name: layout plus a hash of the spec.
    pub fn id(&self) -> String {
        let json = serde_json::to_string(self).expect("dataset spec serializes");
        let layout = match self {
            DatasetSpec::Shards { .. } => "shards",
            DatasetSpec::SmallFiles { .. } => "small-files",
        };
        format!(
            "{layout}-{:016x}",
            xxhash_rust::xxh3::xxh3_64(json.as_bytes())
        )
    }

    pub fn file_count(&self) -> usize {
        match self {
            DatasetSpec::Shards { count, .. } => *count as usize,
            DatasetSpec::SmallFiles {
                dirs,
                files_per_dir,
                ..
            } => *dirs as usize * *files_per_dir as usize,
        }
    }

    /// File sizes in index order.
    pub fn sizes(&self) -> Vec<u64> {
        match self {
            DatasetSpec::Shards { count, size, .. } => vec![*size; *count as usize],
            DatasetSpec::SmallFiles {
                median_size,
                sigma,
                seed,
                ..
            } => {
                let mut rng = ChaCha8Rng::seed_from_u64(*seed);
                // The log-normal tail is cut, at 16× the median for very large samples.
                let cap = MAX_SMALL_FILE.max(median_size.saturating_mul(16));
                let dist = LogNormal::new((*median_size as f64).ln(), *sigma)
                    .expect("validated sigma is finite and non-negative");
                (0..self.file_count())
                    .map(|_| (dist.sample(&mut rng).round() as u64).clamp(1, cap))
                    .collect()
            }
        }
    }

    /// Path of file `index` relative to the dataset folder.
    pub fn rel_path(&self, index: usize) -> String {
        let mut out = String::new();
        self.write_rel_path(index, &mut out);
        out
    }

    /// Append the relative path of file `index` to `out` (no allocation once `out` is large).
    pub fn write_rel_path(&self, index: usize, out: &mut String) {
        use std::fmt::Write as _;
        let _ = match self {
            DatasetSpec::Shards { .. } => write!(out, "shard-{index:05}.bin"),
            DatasetSpec::SmallFiles { files_per_dir, .. } => {
                let per = *files_per_dir as usize;
                write!(out, "d{:04}/f{:07}.bin", index / per, index % per)
            }
        };
    }

    fn seed(&self) -> u64 {
        match self {
            DatasetSpec::Shards { seed, .. } | DatasetSpec::SmallFiles { seed, .. } => *seed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
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

pub fn datasets_dir(root: &Path) -> PathBuf {
    root.join("datasets")
}

impl Dataset {
    pub fn path(&self, index: usize) -> PathBuf {
        self.dir.join(self.spec.rel_path(index))
    }

    pub fn total_bytes(&self) -> u64 {
        self.sizes.iter().sum()
    }

    /// Open a prepared dataset; fails if it is missing or its manifest does not match.
    pub fn open(root: &Path, spec: &DatasetSpec) -> Result<Self> {
        let dir = datasets_dir(root).join(spec.id());
        let manifest = read_manifest(&dir)?.ok_or_else(|| {
            Error::Agent(format!(
                "dataset {} is not prepared (no valid manifest.json)",
                dir.display()
            ))
        })?;
        if manifest.spec != *spec {
            return Err(Error::Agent(format!(
                "dataset {} has a manifest for another spec",
                dir.display()
            )));
        }
        Ok(Dataset {
            dir,
            spec: spec.clone(),
            sizes: spec.sizes(),
        })
    }

    /// Generate the dataset under `root/datasets/`, or reuse it when its manifest matches and
    /// every file has its size. Holds an exclusive lock so concurrent runs do not collide.
    pub fn prepare(root: &Path, spec: &DatasetSpec, threads: usize) -> Result<PrepareReport> {
        let base = datasets_dir(root);
        fs::create_dir_all(&base).at(&base)?;
        let id = spec.id();
        let lock_path = base.join(format!("{id}.lock"));
        let lock = File::create(&lock_path).at(&lock_path)?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| Error::io(&lock_path, e.into()))?;
        let dir = base.join(&id);
        let sizes = spec.sizes();
        if let Some(m) = read_manifest(&dir)? {
            if m.spec == *spec && files_match(spec, &dir, &sizes) {
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
        generate(spec, &dir, &sizes, threads)
    }
}

fn read_manifest(dir: &Path) -> Result<Option<Manifest>> {
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

/// Deterministic content of file `index`: a ChaCha8 stream keyed by the seed and the index.
pub fn file_rng(seed: u64, index: usize) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(index as u64).to_le_bytes());
    key[16..].copy_from_slice(b"mountbench-data!");
    ChaCha8Rng::from_seed(key)
}

fn generate(
    spec: &DatasetSpec,
    dir: &Path,
    sizes: &[u64],
    threads: usize,
) -> Result<PrepareReport> {
    let started = Instant::now();
    fs::create_dir_all(dir).at(dir)?;
    if let DatasetSpec::SmallFiles { dirs, .. } = spec {
        for d in 0..*dirs as usize {
            let sub = dir.join(format!("d{d:04}"));
            fs::create_dir_all(&sub).at(&sub)?;
        }
    }
    let checksums: Vec<std::sync::atomic::AtomicU64> =
        (0..sizes.len()).map(|_| Default::default()).collect();
    let next = AtomicUsize::new(0);
    let seed = spec.seed();
    std::thread::scope(|s| -> Result<()> {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    let mut buf = vec![0u8; 1 << 20];
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= sizes.len() {
                            return Ok(());
                        }
                        let path = dir.join(spec.rel_path(i));
                        let sum = write_file(&path, sizes[i], &mut file_rng(seed, i), &mut buf)?;
                        checksums[i].store(sum, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| Error::Agent("dataset generator thread panicked".into()))??;
        }
        Ok(())
    })?;
    // Make every page clean so `cold` eviction can actually drop it.
    let dir_file = File::open(dir).at(dir)?;
    rustix::fs::syncfs(&dir_file).map_err(|e| Error::io(dir, e.into()))?;

    let mut listing = String::with_capacity(sizes.len() * 40);
    let mut all = Xxh3::new();
    for (i, size) in sizes.iter().enumerate() {
        let sum = checksums[i].load(Ordering::Relaxed);
        all.update(&sum.to_le_bytes());
        listing.push_str(&format!("{}\t{size}\t{sum:016x}\n", spec.rel_path(i)));
    }
    write_atomic(&dir.join("manifest.tsv"), listing.as_bytes())?;
    let seconds = started.elapsed().as_secs_f64();
    let total: u64 = sizes.iter().sum();
    let manifest = Manifest {
        schema: MANIFEST_SCHEMA,
        id: spec.id(),
        spec: spec.clone(),
        files: sizes.len(),
        total_bytes: total,
        checksum: format!("{:016x}", all.digest()),
        generated_seconds: seconds,
        generated_mib_s: total as f64 / (1 << 20) as f64 / seconds,
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    write_atomic(&dir.join("manifest.json"), &json)?;
    Ok(PrepareReport {
        id: manifest.id,
        files: manifest.files,
        bytes: total,
        reused: false,
        seconds,
        mib_s: manifest.generated_mib_s,
    })
}

fn write_file(path: &Path, size: u64, rng: &mut ChaCha8Rng, buf: &mut [u8]) -> Result<u64> {
    let mut file = File::create(path).at(path)?;
    let mut hasher = Xxh3::new();
    let mut left = size;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        rng.fill_bytes(&mut buf[..n]);
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).at(path)?;
        left -= n as u64;
    }
    Ok(hasher.digest())
}

/// Verify every file against `manifest.tsv`; returns the number of files checked.
pub fn verify(dataset: &Dataset) -> Result<usize> {
    verify_copy(dataset, &dataset.dir)
}

/// Verify a copy of the dataset's files under `copy` (e.g. restored from a backup) against
/// the dataset's manifest; returns the number of files checked.
pub fn verify_copy(dataset: &Dataset, copy: &Path) -> Result<usize> {
    let listing = dataset.dir.join("manifest.tsv");
    let reader = BufReader::new(File::open(&listing).at(&listing)?);
    let mut buf = vec![0u8; 1 << 20];
    let mut checked = 0;
    for line in reader.lines() {
        let line = line.at(&listing)?;
        let mut parts = line.split('\t');
        let (Some(rel), Some(_), Some(sum)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Error::Agent(format!(
                "{}: malformed line \"{line}\"",
                listing.display()
            )));
        };
        let path = copy.join(rel);
        let mut file = File::open(&path).at(&path)?;
        let mut hasher = Xxh3::new();
        loop {
            let n = std::io::Read::read(&mut file, &mut buf).at(&path)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        if format!("{:016x}", hasher.digest()) != sum {
            return Err(Error::Agent(format!(
                "{}: checksum mismatch",
                path.display()
            )));
        }
        checked += 1;
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> DatasetSpec {
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

        // A truncated file makes the manifest stale: the dataset is generated again.
        std::fs::write(ds.path(4), b"x").unwrap();
        let redone = Dataset::prepare(root.path(), &spec, 1).unwrap();
        assert!(!redone.reused);
        assert_eq!(verify(&ds).unwrap(), 30);
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let spec = small();
        Dataset::prepare(a.path(), &spec, 1).unwrap();
        Dataset::prepare(b.path(), &spec, 2).unwrap();
        let read =
            |root: &Path| std::fs::read(Dataset::open(root, &spec).unwrap().path(17)).unwrap();
        assert_eq!(read(a.path()), read(b.path()));
        let DatasetSpec::SmallFiles {
            dirs,
            files_per_dir,
            median_size,
            sigma,
            ..
        } = spec.clone()
        else {
            unreachable!()
        };
        let other = DatasetSpec::SmallFiles {
            dirs,
            files_per_dir,
            median_size,
            sigma,
            seed: 8,
        };
        assert_ne!(other.id(), spec.id());
    }

    #[test]
    fn small_file_sizes_center_on_the_median() {
        let spec = DatasetSpec::SmallFiles {
            dirs: 10,
            files_per_dir: 1000,
            median_size: 110 << 10,
            sigma: 0.6,
            seed: 1,
        };
        let mut sizes = spec.sizes();
        sizes.sort_unstable();
        let median = sizes[sizes.len() / 2] as f64;
        assert!(
            (median / (110 << 10) as f64 - 1.0).abs() < 0.05,
            "median {median}"
        );
    }
}
