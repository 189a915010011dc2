//! Probes of what a file can be: uncached (O_DIRECT), preallocated, sparse, past 4 GiB, and
//! named with 255 bytes.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

use rustix::fs::{FallocateFlags, SeekFrom as RawSeek};

use super::{at, finish, step, Outcome, Steps};
use crate::platform;
use crate::workload::cache::AlignedBuffer;

const BLOCK: usize = 4096;

/// Open uncached, write one aligned block, read it back.
pub fn o_direct(dir: &Path) -> Outcome {
    finish((|| {
        let path = at(dir, "direct");
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(true);
        let mut file = step("open O_DIRECT", platform::open(&path, &mut options, true))?;
        let mut buf = AlignedBuffer::new(BLOCK);
        buf.fill(0x5a);
        step("aligned write", file.write_all(&buf))?;
        buf.fill(0);
        step("aligned read", file.read_exact_at(&mut buf, 0))?;
        let facts = match buf.iter().all(|b| *b == 0x5a) {
            true => "4 KiB written and read back uncached",
            false => "4 KiB read back uncached differs from what was written",
        };
        Ok(Outcome::saw(facts, ""))
    })())
}

/// fallocate 1 MiB into an empty file: the size and the blocks it then holds.
pub fn fallocate(dir: &Path) -> Outcome {
    finish((|| {
        let path = at(dir, "allocated");
        let file = step("create", File::create(&path))?;
        let len = 1u64 << 20;
        let done = rustix::fs::fallocate(&file, FallocateFlags::empty(), 0, len);
        step("fallocate", done.map_err(std::io::Error::from))?;
        let meta = step("fstat", file.metadata())?;
        let allocated = meta.blocks() * 512;
        let facts = match (meta.len() == len, allocated >= len) {
            (true, true) => "1 MiB allocated, size 1 MiB",
            (true, false) => "size 1 MiB, fewer blocks allocated",
            (false, _) => "size not set to 1 MiB",
        };
        let detail = format!("size {}, {} KiB allocated", meta.len(), allocated >> 10);
        Ok(Outcome::saw(facts, detail))
    })())
}

/// A byte at 0 and one at 16 MiB: does SEEK_HOLE find the hole between, and does the file
/// hold fewer blocks than its size?
pub fn sparse(dir: &Path) -> Outcome {
    finish((|| {
        let path = at(dir, "sparse");
        let file = step("create", File::create(&path))?;
        let far = 16u64 << 20;
        step("write at 0", file.write_all_at(b"a", 0))?;
        step("write at 16 MiB", file.write_all_at(b"z", far))?;
        let hole = rustix::fs::seek(&file, RawSeek::Hole(0)).map_err(std::io::Error::from);
        let hole = step("SEEK_HOLE", hole)?;
        let meta = step("fstat", file.metadata())?;
        let allocated = meta.blocks() * 512;
        let found = match hole < far {
            true => "hole found by SEEK_HOLE",
            false => "no hole found by SEEK_HOLE",
        };
        let sparse = match allocated < far / 2 {
            true => "sparse on disk",
            false => "fully allocated on disk",
        };
        let detail = format!("first hole at {hole}, {} KiB allocated", allocated >> 10);
        Ok(Outcome::saw(format!("{found}, {sparse}"), detail))
    })())
}

/// One byte at 5 GiB − 1: the size and the byte read back, and whether the rest is a hole.
/// Skipped where a 16 MiB gap is allocated: there the file would take 5 GiB of disk.
pub fn sparse_past_4g(dir: &Path) -> Outcome {
    finish((|| {
        if let Some(note) = keeps_no_holes(dir)? {
            return Ok(Outcome::Skipped { note });
        }
        let path = at(dir, "big");
        let mut file = step(
            "create",
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path),
        )?;
        let last = (5u64 << 30) - 1;
        step("write at 5 GiB", file.write_all_at(b"!", last))?;
        step("fsync", file.sync_all())?;
        let meta = step("fstat", file.metadata())?;
        let mut byte = [0u8; 1];
        step("seek past 4 GiB", file.seek(SeekFrom::Start(last)))?;
        step("read past 4 GiB", file.read_exact(&mut byte))?;
        let allocated = meta.blocks() * 512;
        let facts = format!(
            "size {} GiB, last byte {}, {}",
            (meta.len() + 1) >> 30,
            match byte == *b"!" {
                true => "read back",
                false => "wrong",
            },
            match allocated < 1 << 30 {
                true => "sparse",
                false => "allocated",
            }
        );
        Ok(Outcome::saw(
            facts,
            format!("{} KiB allocated", allocated >> 10),
        ))
    })())
}

/// Why a gap would be written out in full here, or None where holes are kept.
fn keeps_no_holes(dir: &Path) -> Steps<Option<String>> {
    let path = at(dir, "gap");
    let file = step("create", File::create(&path))?;
    let gap = 16u64 << 20;
    step("write at 16 MiB", file.write_all_at(b"z", gap))?;
    let allocated = step("fstat", file.metadata())?.blocks() * 512;
    drop(file);
    step("unlink", fs::remove_file(&path))?;
    Ok((allocated >= gap / 2).then(|| {
        format!(
            "no holes here (a 16 MiB gap took {} KiB): a 5 GiB file would take 5 GiB",
            allocated >> 10
        )
    }))
}

/// A 255-byte name (the longest Linux allows) created and listed back; 256 bytes refused.
pub fn long_name(dir: &Path) -> Outcome {
    finish((|| {
        let name = "n".repeat(255);
        step("create 255-byte name", File::create(at(dir, &name)))?;
        let listed = step("readdir", listing(dir))?;
        let back = match listed.contains(&name) {
            true => "255-byte name listed back",
            false => "255-byte name not listed back",
        };
        let longer = match File::create(at(dir, &"n".repeat(256))) {
            Ok(_) => "256 bytes accepted".to_string(),
            Err(e) => format!("256 bytes refused with {}", errno_only(&e)),
        };
        Ok(Outcome::saw(format!("{back}, {longer}"), ""))
    })())
}

/// The names in `dir`, as UTF-8 (lossy).
pub(super) fn listing(dir: &Path) -> std::io::Result<Vec<String>> {
    fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect()
}

/// `ENAMETOOLONG`, without the number, for facts compared across OSes' numbering.
pub(super) fn errno_only(e: &std::io::Error) -> String {
    let name = super::evidence::errno_name(e);
    name.split(" (").next().unwrap_or(&name).to_string()
}

/// A file written in full at `path`.
pub(super) fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    File::create(path)?.write_all(bytes)
}
