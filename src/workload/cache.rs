//! Page-cache control for the workload engine: eviction, residency where it can be seen,
//! uncached opens. The OS calls are the platform's.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use crate::platform::{self, MountFacts};

pub(crate) use crate::platform::residency;

/// Drop a file's clean pages from the page cache (works unprivileged, also in a container).
pub(crate) fn evict(path: &Path) -> io::Result<()> {
    platform::evict(path)
}

/// Whether mincore can see the page cache of the filesystem holding `path`; false when that
/// filesystem cannot be told (residency is then unknown, never 0%).
pub(crate) fn page_cache_visible(path: &Path) -> bool {
    MountFacts::of(path).is_ok_and(|m| m.page_cache_visible())
}

/// Read a whole file once to bring it into the page cache.
pub(crate) fn warm(path: &Path, buf: &mut [u8]) -> io::Result<u64> {
    let mut file = File::open(path)?;
    let mut total = 0u64;
    loop {
        let n = file.read(buf)?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
    }
}

/// Open for reading, uncached when asked. A filesystem that refuses O_DIRECT (tmpfs, some
/// FUSE mounts) yields an error that says so instead of a silent buffered fallback.
pub(crate) fn open_read(path: &Path, direct: bool) -> io::Result<File> {
    platform::open(path, OpenOptions::new().read(true), direct).map_err(|e| direct_error(e, direct))
}

pub(crate) fn open_write(path: &Path, direct: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    platform::open(path, &mut options, direct).map_err(|e| direct_error(e, direct))
}

pub(crate) fn direct_error(e: io::Error, direct: bool) -> io::Error {
    if direct && e.raw_os_error() == Some(libc::EINVAL) {
        io::Error::new(
            io::ErrorKind::Unsupported,
            "the filesystem refuses O_DIRECT (EINVAL); set direct = false for this target",
        )
    } else {
        e
    }
}

/// A zeroed heap buffer aligned to 4 KiB, as O_DIRECT requires.
pub struct AlignedBuffer {
    ptr: *mut u8,
    layout: Layout,
}

// SAFETY: the buffer owns its allocation exclusively.
unsafe impl Send for AlignedBuffer {}

impl AlignedBuffer {
    pub fn new(len: usize) -> Self {
        let layout = Layout::from_size_align(len.max(1), 4096).expect("buffer size fits a Layout");
        // SAFETY: layout has a non-zero size.
        let ptr = unsafe { alloc_zeroed(layout) };
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        AlignedBuffer { ptr, layout }
    }
}

impl std::ops::Deref for AlignedBuffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: ptr is valid for layout.size() initialised bytes for self's lifetime.
        unsafe { std::slice::from_raw_parts(self.ptr, self.layout.size()) }
    }
}

impl std::ops::DerefMut for AlignedBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above, and &mut self guarantees exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.layout.size()) }
    }
}

impl Drop for AlignedBuffer {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { dealloc(self.ptr, self.layout) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn warm_then_residency_is_full() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut f = File::create(&path).unwrap();
        f.write_all(&vec![7u8; 1 << 20]).unwrap();
        drop(f);
        let mut buf = vec![0u8; 1 << 16];
        assert_eq!(warm(&path, &mut buf).unwrap(), 1 << 20);
        let (resident, total) = residency(&path).unwrap();
        assert_eq!(total, (1u64 << 20) / rustix::param::page_size() as u64);
        assert_eq!(resident, total);
    }

    #[test]
    fn aligned_buffer_is_aligned() {
        let b = AlignedBuffer::new(10_000);
        assert_eq!(b.as_ptr() as usize % 4096, 0);
        assert_eq!(b.len(), 10_000);
    }
}
