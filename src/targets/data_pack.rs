//! The data image's layout: the agent image's rootfs, then every dataset under
//! /mb-image/datasets/<id>/ exactly as `Dataset::prepare` lays it out under
//! `root/datasets/<id>/` (its files, `manifest.json` and `manifest.tsv`), so the agent opens
//! it with root /mb-image. Each file is streamed from the host's copy, checked against its
//! manifest's checksum on the way; nothing is held in memory but one chunk.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use bytes::Bytes;
use tokio::sync::mpsc::Sender;
use xxhash_rust::xxh3::Xxh3;

use super::image::{self, append_dir, header, packing, IMAGE_POINT};
use crate::error::{Error, IoContext, Result};
use crate::workload::dataset::{datasets_dir, manifest_files, Dataset, DatasetSpec, MANIFEST_TSV};

/// Mode of the datasets' folders and files in the image: readable by every container user.
pub(crate) const DIR_MODE: u32 = 0o755;
pub(crate) const FILE_MODE: u32 = 0o644;

/// What the image's /mb-image holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Packed {
    pub bytes: u64,
    pub files: u64,
}

/// The whole data image: the agent's rootfs (`binary` is the agent at `agent_exe`), then
/// the datasets, each prepared under `host_root`.
pub(crate) fn pack<W: Write>(
    tar: &mut tar::Builder<W>,
    agent_exe: &Path,
    binary: &[u8],
    host_root: &Path,
    datasets: &[DatasetSpec],
) -> Result<Packed> {
    image::append_rootfs(tar, agent_exe, binary)?;
    append_datasets(tar, host_root, datasets)
}

/// /mb-image/datasets/ and every dataset in it.
pub(crate) fn append_datasets<W: Write>(
    tar: &mut tar::Builder<W>,
    host_root: &Path,
    datasets: &[DatasetSpec],
) -> Result<Packed> {
    let base = datasets_dir(Path::new(IMAGE_POINT));
    append_dir(tar, &base.to_string_lossy(), DIR_MODE)?;
    let mut packed = Packed::default();
    for spec in datasets {
        append_dataset(tar, host_root, spec, &mut packed)?;
    }
    Ok(packed)
}

fn append_dataset<W: Write>(
    tar: &mut tar::Builder<W>,
    host_root: &Path,
    spec: &DatasetSpec,
    packed: &mut Packed,
) -> Result<()> {
    let dataset = Dataset::open(host_root, spec)?;
    let into = datasets_dir(Path::new(IMAGE_POINT)).join(spec.id());
    let into = into.to_string_lossy();
    append_dir(tar, &into, DIR_MODE)?;
    let files = manifest_files(&dataset.dir)?.collect::<Result<Vec<_>>>()?;
    for dir in parents(files.iter().map(|f| f.rel.as_str())) {
        append_dir(tar, &format!("{into}/{dir}"), DIR_MODE)?;
    }
    for f in &files {
        let path = dataset.dir.join(&f.rel);
        let name = format!("{into}/{}", f.rel);
        packed.bytes += append_checked(tar, &path, &name, Some(&f.checksum))?;
        packed.files += 1;
    }
    for name in [MANIFEST_TSV, "manifest.json"] {
        let path = dataset.dir.join(name);
        packed.bytes += append_checked(tar, &path, &format!("{into}/{name}"), None)?;
        packed.files += 1;
    }
    Ok(())
}

/// Every folder above the files, parents first.
fn parents<'a>(files: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    let mut dirs = BTreeSet::new();
    for rel in files {
        let mut at = Path::new(rel).parent();
        while let Some(dir) = at.filter(|d| !d.as_os_str().is_empty()) {
            dirs.insert(dir.to_string_lossy().into_owned());
            at = dir.parent();
        }
    }
    dirs
}

/// Stream one file into the tar as `name`; with a checksum, fail when the bytes sent do not
/// hash to it. Returns its size.
fn append_checked<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &Path,
    name: &str,
    checksum: Option<&str>,
) -> Result<u64> {
    let file = File::open(path).at(path)?;
    let size = file.metadata().at(path)?.len();
    let mut h = header(tar::EntryType::Regular, FILE_MODE, size);
    let mut reader = Hashing {
        inner: file.take(size),
        hasher: Xxh3::new(),
    };
    tar.append_data(&mut h, name.trim_start_matches('/'), &mut reader)
        .map_err(packing)?;
    let got = format!("{:016x}", reader.hasher.digest());
    if checksum.is_some_and(|want| want != got) {
        return Err(Error::Dataset(format!(
            "{}: its checksum differs from its manifest's; `mountbench clean --datasets` removes the host's copies so the next run generates them again",
            path.display()
        )));
    }
    Ok(size)
}

struct Hashing<R> {
    inner: R,
    hasher: Xxh3,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Bytes of the tar per message to the engine.
const CHUNK: usize = 1 << 20;

/// A `Write` that hands the tar to the import request chunk by chunk; the request's body
/// reads them from the other end. Fails once the engine stopped reading.
pub(crate) struct ChannelWriter {
    tx: Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    pub(crate) fn new(tx: Sender<std::io::Result<Bytes>>) -> ChannelWriter {
        ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx.blocking_send(Ok(Bytes::from(chunk))).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the engine stopped reading the image",
            )
        })
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn small() -> DatasetSpec {
        DatasetSpec::SmallFiles {
            dirs: 2,
            files_per_dir: 3,
            median_size: 2048,
            sigma: 0.5,
            seed: 3,
        }
    }

    /// Every entry of a packed tar: path, mode, type and content.
    fn entries(tar: Vec<u8>) -> BTreeMap<String, (u32, tar::EntryType, Vec<u8>)> {
        let mut archive = tar::Archive::new(&tar[..]);
        let mut all = BTreeMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let (mode, typ) = (entry.header().mode().unwrap(), entry.header().entry_type());
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            all.insert(path, (mode, typ, bytes));
        }
        all
    }

    #[test]
    fn datasets_are_laid_out_under_the_image_point_as_prepared() {
        let host = tempfile::tempdir().unwrap();
        let shards = DatasetSpec::Shards {
            count: 2,
            size: 3000,
            seed: 1,
        };
        let specs = [small(), shards];
        for spec in &specs {
            Dataset::prepare(host.path(), spec, 1).unwrap();
        }
        let mut tar = tar::Builder::new(Vec::new());
        let packed = append_datasets(&mut tar, host.path(), &specs).unwrap();
        let all = entries(tar.into_inner().unwrap());
        let (mut bytes, mut files) = (0, 0);
        for spec in &specs {
            let ds = Dataset::open(host.path(), spec).unwrap();
            let base = format!("mb-image/datasets/{}", spec.id());
            for i in 0..spec.file_count() {
                let (mode, typ, content) = &all[&format!("{base}/{}", spec.rel_path(i))];
                assert_eq!((*mode, *typ), (FILE_MODE, tar::EntryType::Regular));
                assert_eq!(content, &std::fs::read(ds.path(i)).unwrap());
            }
            for name in ["manifest.json", "manifest.tsv"] {
                let (_, _, content) = &all[&format!("{base}/{name}")];
                assert_eq!(content, &std::fs::read(ds.dir.join(name)).unwrap());
            }
            assert!(!all.contains_key(&format!("{base}/last-used")));
            assert_eq!(all[&base].0, DIR_MODE);
            bytes += ds.total_bytes();
            files += spec.file_count() as u64 + 2;
        }
        assert_eq!(all["mb-image/datasets"].1, tar::EntryType::Directory);
        let base = format!("mb-image/datasets/{}", specs[0].id());
        let dir = Path::new(&specs[0].rel_path(0))
            .parent()
            .unwrap()
            .to_owned();
        assert_eq!(all[&format!("{base}/{}", dir.display())].0, DIR_MODE);
        assert_eq!(packed.files, files);
        assert!(packed.bytes > bytes, "the manifests count too");

        // Unpacked, the agent opens and verifies it with root /mb-image.
        let out = tempfile::tempdir().unwrap();
        let mut tar = tar::Builder::new(Vec::new());
        append_datasets(&mut tar, host.path(), &specs).unwrap();
        tar::Archive::new(&tar.into_inner().unwrap()[..])
            .unpack(out.path())
            .unwrap();
        for spec in &specs {
            let root = out.path().join("mb-image");
            let report = Dataset::existing(&root, spec).unwrap();
            assert!(report.reused);
            let ds = Dataset::open(&root, spec).unwrap();
            assert_eq!(
                crate::workload::dataset::verify(&ds).unwrap(),
                spec.file_count()
            );
        }
    }

    #[test]
    fn a_host_copy_that_differs_from_its_manifest_is_refused() {
        let host = tempfile::tempdir().unwrap();
        let spec = small();
        Dataset::prepare(host.path(), &spec, 1).unwrap();
        let ds = Dataset::open(host.path(), &spec).unwrap();
        let mut bytes = std::fs::read(ds.path(1)).unwrap();
        bytes[0] ^= 0xff;
        std::fs::write(ds.path(1), bytes).unwrap();
        let mut tar = tar::Builder::new(Vec::new());
        let err = append_datasets(&mut tar, host.path(), &[spec]).unwrap_err();
        assert!(err.to_string().contains("checksum differs"), "{err}");
        let missing = tempfile::tempdir().unwrap();
        let mut tar = tar::Builder::new(Vec::new());
        assert!(append_datasets(&mut tar, missing.path(), &[small()]).is_err());
    }

    #[test]
    fn parents_come_before_their_children() {
        let dirs: Vec<String> = parents(["b/c/f1", "a/f2", "f3", "b/f4"].into_iter())
            .into_iter()
            .collect();
        assert_eq!(dirs, ["a", "b", "b/c"]);
    }
}
