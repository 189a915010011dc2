//! The timed probes: fsync latency over many small write + fsync pairs (a guest fsync that
//! becomes `F_FULLFSYNC` on a Mac shows as ~20 ms each), and deleting tiny files (136 s for
//! 200 on one caching VirtioFS share, 0.01 s on /tmp).

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Instant;

use super::files::write_file;
use super::{at, step, Outcome, Steps};
use crate::measure::{Lap, LatencySummary, Op, OpHistograms};
use crate::platform::{self, SyncMode};
use crate::workload::Timed;

const PAIR: usize = 4096;

/// `pairs` 4 KiB writes into one file, each followed by a plain `fsync(2)`.
pub fn fsync(dir: &Path, pairs: u32) -> (Outcome, Option<Timed>) {
    split((|| {
        let path = at(dir, "journal");
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path);
        let file = step("create", file)?;
        let mut histograms = OpHistograms::with_ops(&[Op::Write, Op::Fsync]);
        let block = [0x6du8; PAIR];
        let started = Instant::now();
        let mut lap = Lap::start();
        for i in 0..pairs as u64 {
            step("write", file.write_all_at(&block, i * PAIR as u64))?;
            lap.split(&mut histograms, Op::Write);
            step("fsync", platform::sync_file(&file, SyncMode::Fsync))?;
            lap.split(&mut histograms, Op::Fsync);
        }
        let seconds = started.elapsed().as_secs_f64();
        let detail = match histograms.get(Op::Fsync).map(LatencySummary::of) {
            Some(l) => format!("fsync p50 {}, p99 {}", micros(l.p50_us), micros(l.p99_us)),
            None => String::new(),
        };
        let outcome = Outcome::saw(format!("{pairs} write + fsync pairs done"), detail);
        let timed = Timed {
            bytes: pairs as u64 * PAIR as u64,
            ops: pairs as u64,
            seconds,
            histograms,
        };
        Ok((outcome, timed))
    })())
}

/// Make `count` one-byte files (untimed), then time unlinking them all.
pub fn delete_tiny(dir: &Path, count: u32) -> (Outcome, Option<Timed>) {
    split((|| {
        let paths: Vec<_> = (0..count)
            .map(|i| at(dir, &format!("tiny{i:03}")))
            .collect();
        for p in &paths {
            step("create", write_file(p, b"t"))?;
        }
        let mut histograms = OpHistograms::with_ops(&[Op::Unlink]);
        let started = Instant::now();
        let mut lap = Lap::start();
        for p in &paths {
            step("unlink", std::fs::remove_file(p))?;
            lap.split(&mut histograms, Op::Unlink);
        }
        let seconds = started.elapsed().as_secs_f64();
        let left = step("readdir", super::files::listing(dir))?.len();
        let facts = format!("{count} deleted, {left} left listed");
        let detail = format!("{:.1} ms in all", seconds * 1e3);
        let timed = Timed {
            bytes: 0,
            ops: count as u64,
            seconds,
            histograms,
        };
        Ok((Outcome::saw(facts, detail), timed))
    })())
}

/// `3625 µs`, `12.3 µs`, `0.45 µs`: three significant figures at most.
fn micros(us: f64) -> String {
    let digits = match us {
        u if u >= 100.0 => 0,
        u if u >= 10.0 => 1,
        _ => 2,
    };
    format!("{us:.digits$} µs")
}

fn split(r: Steps<(Outcome, Timed)>) -> (Outcome, Option<Timed>) {
    match r {
        Ok((outcome, timed)) => (outcome, Some(timed)),
        Err(failed) => (failed, None),
    }
}
