//! What a checkpoint's fsync means on each OS, and which ways of syncing it measures.
//!
//! On Linux `fsync` writes the data and flushes the drive's cache. On macOS `fsync` only
//! hands the data to the drive, which may keep it in its cache; `fcntl(F_FULLFSYNC)` flushes
//! that cache too (~18–20 ms a call on Apple SSDs). A guest fsync in a Mac engine's VM
//! becomes one or the other depending on the engine, so a Mac's native baseline is measured
//! both ways.

use serde::{Deserialize, Serialize};

/// How a file's data is made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncMode {
    /// `fsync(2)`: what Python's `os.fsync` and most writers call.
    Fsync,
    /// macOS `fcntl(F_FULLFSYNC)`: also flushes the drive's cache. Rust's `File::sync_all`
    /// does this on Apple platforms.
    FullFsync,
}

/// The sync modes a checkpoint measures on `os` (`std::env::consts::OS`): the first is the
/// one its save is timed with, and the baseline ratios compare against; the others are
/// timed after it, on the same file.
pub fn sync_modes(os: &str) -> &'static [SyncMode] {
    match os {
        "macos" | "ios" => &[SyncMode::Fsync, SyncMode::FullFsync],
        _ => &[SyncMode::Fsync],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mac_measures_both_syncs_and_linux_one() {
        let cases: [(&str, &[SyncMode]); 3] = [
            ("linux", &[SyncMode::Fsync]),
            ("macos", &[SyncMode::Fsync, SyncMode::FullFsync]),
            ("freebsd", &[SyncMode::Fsync]),
        ];
        for (os, modes) in cases {
            assert_eq!(sync_modes(os), modes, "{os}");
        }
    }
}
