//! A dataset's `manifest.tsv`: one line per file in index order, its path relative to the
//! dataset, its size and its checksum (xxh3, 16 hex digits), separated by tabs. The
//! generator writes it; everything that walks a dataset's files reads it here, and a
//! dataset, or a copy of it, is checked file by file against it.

use std::fs::File;
use std::io::{BufRead, BufReader, Lines};
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::Xxh3;

use crate::error::{Corruption, Error, IoContext, Result};
use crate::workload::dataset::Dataset;

/// The manifest's file name in a dataset's folder.
pub(crate) const MANIFEST_TSV: &str = "manifest.tsv";

/// One file the manifest lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ManifestFile {
    /// Its path relative to the dataset's folder.
    pub rel: String,
    /// Its checksum as the manifest writes it.
    pub checksum: String,
}

/// The files listed in `dir`'s manifest.tsv, read a line at a time; a line without its
/// three fields is an error.
pub(crate) fn manifest_files(dir: &Path) -> Result<ManifestFiles> {
    let path = dir.join(MANIFEST_TSV);
    let lines = BufReader::new(File::open(&path).at(&path)?).lines();
    Ok(ManifestFiles { path, lines })
}

/// The iterator `manifest_files` returns.
pub(crate) struct ManifestFiles {
    path: PathBuf,
    lines: Lines<BufReader<File>>,
}

impl Iterator for ManifestFiles {
    type Item = Result<ManifestFile>;

    fn next(&mut self) -> Option<Self::Item> {
        let line = match self.lines.next()?.at(&self.path) {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        let mut parts = line.split('\t');
        Some(match (parts.next(), parts.next(), parts.next()) {
            (Some(rel), Some(_), Some(sum)) => Ok(ManifestFile {
                rel: rel.to_string(),
                checksum: sum.to_string(),
            }),
            _ => Err(Error::Dataset(format!(
                "{}: malformed line \"{line}\"",
                self.path.display()
            ))),
        })
    }
}

/// Verify every file against `manifest.tsv`; returns the number of files checked.
#[cfg(test)]
pub(crate) fn verify(dataset: &Dataset) -> Result<usize> {
    verify_copy(dataset, &dataset.dir)
}

/// Verify a copy of the dataset's files under `copy` (e.g. restored from a backup) against
/// the dataset's manifest; returns the number of files checked.
pub(crate) fn verify_copy(dataset: &Dataset, copy: &Path) -> Result<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_give_path_and_checksum_and_a_short_line_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = "shard-00000.bin\t4096\t00000000000000aa\nd0001/f0000002.bin\t9\tbb\nbroken\n";
        std::fs::write(dir.path().join(MANIFEST_TSV), text).unwrap();
        let mut files = manifest_files(dir.path()).unwrap();
        let file = |rel: &str, sum: &str| ManifestFile {
            rel: rel.into(),
            checksum: sum.into(),
        };
        assert_eq!(
            files.next().unwrap().unwrap(),
            file("shard-00000.bin", "00000000000000aa")
        );
        assert_eq!(
            files.next().unwrap().unwrap(),
            file("d0001/f0000002.bin", "bb")
        );
        let err = files.next().unwrap().unwrap_err().to_string();
        assert!(err.contains("malformed line \"broken\""), "{err}");
        assert!(files.next().is_none());
        assert!(manifest_files(&dir.path().join("none")).is_err());
    }
}
