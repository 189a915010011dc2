//! The free space of the filesystem holding a path, as the agent sees it (statvfs): asked
//! on the host for the data dir and inside a target's container for its volume or layer.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::MountFacts;
use crate::error::{Error, Result};

/// Size and free space of the filesystem holding `path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsSpace {
    /// The path asked about (or its nearest existing ancestor).
    pub path: PathBuf,
    /// Bytes of the whole filesystem.
    pub size: u64,
    /// Bytes an unprivileged writer may still use (f_bavail).
    pub free: u64,
    /// Block size, blocks and inodes: the same filesystem seen from the host and from a
    /// container has the same geometry, so needs on both add up.
    pub geometry: (u64, u64, u64),
    /// Where it is mounted and its type, for messages (empty when mountinfo has no answer).
    pub mount_point: String,
    pub fs_type: String,
}

impl FsSpace {
    /// The filesystem of `path`, or of its nearest existing ancestor when it does not exist
    /// yet (a data dir about to be created).
    pub fn of(path: &Path) -> Result<FsSpace> {
        let existing = nearest_existing(path);
        let st = rustix::fs::statvfs(&existing).map_err(|e| Error::io(&existing, e.into()))?;
        let mount = MountFacts::of(&existing).unwrap_or_default();
        Ok(FsSpace {
            path: existing,
            size: st.f_blocks.saturating_mul(st.f_frsize),
            free: st.f_bavail.saturating_mul(st.f_frsize),
            geometry: (st.f_frsize, st.f_blocks, st.f_files),
            mount_point: mount.mount_point,
            fs_type: mount.fs_type,
        })
    }

    /// "ext4 on /", or the path when mountinfo had no answer.
    pub(crate) fn describe(&self) -> String {
        if self.mount_point.is_empty() {
            return self.path.display().to_string();
        }
        format!("{} on {}", self.fs_type, self.mount_point)
    }
}

/// `path` itself when it exists, else its closest existing ancestor (at worst "/" or ".").
pub(crate) fn nearest_existing(path: &Path) -> PathBuf {
    let mut at = path;
    loop {
        if std::fs::symlink_metadata(at).is_ok() {
            return at.to_path_buf();
        }
        match at.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => at = parent,
            _ => return PathBuf::from(if path.is_absolute() { "/" } else { "." }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_path_is_measured_at_its_nearest_ancestor() {
        let tmp = tempfile::tempdir().unwrap();
        let cases = [
            (tmp.path().to_path_buf(), tmp.path().to_path_buf()),
            (tmp.path().join("a/b/c"), tmp.path().to_path_buf()),
            (
                PathBuf::from("/nonexistent-mountbench/x"),
                PathBuf::from("/"),
            ),
        ];
        for (asked, measured) in cases {
            assert_eq!(nearest_existing(&asked), measured, "{}", asked.display());
            let space = FsSpace::of(&asked).unwrap();
            assert!(space.size > 0 && space.free <= space.size, "{space:?}");
        }
    }
}
