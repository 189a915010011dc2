//! `mmap-shared`: does `mmap(MAP_SHARED)` work on the target, and is a write through the map
//! seen by the other side (a fresh open and read) within the bound — without `msync`, or
//! only after it?

use std::fs::File;
use std::ptr::NonNull;

use rustix::mm::{MapFlags, MsyncFlags, ProtFlags};

use super::acts::{Act, Reply};
use super::duo::{took, Duo, Play, Who, BOUND_MS};
use crate::workload::probe::Outcome;

/// The file the probe maps: one page.
const PAGE: usize = 4096;

/// A shared, writable mapping of a whole file, unmapped on drop.
pub(super) struct Map {
    ptr: NonNull<std::ffi::c_void>,
    len: usize,
}

impl Map {
    pub fn shared(file: &File) -> std::io::Result<Map> {
        let len = file.metadata()?.len() as usize;
        if len == 0 {
            return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
        }
        let prot = ProtFlags::READ | ProtFlags::WRITE;
        // SAFETY: a new mapping at an address the kernel picks, of a file we hold open; it
        // is only touched through `write` and `sync` below, within `len`.
        let ptr =
            unsafe { rustix::mm::mmap(std::ptr::null_mut(), len, prot, MapFlags::SHARED, file, 0) }
                .map_err(std::io::Error::from)?;
        let ptr =
            NonNull::new(ptr).ok_or_else(|| std::io::Error::from_raw_os_error(libc::EINVAL))?;
        Ok(Map { ptr, len })
    }

    /// Copy `bytes` to the start of the map (as many as fit).
    pub fn write(&self, bytes: &[u8]) {
        let n = bytes.len().min(self.len);
        // SAFETY: the map is `len` bytes long and writable; n <= len.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.as_ptr().cast(), n) };
    }

    pub fn sync(&self) -> std::io::Result<()> {
        // SAFETY: the whole range of a live mapping of ours.
        unsafe { rustix::mm::msync(self.ptr.as_ptr(), self.len, MsyncFlags::SYNC) }
            .map_err(std::io::Error::from)
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: unmapping our own live mapping once; nothing points into it afterwards.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr(), self.len) };
    }
}

pub fn shared_write(d: &mut Duo) -> Play<Outcome> {
    let name = d.at("mapped");
    let blank = ".".repeat(PAGE);
    let mark = "written through a shared map".to_string();
    let write = Act::Write {
        name: name.clone(),
        text: blank,
    };
    d.must(Who::Here, "create", &write)?;
    d.must(Who::Here, "open", &Act::Hold { name: name.clone() })?;
    let map = Act::MapWrite {
        name: name.clone(),
        text: mark.clone(),
    };
    d.must(Who::Here, "mmap MAP_SHARED and write", &map)?;
    let look = Act::AwaitText {
        name: name.clone(),
        text: mark,
        bound_ms: BOUND_MS,
    };
    let seen = |r: Reply| match r {
        Reply::Did { micros, .. } => Some(micros),
        _ => None,
    };
    if let Some(micros) = seen(d.ask(Who::There, &look)?) {
        let detail = format!("seen after {}", took(micros));
        return Ok(Outcome::saw(
            "a write through the map seen by the other side",
            detail,
        ));
    }
    d.must(Who::Here, "msync", &Act::Msync { name })?;
    let facts = match seen(d.ask(Who::There, &look)?) {
        Some(_) => "a write through the map seen by the other side only after msync",
        None => "a write through the map not seen by the other side, even after msync",
    };
    Ok(Outcome::saw(
        facts,
        format!("looked {} s each time", BOUND_MS / 1000),
    ))
}
