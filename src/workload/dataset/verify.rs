//! Checking a dataset, or a copy of it, file by file against its manifest.

use std::fs::File;
use std::path::Path;

use xxhash_rust::xxh3::Xxh3;

use crate::error::{Corruption, Error, IoContext, Result};
use crate::workload::dataset::manifest_tsv::manifest_files;
use crate::workload::dataset::Dataset;

/// Verify every file against `manifest.tsv`; returns the number of files checked.
pub fn verify(dataset: &Dataset) -> Result<usize> {
    verify_copy(dataset, &dataset.dir)
}

/// Verify a copy of the dataset's files under `copy` (e.g. restored from a backup) against
/// the dataset's manifest; returns the number of files checked.
pub fn verify_copy(dataset: &Dataset, copy: &Path) -> Result<usize> {
    let mut buf = vec![0u8; 1 << 20];
    let mut checked = 0;
    for listed in manifest_files(&dataset.dir)? {
        let listed = listed?;
        let path = copy.join(&listed.rel);
        let mut file = File::open(&path).at(&path)?;
        let mut hasher = Xxh3::new();
        loop {
            let n = std::io::Read::read(&mut file, &mut buf).at(&path)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        if format!("{:016x}", hasher.digest()) != listed.checksum {
            return Err(Error::corrupt(&path, Corruption::Checksum));
        }
        checked += 1;
    }
    Ok(checked)
}
