//! One checkpoint save and restore: write in chunks, fsync, atomic rename, fsync the
//! folder, keep the last K, then read it back and verify its checksum.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use xxhash_rust::xxh3::Xxh3;

use super::payload::Payload;
use crate::error::{Corruption, Error, IoContext, Result};
use crate::measure::{Lap, Op, OpHistograms};
use crate::platform::{self, SyncMode};
use crate::workload::cache::{self, AlignedBuffer};
use crate::workload::read_timed;
use crate::workload::Phase;

pub(crate) struct CheckpointSpec<'a> {
    pub dir: &'a Path,
    pub size: u64,
    pub chunk: usize,
    pub fsync: bool,
    pub sync: SyncMode,
    pub keep: usize,
    pub verify: bool,
    pub direct: bool,
    pub phase: Phase,
    pub seed: u64,
    /// Sequence number of this save in the run; names the file.
    pub seq: u64,
}

pub(crate) struct CheckpointOutcome {
    /// Open to close of the temp file, its fsync included when on: the data written (durable
    /// with fsync), before the rename publishes it.
    pub file_seconds: f64,
    pub save_seconds: f64,
    /// The F_FULLFSYNC after the file's fsync, where the OS has one (macOS), left out of the
    /// save's time above.
    pub full_fsync_seconds: Option<f64>,
    pub restore_seconds: f64,
    pub bytes: u64,
    pub chunks: u64,
    pub restore_reads: u64,
    pub residency: Option<f64>,
    pub histograms: OpHistograms,
}

fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| platform::sync_file(&d, SyncMode::Fsync))
        .at(dir)
}

/// The sync modes timed after the file's own (F_FULLFSYNC on macOS after a plain fsync;
/// none on Linux), when the save fsyncs at all.
fn extra_syncs(fsync: bool, sync: SyncMode) -> &'static [SyncMode] {
    let modes = platform::sync_modes(platform::OS);
    if fsync && sync == modes[0] {
        &modes[1..]
    } else {
        &[]
    }
}

pub(crate) fn save_and_restore(spec: &CheckpointSpec) -> Result<CheckpointOutcome> {
    fs::create_dir_all(spec.dir).at(spec.dir)?;
    let mut payload = Payload::new(spec.size, spec.chunk, spec.seed);
    let expected = payload.checksum(spec.size);
    let mut ops = vec![
        Op::Open,
        Op::Write,
        Op::Fsync,
        Op::FsyncDir,
        Op::Rename,
        Op::Unlink,
        Op::Restore,
    ];
    if !extra_syncs(spec.fsync, spec.sync).is_empty() {
        ops.push(Op::FullFsync);
    }
    let mut hist = OpHistograms::with_ops(&ops);
    let done = spec.dir.join(format!("ckpt-{:08}.bin", spec.seq));
    let saved = save(spec, &mut payload, &done, &mut hist)?;
    rotate(spec.dir, spec.keep, &mut hist)?;
    if spec.phase == Phase::Cold {
        cache::evict(&done).at(&done)?;
    }
    let residency = cache::page_cache_visible(&done)
        .then(|| cache::residency(&done).ok())
        .flatten()
        .map(|(r, t)| if t == 0 { 0.0 } else { r as f64 / t as f64 });
    let mut buf = AlignedBuffer::new(spec.chunk);
    buf.fill(1);
    let (restore_reads, restore_seconds) = restore(spec, &done, &mut buf, &mut hist)?;
    if spec.verify {
        verify(&done, expected, &mut buf)?;
    }
    Ok(CheckpointOutcome {
        file_seconds: saved.file_seconds,
        save_seconds: saved.save_seconds,
        full_fsync_seconds: saved.full_fsync_seconds,
        restore_seconds,
        bytes: spec.size,
        chunks: payload.chunks,
        restore_reads,
        residency,
        histograms: hist,
    })
}

/// A save's times: until the file was closed, until the save was complete, and the full
/// flush after the fsync (macOS), which the other two leave out.
struct Saved {
    file_seconds: f64,
    save_seconds: f64,
    full_fsync_seconds: Option<f64>,
}

/// Write the checkpoint to a temporary name, fsync it, rename it to `done`, fsync the
/// folder.
fn save(
    spec: &CheckpointSpec,
    payload: &mut Payload,
    done: &Path,
    hist: &mut OpHistograms,
) -> Result<Saved> {
    let tmp = spec.dir.join(format!("ckpt-{:08}.tmp", spec.seq));
    let start = Instant::now();
    let mut file = hist
        .time(Op::Open, || cache::open_write(&tmp, spec.direct))
        .at(&tmp)?;
    for k in 0..payload.chunks {
        let bytes = payload.chunk(k, spec.size);
        hist.time(Op::Write, || file.write_all(bytes))
            .map_err(|e| Error::io(&tmp, cache::direct_error(e, spec.direct)))?;
    }
    if spec.fsync {
        hist.time(Op::Fsync, || platform::sync_file(&file, spec.sync))
            .at(&tmp)?;
    }
    let mut full = None;
    for &mode in extra_syncs(spec.fsync, spec.sync) {
        let flush_start = Instant::now();
        platform::sync_file(&file, mode).at(&tmp)?;
        let flush = flush_start.elapsed();
        hist.record(Op::FullFsync, flush.as_nanos() as u64);
        full = Some(flush.as_secs_f64());
    }
    drop(file);
    let flushed = full.unwrap_or(0.0);
    let file_seconds = start.elapsed().as_secs_f64() - flushed;
    hist.time(Op::Rename, || fs::rename(&tmp, done)).at(done)?;
    if spec.fsync {
        let dir_start = Instant::now();
        fsync_dir(spec.dir)?;
        hist.record(Op::FsyncDir, dir_start.elapsed().as_nanos() as u64);
    }
    Ok(Saved {
        file_seconds,
        save_seconds: start.elapsed().as_secs_f64() - flushed,
        full_fsync_seconds: full,
    })
}

/// Read the checkpoint back whole; returns the reads and the seconds they took.
fn restore(
    spec: &CheckpointSpec,
    done: &Path,
    buf: &mut [u8],
    hist: &mut OpHistograms,
) -> Result<(u64, f64)> {
    let start = Instant::now();
    let mut lap = Lap::start();
    let mut file = cache::open_read(done, spec.direct).at(done)?;
    lap.split(hist, Op::Open);
    let reads = read_timed(
        Op::Restore,
        &mut file,
        done,
        spec.size,
        buf,
        spec.direct,
        &mut lap,
        hist,
    )?;
    drop(file);
    Ok((reads, start.elapsed().as_secs_f64()))
}

/// Keep the newest `keep` finished checkpoints, unlink older ones and stray temp files.
fn rotate(dir: &Path, keep: usize, hist: &mut OpHistograms) -> Result<()> {
    let mut finished: Vec<PathBuf> = fs::read_dir(dir)
        .at(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("ckpt-") && n.ends_with(".bin"))
        })
        .collect();
    finished.sort();
    let excess = finished.len().saturating_sub(keep);
    for old in &finished[..excess] {
        hist.time(Op::Unlink, || fs::remove_file(old)).at(old)?;
    }
    Ok(())
}

fn verify(path: &Path, expected: u64, buf: &mut [u8]) -> Result<()> {
    let mut file = File::open(path).at(path)?;
    let mut h = Xxh3::new();
    loop {
        let n = file.read(buf).at(path)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    if h.digest() != expected {
        return Err(Error::corrupt(path, Corruption::Checkpoint));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_rotates_restores_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        for seq in 0..4 {
            let out = save_and_restore(&CheckpointSpec {
                dir: dir.path(),
                size: (3 << 20) + 123,
                chunk: 1 << 20,
                fsync: true,
                sync: SyncMode::Fsync,
                keep: 2,
                verify: true,
                direct: false,
                phase: Phase::Cold,
                seed: 5,
                seq,
            })
            .unwrap();
            assert_eq!(out.chunks, 4);
            assert_eq!(out.bytes, (3 << 20) + 123);
            assert_eq!(out.histograms.get(Op::Write).unwrap().len(), 4);
            assert_eq!(out.histograms.get(Op::Fsync).unwrap().len(), 1);
            assert_eq!(out.histograms.get(Op::FsyncDir).unwrap().len(), 1);
            assert!(out.file_seconds > 0.0 && out.file_seconds <= out.save_seconds);
        }
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["ckpt-00000002.bin", "ckpt-00000003.bin"]);
    }
}
