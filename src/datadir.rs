//! mountbench's data dir: the only place it generates datasets and the only host folder it
//! bind-mounts. It must be a real folder that is empty or already ours.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

const MARKER: &str = ".mountbench-data";

#[derive(Debug, Clone)]
pub struct DataDir {
    pub path: PathBuf,
}

impl DataDir {
    /// `$MOUNTBENCH_DATA`, else `$XDG_CACHE_HOME/mountbench`, else `~/.cache/mountbench`.
    pub fn default_path() -> PathBuf {
        if let Some(p) = std::env::var_os("MOUNTBENCH_DATA") {
            return PathBuf::from(p);
        }
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(|| PathBuf::from(".cache"));
        cache.join("mountbench")
    }

    /// Check without creating anything: not a symlink, a folder, and empty or marked ours.
    pub fn check(path: &Path) -> Result<()> {
        let place = format!("data dir {}", path.display());
        match fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::input(place, e.to_string())),
            Ok(m) if m.file_type().is_symlink() => Err(Error::input(
                place,
                "is a symbolic link; give the real folder so mountbench never writes or mounts through a link",
            )),
            Ok(m) if !m.is_dir() => Err(Error::input(place, "is not a folder")),
            Ok(_) => {
                if path.join(MARKER).is_file() {
                    return Ok(());
                }
                let mut entries = fs::read_dir(path).map_err(|e| Error::input(&place, e.to_string()))?;
                if entries.next().is_some() {
                    Err(Error::input(
                        place,
                        format!("holds files that mountbench did not create (no {MARKER} marker); give an empty or new folder"),
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }

    pub fn open(path: &Path) -> Result<DataDir> {
        Self::check(path)?;
        fs::create_dir_all(path)
            .map_err(|e| Error::input(format!("data dir {}", path.display()), e.to_string()))?;
        let marker = path.join(MARKER);
        if !marker.is_file() {
            fs::write(
                &marker,
                "This folder is managed by mountbench; `mountbench clean --datasets` removes its datasets.\n",
            )
            .at(&marker)?;
        }
        let path = path.canonicalize().at(path)?;
        Ok(DataDir { path })
    }

    /// Undo `open` of a data dir that did not exist before: its empty folders and its
    /// marker go, and the folder itself if nothing else is in it. Anything else stays.
    pub fn remove_if_empty(&self) {
        for dir in [self.host_root(), self.backup_root()] {
            let _ = fs::remove_dir(dir);
        }
        let only_marker = fs::read_dir(&self.path)
            .map(|entries| {
                entries
                    .flatten()
                    .all(|e| e.file_name().to_str() == Some(MARKER))
            })
            .unwrap_or(false);
        if only_marker {
            let _ = fs::remove_file(self.path.join(MARKER));
            let _ = fs::remove_dir(&self.path);
        }
    }

    /// Storage root of the `native` target, bind-mounted by the `bind` target.
    pub fn host_root(&self) -> PathBuf {
        self.path.join("host")
    }

    /// Where backup archives go: bind-mounted at /mb-backup in containers.
    pub fn backup_root(&self) -> PathBuf {
        self.path.join("backup")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_new_and_own_refuses_foreign_and_links() {
        let tmp = tempfile::tempdir().unwrap();
        let new = tmp.path().join("new");
        assert!(DataDir::check(&new).is_ok());
        let dd = DataDir::open(&new).unwrap();
        assert!(DataDir::check(&dd.path).is_ok());

        let foreign = tmp.path().join("foreign");
        fs::create_dir(&foreign).unwrap();
        fs::write(foreign.join("thesis.tex"), "x").unwrap();
        let err = DataDir::check(&foreign).unwrap_err().to_string();
        assert!(err.contains("did not create"), "{err}");

        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&new, &link).unwrap();
        let err = DataDir::check(&link).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(DataDir::open(&link).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn an_unused_new_data_dir_is_removed_and_a_used_one_kept() {
        let tmp = tempfile::tempdir().unwrap();
        // (file written after open, data dir left)
        let cases = [
            (None, false),
            (Some("host/datasets/x"), true),
            (Some("notes"), true),
        ];
        for (i, (written, stays)) in cases.into_iter().enumerate() {
            let dd = DataDir::open(&tmp.path().join(i.to_string())).unwrap();
            fs::create_dir_all(dd.host_root()).unwrap();
            fs::create_dir_all(dd.backup_root()).unwrap();
            if let Some(rel) = written {
                let path = dd.path.join(rel);
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(&path, "x").unwrap();
            }
            dd.remove_if_empty();
            assert_eq!(dd.path.exists(), stays, "{written:?}");
            if let Some(rel) = written {
                assert!(dd.path.join(rel).exists());
            }
        }
    }
}
