//! macOS: msync(MS_INVALIDATE), F_NOCACHE, F_FULLFSYNC, sysctl, statfs, pathconf, purge and
//! FSEvents (through the `notify` crate). Compiled and linted for aarch64- and
//! x86_64-apple-darwin in CI; run only on a Mac.

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

use notify::event::{ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher};
use rustix::mm::{msync, MsyncFlags};

use super::{available_cores, darwin, CacheDrop, Events, FolderEvent, FolderWatch, Heard};
use super::{HostCpu, MountFacts, SyncMode};

pub(super) const CACHE_DROP: CacheDrop = CacheDrop {
    how: "host purge before cold reps",
    needs: "needs root (it runs purge: sudo mountbench run --drop-caches …)",
};

/// Invalidate the file's pages through a shared mapping: XNU drops the cached pages of the
/// object (vm_map_msync → vm_object_sync with flush). F_NOCACHE would not evict them.
pub(super) fn evict(path: &Path) -> io::Result<()> {
    let file = File::open(path)?;
    let len = file.metadata()?.len() as usize;
    if len == 0 {
        return Ok(());
    }
    super::with_mapping(&file, len, |addr| {
        // SAFETY: `addr` maps `len` bytes of the file; nothing reads through it.
        unsafe { msync(addr, len, MsyncFlags::INVALIDATE) }.map_err(io::Error::from)
    })
}

/// F_NOCACHE after opening: misaligned I/O still goes through the cache instead of failing,
/// so nothing here refuses the way Linux's O_DIRECT does.
pub(super) fn open(path: &Path, options: &mut OpenOptions, direct: bool) -> io::Result<File> {
    let file = options.open(path)?;
    if direct {
        rustix::fs::fcntl_nocache(&file, true)?;
    }
    Ok(file)
}

/// macOS has no syncfs: sync() schedules every filesystem's dirty pages.
pub(super) fn flush_filesystem(_dir: &File) -> io::Result<()> {
    rustix::fs::sync();
    Ok(())
}

pub(super) fn sync_file(file: &File, mode: SyncMode) -> io::Result<()> {
    match mode {
        SyncMode::Fsync => Ok(rustix::fs::fsync(file)?),
        SyncMode::FullFsync => Ok(rustix::fs::fcntl_fullfsync(file)?),
    }
}

/// The raw bytes of a sysctl by name.
fn sysctl(name: &str) -> Option<Vec<u8>> {
    let name = CString::new(name).ok()?;
    let mut len: libc::size_t = 0;
    // SAFETY: a null buffer asks for the length only.
    let rc = unsafe {
        libc::sysctlbyname(
            name.as_ptr(),
            std::ptr::null_mut(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    if rc != 0 || len == 0 {
        return None;
    }
    let mut buf = vec![0u8; len];
    // SAFETY: `buf` has `len` bytes, and the kernel writes at most `len`.
    let rc = unsafe {
        libc::sysctlbyname(
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            &mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    (rc == 0).then(|| {
        buf.truncate(len);
        buf
    })
}

/// kern.osproductversion: "15.1" (macOS 10.13.4 and later).
pub(super) fn os_release() -> Option<String> {
    let version = darwin::sysctl_string(&sysctl("kern.osproductversion")?);
    Some(format!("macOS {version}"))
}

/// kern.bootsessionuuid: new at every boot.
pub(super) fn boot_id() -> Option<String> {
    let id = darwin::sysctl_string(&sysctl("kern.bootsessionuuid")?);
    Some(id).filter(|id| !id.is_empty())
}

pub(super) fn memory_bytes() -> u64 {
    sysctl("hw.memsize")
        .and_then(|b| darwin::sysctl_int(&b))
        .unwrap_or(0)
}

pub(super) fn cpu() -> HostCpu {
    let text = |name: &str| sysctl(name).map(|b| darwin::sysctl_string(&b));
    let int = |name: &str| sysctl(name).and_then(|b| darwin::sysctl_int(&b));
    let levels: Vec<(String, u64)> = (0..int("hw.nperflevels").unwrap_or(0))
        .filter_map(|i| {
            let name = text(&format!("hw.perflevel{i}.name"))?;
            Some((name, int(&format!("hw.perflevel{i}.logicalcpu"))?))
        })
        .collect();
    let brand = text("machdep.cpu.brand_string").unwrap_or_default();
    darwin::host_cpu(&brand, available_cores(), &levels)
}

pub(super) fn mount_of(path: &Path) -> io::Result<MountFacts> {
    let st = rustix::fs::statfs(path)?;
    let name = |chars: &[libc::c_char]| darwin::fixed_name(chars.iter().map(|c| *c as u8));
    Ok(darwin::mount_facts(
        &name(&st.f_mntonname),
        &name(&st.f_mntfromname),
        &name(&st.f_fstypename),
        st.f_flags,
    ))
}

/// pathconf(_PC_CASE_SENSITIVE): 1 on a case-sensitive volume, 0 on APFS's default.
pub(super) fn case_sensitive(dir: &Path) -> Option<bool> {
    let path = CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: a NUL-terminated path; pathconf only reads it.
    let answer = unsafe { libc::pathconf(path.as_ptr(), libc::_PC_CASE_SENSITIVE) };
    (answer >= 0).then_some(answer == 1)
}

/// sync, then `purge` (it flushes the unified buffer cache; root only).
pub(super) fn drop_all_caches() -> io::Result<()> {
    rustix::fs::sync();
    let status = Command::new("/usr/sbin/purge").status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("purge exited with {status}")))
    }
}

/// FSEvents through notify: its events carry no time, so each is stamped on receipt, and a
/// path's merged flags give one event per kind.
pub(super) fn watch_folder(
    dir: &Path,
    heard: Heard,
    clock: fn() -> u64,
) -> io::Result<FolderWatch> {
    let sink = heard.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let at = clock();
        match event {
            Ok(event) => note(&sink, &event, at),
            Err(e) => Events::fail(&sink, format!("FSEvents stream failed: {e}")),
        }
    })
    .map_err(io::Error::other)?;
    watcher
        .watch(dir, RecursiveMode::NonRecursive)
        .map_err(io::Error::other)?;
    Ok(FolderWatch {
        keep: Some(Box::new(watcher)),
    })
}

fn note(heard: &Heard, event: &notify::Event, at: u64) {
    let kind = match event.kind {
        EventKind::Create(_) => FolderEvent::Create,
        EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Any)) => {
            FolderEvent::MovedTo
        }
        EventKind::Modify(ModifyKind::Name(_)) => return,
        EventKind::Modify(_) => FolderEvent::Modify,
        EventKind::Remove(_) => FolderEvent::Delete,
        _ => return,
    };
    for path in &event.paths {
        if let Some(name) = path.file_name() {
            Events::note(heard, kind, name.to_string_lossy().into_owned(), at);
        }
    }
}
