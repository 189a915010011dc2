//! The results folder: checked before anything is created, created and locked on the first
//! rep, env.json rewritten in it whenever the facts change.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::{Error, IoContext, Result};
use crate::results::write_atomic;

pub(crate) struct OutDir {
    pub(crate) path: PathBuf,
    /// Held while the run writes the folder, so two runs never write one folder.
    lock: Option<File>,
}

impl OutDir {
    /// A new folder for a new run, refused when it holds files (results are never
    /// overwritten) or cannot be created; nothing is created yet.
    pub(crate) fn check(path: PathBuf) -> Result<OutDir> {
        check_new(&path)?;
        Ok(OutDir { path, lock: None })
    }

    /// The folder of an interrupted run, locked at once.
    pub(crate) fn reopen(path: &Path) -> Result<OutDir> {
        let lock = lock(path)?;
        Ok(OutDir {
            path: path.to_path_buf(),
            lock: Some(lock),
        })
    }

    pub(crate) fn created(&self) -> bool {
        self.lock.is_some()
    }

    /// Create and lock the folder unless done; true when it was created now.
    pub(crate) fn create(&mut self) -> Result<bool> {
        if self.created() {
            return Ok(false);
        }
        std::fs::create_dir_all(&self.path).map_err(|e| {
            Error::input(
                format!("--out {}", self.path.display()),
                format!("cannot create it: {e}"),
            )
        })?;
        self.lock = Some(lock(&self.path)?);
        Ok(true)
    }

    pub(crate) fn write_env(&self, env: &Env) -> Result<()> {
        let path = self.path.join("env.json");
        let json = serde_json::to_vec_pretty(env)
            .map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
        write_atomic(&path, &json)
    }
}

/// An exclusive lock on the results folder itself, refused at once when another run holds it.
fn lock(dir: &Path) -> Result<File> {
    let handle = File::open(dir).at(dir)?;
    rustix::fs::flock(
        &handle,
        rustix::fs::FlockOperation::NonBlockingLockExclusive,
    )
    .map_err(|_| {
        Error::input(
            dir.display().to_string(),
            "another mountbench run is writing this folder",
        )
    })?;
    Ok(handle)
}

fn check_new(out: &Path) -> Result<()> {
    let place = format!("--out {}", out.display());
    if let Ok(mut entries) = std::fs::read_dir(out) {
        if entries.next().is_some() {
            return Err(Error::input(
                place,
                "already holds files; give a new folder (results are never overwritten)",
            ));
        }
        return Ok(());
    }
    if out.exists() {
        return Err(Error::input(place, "is not a folder"));
    }
    let ancestor = out
        .ancestors()
        .skip(1)
        .find(|a| a.as_os_str().is_empty() || a.exists())
        .filter(|a| !a.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !ancestor.is_dir() {
        return Err(Error::input(
            place,
            format!("cannot be created: {} is not a folder", ancestor.display()),
        ));
    }
    rustix::fs::access(ancestor, rustix::fs::Access::WRITE_OK).map_err(|e| {
        Error::input(
            place,
            format!("cannot be created in {}: {e}", ancestor.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_with_files_or_a_file_is_refused_a_new_one_created_and_locked() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("x"), "x").unwrap();
        let err = OutDir::check(tmp.path().to_path_buf()).err().unwrap();
        assert!(err.to_string().contains("already holds files"), "{err}");
        let err = OutDir::check(tmp.path().join("x")).err().unwrap();
        assert!(err.to_string().contains("is not a folder"), "{err}");

        let mut out = OutDir::check(tmp.path().join("a/b")).unwrap();
        assert!(
            !out.created() && !out.path.exists(),
            "nothing created by the check"
        );
        assert!(out.create().unwrap());
        assert!(!out.create().unwrap(), "created once");
        let err = OutDir::reopen(&out.path).err().unwrap();
        assert!(err.to_string().contains("another mountbench run"), "{err}");
        drop(out);
        assert!(OutDir::reopen(&tmp.path().join("a/b")).is_ok());
    }
}
