//! One change a changer makes, prepared (paths joined, content built) before it is timed, so
//! that only the file operation itself lies between the two clock reads.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

use crate::error::{IoContext, Result};

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Create or truncate `path` and write `bytes` (`append`: add them to the end instead).
    Write {
        path: PathBuf,
        bytes: Vec<u8>,
        append: bool,
    },
    Rename {
        from: PathBuf,
        to: PathBuf,
    },
    Remove(PathBuf),
}

impl Change {
    pub fn make(&self) -> Result<()> {
        match self {
            Change::Write {
                path,
                bytes,
                append,
            } => OpenOptions::new()
                .write(true)
                .create(true)
                .append(*append)
                .truncate(!*append)
                .open(path)
                .and_then(|mut f| f.write_all(bytes))
                .at(path),
            Change::Rename { from, to } => fs::rename(from, to).at(to),
            Change::Remove(path) => fs::remove_file(path).at(path),
        }
    }
}
