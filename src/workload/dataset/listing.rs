//! The datasets under a root's `datasets/` folder, for `mountbench info` and
//! `mountbench clean --datasets`. Only what is provably ours is listed and removed: a
//! folder named by a dataset id holding a manifest for that id (and then only the files its
//! manifest lists), or a partial folder no generation is writing. Anything else stays.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{Error, IoContext, Result};
use crate::workload::dataset::datasets_dir;
use crate::workload::dataset::manifest_tsv::{manifest_files, MANIFEST_TSV};
use crate::workload::dataset::partial::{is_dataset_id, partial_id, try_lock};
use crate::workload::dataset::store::{read_manifest, LAST_USE};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ListedState {
    /// Complete, with a manifest for its id.
    Ready,
    /// Left by a generation that failed or was stopped (or one in progress).
    Partial,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub id: String,
    pub dir: PathBuf,
    pub state: ListedState,
    pub files: usize,
    pub bytes: u64,
    /// When a run last used it (its generation, for partial folders).
    pub last_use: Option<SystemTime>,
}

/// Every dataset and partial folder under `root/datasets`, by id; none when it does not exist.
pub fn list(root: &Path) -> Result<Vec<Listed>> {
    let base = datasets_dir(root);
    let entries = match fs::read_dir(&base) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&base, e)),
    };
    let mut listed = Vec::new();
    for entry in entries {
        let entry = entry.at(&base)?;
        if !entry.file_type().at(entry.path())?.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(id) = partial_id(&name) {
            listed.push(partial(id, entry.path()));
        } else if let Some(ready) = ready(&name, entry.path())? {
            listed.push(ready);
        }
    }
    listed.sort_by(|a, b| a.id.cmp(&b.id).then(a.dir.cmp(&b.dir)));
    Ok(listed)
}

/// A complete dataset: a folder named by an id holding a manifest for that id.
fn ready(name: &str, dir: PathBuf) -> Result<Option<Listed>> {
    if !is_dataset_id(name) {
        return Ok(None);
    }
    let Some(manifest) = read_manifest(&dir)? else {
        return Ok(None);
    };
    if manifest.id != name || manifest.spec.id() != name {
        return Ok(None);
    }
    let last_use = modified(&dir.join(LAST_USE)).or_else(|| modified(&dir.join("manifest.json")));
    Ok(Some(Listed {
        id: name.to_string(),
        dir,
        state: ListedState::Ready,
        files: manifest.files,
        bytes: manifest.total_bytes,
        last_use,
    }))
}

fn partial(id: &str, dir: PathBuf) -> Listed {
    let (files, bytes) = usage(&dir);
    Listed {
        id: id.to_string(),
        last_use: modified(&dir),
        dir,
        state: ListedState::Partial,
        files,
        bytes,
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Files and bytes under `dir` (what a partial folder holds so far).
fn usage(dir: &Path) -> (usize, u64) {
    let (mut files, mut bytes) = (0, 0);
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => dirs.push(entry.path()),
                Ok(m) => {
                    files += 1;
                    bytes += m.len();
                }
                Err(_) => {}
            }
        }
    }
    (files, bytes)
}

/// What `remove` did.
#[derive(Debug, Default)]
pub struct Removed {
    pub removed: Vec<Listed>,
    /// In use by a run right now (its lock is held): left alone.
    pub busy: Vec<Listed>,
    /// Kept because its folder holds files that are not the dataset's, with what stayed.
    pub kept: Vec<(Listed, String)>,
}

/// Remove the datasets and partial folders under `root` not used for `older_than` (all of
/// them when None). Datasets a run holds are left alone.
pub fn remove(root: &Path, older_than: Option<Duration>, now: SystemTime) -> Result<Removed> {
    let base = datasets_dir(root);
    let mut done = Removed::default();
    for listed in list(root)? {
        let age = listed
            .last_use
            .and_then(|t| now.duration_since(t).ok())
            .unwrap_or(Duration::MAX);
        if older_than.is_some_and(|limit| age < limit) {
            continue;
        }
        let Some(_held) = try_lock(&base, &listed.id)? else {
            done.busy.push(listed);
            continue;
        };
        let outcome = match listed.state {
            ListedState::Partial => fs::remove_dir_all(&listed.dir).at(&listed.dir),
            ListedState::Ready => remove_dataset(&listed.dir),
        };
        match outcome {
            Ok(()) => done.removed.push(listed),
            Err(e) => done.kept.push((listed, e.to_string())),
        }
    }
    Ok(done)
}

/// The files the manifest lists, the manifest and the stamp, then the folders if empty: a
/// file that is not the dataset's keeps its folder (the error names it).
fn remove_dataset(dir: &Path) -> Result<()> {
    let files = manifest_files(dir)?.collect::<Result<Vec<_>>>()?;
    let mut subdirs = std::collections::BTreeSet::new();
    for rel in files
        .iter()
        .map(|f| f.rel.as_str())
        .filter(|r| is_dataset_file(r))
    {
        let path = dir.join(rel);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(&path, e)),
            _ => {}
        }
        if let Some((sub, _)) = rel.split_once('/') {
            subdirs.insert(dir.join(sub));
        }
    }
    for name in [MANIFEST_TSV, "manifest.json", LAST_USE] {
        let path = dir.join(name);
        if path.exists() {
            fs::remove_file(&path).at(&path)?;
        }
    }
    for sub in subdirs.iter().chain(std::iter::once(&dir.to_path_buf())) {
        fs::remove_dir(sub).map_err(|e| Error::io(sub, e))?;
    }
    Ok(())
}

/// A relative path the generator writes: "shard-NNNNN.bin" or "dNNNN/fNNNNNNN.bin".
fn is_dataset_file(rel: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() >= n && s.bytes().all(|b| b.is_ascii_digit());
    let file = |s: &str, prefix: &str, n: usize| {
        s.strip_prefix(prefix)
            .and_then(|s| s.strip_suffix(".bin"))
            .is_some_and(|d| digits(d, n))
    };
    match rel.split_once('/') {
        None => file(rel, "shard-", 5),
        Some((dir, name)) => {
            dir.strip_prefix('d').is_some_and(|d| digits(d, 4)) && file(name, "f", 7)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::workload::dataset::partial::{lock, partial_dir};
    use crate::workload::dataset::{Dataset, DatasetSpec};

    fn shards(seed: u64) -> DatasetSpec {
        DatasetSpec::Shards {
            count: 2,
            size: 4096,
            seed,
        }
    }

    fn small() -> DatasetSpec {
        DatasetSpec::SmallFiles {
            dirs: 2,
            files_per_dir: 3,
            median_size: 1000,
            sigma: 0.5,
            seed: 1,
        }
    }

    #[test]
    fn paths_the_generator_writes_are_recognised() {
        let cases = [
            ("shard-00001.bin", true),
            ("shard-123456.bin", true),
            ("d0001/f0000002.bin", true),
            ("shard-1.bin", false),
            ("../etc/passwd", false),
            ("d0001/../../x", false),
            ("d0001/f0000002.txt", false),
            ("manifest.json", false),
        ];
        for (rel, ours) in cases {
            assert_eq!(is_dataset_file(rel), ours, "{rel}");
        }
    }

    #[test]
    fn lists_ours_and_removes_only_ours() {
        let root = tempfile::tempdir().unwrap();
        let base = datasets_dir(root.path());
        for spec in [shards(1), small()] {
            Dataset::prepare(root.path(), &spec, 1).unwrap();
        }
        let stale = shards(2).id();
        std::fs::create_dir_all(partial_dir(&base, &stale)).unwrap();
        std::fs::write(partial_dir(&base, &stale).join("shard-00000.bin"), b"abc").unwrap();
        // Foreign things: a file, a folder named like an id without a manifest, a folder with
        // someone else's manifest, and a file dropped into one of our datasets.
        std::fs::write(base.join("notes.txt"), b"mine").unwrap();
        let fake_id = base.join("shards-00000000000000ff");
        std::fs::create_dir(&fake_id).unwrap();
        let small_dir = base.join(small().id());
        std::fs::write(small_dir.join("d0000").join("photo.jpg"), b"mine").unwrap();

        let listed = list(root.path()).unwrap();
        let states: Vec<_> = listed.iter().map(|l| (l.id.clone(), l.state)).collect();
        let mut want = vec![
            (shards(1).id(), ListedState::Ready),
            (small().id(), ListedState::Ready),
            (stale.clone(), ListedState::Partial),
        ];
        want.sort();
        assert_eq!(states, want);
        let ready = listed.iter().find(|l| l.id == shards(1).id()).unwrap();
        assert_eq!((ready.files, ready.bytes), (2, 8192));
        assert!(ready.last_use.is_some());

        let done = remove(root.path(), None, SystemTime::now()).unwrap();
        assert_eq!(done.removed.len(), 2, "{done:?}");
        assert_eq!(done.kept.len(), 1, "{done:?}");
        assert!(done.kept[0].1.contains("d0000"), "{done:?}");
        assert!(base.join("notes.txt").exists());
        assert!(fake_id.exists());
        assert!(small_dir.join("d0000").join("photo.jpg").exists());
        assert!(!base.join(shards(1).id()).exists());
        assert!(!partial_dir(&base, &stale).exists());
    }

    #[test]
    fn older_than_and_busy_datasets_are_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let base = datasets_dir(root.path());
        Dataset::prepare(root.path(), &shards(1), 1).unwrap();
        Dataset::prepare(root.path(), &shards(2), 1).unwrap();
        let day = Duration::from_secs(86_400);
        let now = SystemTime::now();
        let cases = [(Some(day), now, 0), (Some(day), now + 2 * day, 1)];
        let held = lock(&base, &shards(2).id()).unwrap();
        for (older_than, at, removed) in cases {
            let done = remove(root.path(), older_than, at).unwrap();
            assert_eq!(done.removed.len(), removed, "{older_than:?}");
        }
        let done = remove(root.path(), None, now).unwrap();
        assert_eq!(done.busy.len(), 1, "a dataset a run holds stays");
        drop(held);
        assert_eq!(remove(root.path(), None, now).unwrap().removed.len(), 1);
        assert!(list(root.path()).unwrap().is_empty());
    }
}
