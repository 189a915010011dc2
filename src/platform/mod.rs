//! The host OS services the workload engine and the host side use, Linux and macOS side by
//! side: evicting a file and reading its residency, uncached opens, flushing, memory, the
//! CPU, the filesystem of a path, case sensitivity, dropping the whole cache and watching a
//! folder. Nothing outside this module asks which OS it runs on.
//!
//! What the OS gives is parsed by pure functions ([`darwin`], [`mount`]) compiled on every
//! OS, so Linux tests cover the Mac's parsing; only the calls themselves are per OS.

pub mod darwin;
pub mod fs_kind;
pub mod mount;
mod sync;
mod watch;

#[cfg(target_os = "linux")]
#[path = "linux.rs"]
mod imp;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod imp;

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use fs_kind::FsKind;
pub use mount::MountFacts;
pub use sync::{sync_modes, SyncMode};
pub use watch::{Events, FolderEvent, FolderWatch, Heard};

/// The OS this binary was built for, as `std::env::consts::OS` names it.
pub const OS: &str = std::env::consts::OS;

/// Drop a file's clean pages from the page cache, unprivileged (Linux: posix_fadvise
/// DONTNEED; macOS: msync MS_INVALIDATE of a shared mapping, as fio and vmtouch do).
pub fn evict(path: &Path) -> io::Result<()> {
    imp::evict(path)
}

/// Pages of `path` resident in the page cache, and its total pages, by mincore with the
/// system's page size (16 KiB on Apple silicon). Meaningful only where the mount's
/// [`FsKind::page_cache_visible`].
pub fn residency(path: &Path) -> io::Result<(u64, u64)> {
    let file = File::open(path)?;
    let len = file.metadata()?.len() as usize;
    if len == 0 {
        return Ok((0, 0));
    }
    let pages = len.div_ceil(rustix::param::page_size());
    let mut vec = vec![0u8; pages];
    with_mapping(&file, len, |addr| {
        // SAFETY: `addr` maps `len` bytes; mincore writes one byte per page into `vec`,
        // which has `pages` bytes. Its element is unsigned on Linux and `c_char` on macOS:
        // the same bytes.
        let rc = unsafe { libc::mincore(addr, len, vec.as_mut_ptr().cast()) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    })?;
    let resident = vec.iter().filter(|b| **b & 1 == 1).count() as u64;
    Ok((resident, pages as u64))
}

/// Map `len` bytes of `file` shared and read-only, hand the address to `f`, unmap.
fn with_mapping<T>(
    file: &File,
    len: usize,
    f: impl FnOnce(*mut std::ffi::c_void) -> io::Result<T>,
) -> io::Result<T> {
    use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};
    // SAFETY: a fresh mapping of a file we hold open; nothing outlives the unmap below.
    let addr = unsafe {
        mmap(
            std::ptr::null_mut(),
            len,
            ProtFlags::READ,
            MapFlags::SHARED,
            file,
            0,
        )?
    };
    let answer = f(addr);
    // SAFETY: `addr` and `len` are the mapping made above, unmapped once.
    unsafe { munmap(addr, len)? };
    answer
}

/// Open with `options`, bypassing the page cache when `direct` (Linux: O_DIRECT, refused
/// with EINVAL by tmpfs and some FUSE mounts; macOS: F_NOCACHE, which never refuses).
pub fn open(path: &Path, options: &mut OpenOptions, direct: bool) -> io::Result<File> {
    imp::open(path, options, direct)
}

/// Write back every dirty page of the filesystem holding `dir` (Linux: syncfs; macOS:
/// sync, the whole system).
pub fn flush_filesystem(dir: &File) -> io::Result<()> {
    imp::flush_filesystem(dir)
}

/// Make `file`'s data durable the way `mode` asks (see [`SyncMode`]).
pub fn sync_file(file: &File, mode: SyncMode) -> io::Result<()> {
    imp::sync_file(file, mode)
}

/// The release in a person's words: "Debian GNU/Linux 12 (bookworm)", "macOS 15.1".
pub fn os_release() -> Option<String> {
    imp::os_release()
}

/// An id of this boot of the kernel: two processes with the same one read one clock.
pub fn boot_id() -> Option<String> {
    imp::boot_id()
}

/// Bytes of physical memory.
pub fn memory_bytes() -> u64 {
    imp::memory_bytes()
}

/// The host's CPU: its model and cores (P and E cores on Apple silicon).
pub fn cpu() -> HostCpu {
    imp::cpu()
}

/// The mount holding `path`: its point, filesystem type and kind, source and options.
pub fn mount_of(path: &Path) -> io::Result<MountFacts> {
    imp::mount_of(path)
}

/// Whether names in the folder `dir` are told apart by case: None when it cannot be told.
pub fn case_sensitive(dir: &Path) -> Option<bool> {
    imp::case_sensitive(dir)
}

/// How the whole page cache is dropped on this OS, and what that needs.
pub fn cache_drop() -> CacheDrop {
    imp::CACHE_DROP
}

/// Flush dirty pages, then drop the whole page cache (needs root; see [`cache_drop`]).
pub fn drop_all_caches() -> io::Result<()> {
    imp::drop_all_caches()
}

/// Watch the folder `dir` (not its subfolders) from now on; events go to `heard`, stamped
/// by `clock` as each is read, until the returned watch is dropped or the process ends.
pub fn watch_folder(dir: &Path, heard: Heard, clock: fn() -> u64) -> io::Result<FolderWatch> {
    imp::watch_folder(dir, heard, clock)
}

/// The host's CPU as the OS describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HostCpu {
    pub model: String,
    /// Logical cores this process may use.
    pub cores: usize,
    /// Performance and efficiency cores, where the CPU has both kinds (Apple silicon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_cores: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency_cores: Option<usize>,
}

/// How this OS drops its whole page cache, for `--drop-caches` and its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheDrop {
    /// What is done, in a user's words.
    pub how: &'static str,
    /// Why it needs root, for the refusal.
    pub needs: &'static str,
}

/// Logical cores this process may use.
fn available_cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
