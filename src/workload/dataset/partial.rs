//! Datasets are generated into a partial folder, `.partial-<id>` next to where the dataset
//! goes, and renamed into place when complete. Dataset ids never begin with a dot, so the
//! store never mistakes a partial folder for a dataset. A partial folder is only ever
//! written under its id's lock: one whose lock is free was left by a generation that
//! failed or was killed, and is removed.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

const PREFIX: &str = ".partial-";

/// The partial folder of dataset `id` under `base`.
pub(crate) fn partial_dir(base: &Path, id: &str) -> PathBuf {
    base.join(format!("{PREFIX}{id}"))
}

/// The dataset id a partial folder is named after, if `name` is one.
pub(crate) fn partial_id(name: &str) -> Option<&str> {
    name.strip_prefix(PREFIX).filter(|id| is_dataset_id(id))
}

/// Whether `name` is shaped like a dataset id: "<layout>-<16 hex digits>".
pub(crate) fn is_dataset_id(name: &str) -> bool {
    let Some((layout, hash)) = name.rsplit_once('-') else {
        return false;
    };
    matches!(layout, "shards" | "small-files")
        && hash.len() == 16
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The lock file of dataset `id`: held while it is generated or checked.
pub(crate) fn lock_path(base: &Path, id: &str) -> PathBuf {
    base.join(format!("{id}.lock"))
}

/// Hold dataset `id`'s lock, waiting for another process that holds it.
pub(crate) fn lock(base: &Path, id: &str) -> Result<File> {
    let path = lock_path(base, id);
    let file = File::create(&path).at(&path)?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| Error::io(&path, e.into()))?;
    Ok(file)
}

/// Hold dataset `id`'s lock if no other process does; None when one does.
pub(crate) fn try_lock(base: &Path, id: &str) -> Result<Option<File>> {
    let path = lock_path(base, id);
    let file = File::create(&path).at(&path)?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(file)),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
        Err(e) => Err(Error::io(&path, e.into())),
    }
}

/// Remove the partial folders under `base` that no generation is writing (their lock is
/// free), except `skip`'s, whose lock the caller holds. Returns the folders removed.
pub(crate) fn remove_stale_partials(base: &Path, skip: Option<&str>) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let entries = match fs::read_dir(base) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(Error::io(base, e)),
    };
    for entry in entries {
        let entry = entry.at(base)?;
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(partial_id) else {
            continue;
        };
        if Some(id) == skip || !entry.file_type().at(entry.path())?.is_dir() {
            continue;
        }
        if let Some(_held) = try_lock(base, id)? {
            let dir = entry.path();
            fs::remove_dir_all(&dir).at(&dir)?;
            removed.push(dir);
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_datasets_and_partials() {
        let cases = [
            ("shards-0123456789abcdef", true, None),
            ("small-files-0123456789abcdef", true, None),
            (
                ".partial-shards-0123456789abcdef",
                false,
                Some("shards-0123456789abcdef"),
            ),
            (".partial-thesis", false, None),
            ("shards-0123", false, None),
            ("photos-0123456789abcdef", false, None),
            ("shards-0123456789abcdef.lock", false, None),
        ];
        for (name, dataset, partial) in cases {
            assert_eq!(is_dataset_id(name), dataset, "{name}");
            assert_eq!(partial_id(name), partial, "{name}");
        }
    }

    #[test]
    fn only_unlocked_partials_are_removed() {
        let base = tempfile::tempdir().unwrap();
        let (stale, busy, own) = (
            "shards-000000000000000a",
            "shards-000000000000000b",
            "shards-000000000000000c",
        );
        for id in [stale, busy, own] {
            fs::create_dir_all(partial_dir(base.path(), id).join("x")).unwrap();
        }
        let foreign = base.path().join(".partial-notes");
        fs::create_dir(&foreign).unwrap();
        // Another process generating `busy`: an open file description of its own.
        let _held = lock(base.path(), busy).unwrap();
        let removed = remove_stale_partials(base.path(), Some(own)).unwrap();
        assert_eq!(removed, [partial_dir(base.path(), stale)]);
        assert!(partial_dir(base.path(), busy).exists());
        assert!(partial_dir(base.path(), own).exists());
        assert!(foreign.exists(), "a folder that is not ours stays");
    }
}
