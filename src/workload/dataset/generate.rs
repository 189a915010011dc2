//! Generating a dataset: every file's bytes drawn from the seed and its index, written by
//! worker threads, checksummed into the manifest.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xxhash_rust::xxh3::Xxh3;

use crate::atomic::write_atomic;
use crate::error::{Error, IoContext, Result};
use crate::workload::dataset::{
    DatasetSpec, Manifest, PrepareReport, MANIFEST_SCHEMA, MANIFEST_TSV,
};

/// Deterministic content of file `index`: a ChaCha8 stream keyed by the seed and the index.
pub(crate) fn file_rng(seed: u64, index: usize) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(index as u64).to_le_bytes());
    key[16..].copy_from_slice(b"mountbench-data!");
    ChaCha8Rng::from_seed(key)
}

pub(super) fn generate(
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
    let checksums = write_files(spec, dir, sizes, threads)?;
    // Make every page clean so `cold` eviction can actually drop it.
    let dir_file = File::open(dir).at(dir)?;
    crate::platform::flush_filesystem(&dir_file).map_err(|e| Error::io(dir, e))?;
    let manifest = write_manifest(spec, dir, sizes, &checksums, started.elapsed())?;
    Ok(PrepareReport {
        id: manifest.id,
        files: manifest.files,
        bytes: manifest.total_bytes,
        reused: false,
        seconds: manifest.generated_seconds,
        mib_s: manifest.generated_mib_s,
    })
}

/// Write every file on `threads` threads taking the next index in turn; returns each file's
/// checksum in index order.
fn write_files(spec: &DatasetSpec, dir: &Path, sizes: &[u64], threads: usize) -> Result<Vec<u64>> {
    let checksums: Vec<AtomicU64> = (0..sizes.len()).map(|_| Default::default()).collect();
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
            w.join().map_err(|_| Error::Panicked {
                thread: "dataset generator",
            })??;
        }
        Ok(())
    })?;
    Ok(checksums.into_iter().map(AtomicU64::into_inner).collect())
}

/// manifest.tsv (path, size and checksum of every file) and manifest.json.
fn write_manifest(
    spec: &DatasetSpec,
    dir: &Path,
    sizes: &[u64],
    checksums: &[u64],
    took: Duration,
) -> Result<Manifest> {
    let mut listing = String::with_capacity(sizes.len() * 40);
    let mut all = Xxh3::new();
    for (i, (size, sum)) in sizes.iter().zip(checksums).enumerate() {
        all.update(&sum.to_le_bytes());
        listing.push_str(&format!("{}\t{size}\t{sum:016x}\n", spec.rel_path(i)));
    }
    write_atomic(&dir.join(MANIFEST_TSV), listing.as_bytes())?;
    let seconds = took.as_secs_f64();
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
    Ok(manifest)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::dataset::store::tests::small;
    use crate::workload::dataset::Dataset;

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
}
