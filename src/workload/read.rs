//! Reading a whole file in fixed-size reads, each optionally timed.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{Corruption, Error, Result};
use crate::measure::{Lap, Op, OpHistograms};
use crate::workload::cache::direct_error;

/// Read exactly `size` bytes of `file` in `buf`-sized reads, each timed as `op` on `lap`;
/// returns the number of reads. A file shorter than its manifest says is an error.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_timed(
    op: Op,
    file: &mut File,
    path: &Path,
    size: u64,
    buf: &mut [u8],
    direct: bool,
    lap: &mut Lap,
    hist: &mut OpHistograms,
) -> Result<u64> {
    read_to_len(file, path, size, buf, direct, || lap.split(hist, op))
}

/// Read exactly `size` bytes of `file` in `buf`-sized reads, calling `after_read` after
/// each one; returns the number of reads.
pub(crate) fn read_to_len(
    file: &mut File,
    path: &Path,
    size: u64,
    buf: &mut [u8],
    direct: bool,
    mut after_read: impl FnMut(),
) -> Result<u64> {
    let (mut left, mut reads) = (size, 0u64);
    while left > 0 {
        let want = (left as usize).min(buf.len());
        let read = file.read(&mut buf[..want]);
        after_read();
        let n = read.map_err(|e| Error::io(path, direct_error(e, direct)))?;
        if n == 0 {
            return Err(Error::corrupt(path, Corruption::Short));
        }
        left -= n as u64;
        reads += 1;
    }
    Ok(reads)
}
