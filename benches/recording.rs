//! What recording costs: one HdrHistogram record, one lap split, and a whole small-file
//! op (stat + open + read + close of a cached 110 KiB file) bare and recorded as
//! small-files records it: the file's total every time (kept in a vector, put into its
//! histogram after the timed batch), its four parts on every n-th file. The last lines
//! print the overhead as a share of the op for n = 16 (the default; the bar is 1%) and
//! n = 1.

use std::fs::File;
use std::hint::black_box;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use mountbench::measure::{calibrate_clock, Deferred, Lap, Op, OpHistograms};
use mountbench::workload::cache::AlignedBuffer;

const FILE_SIZE: usize = 110 << 10;
const PAIRS: usize = 20_000;
const BATCH: usize = 8;

fn bare(path: &Path, buf: &mut [u8]) {
    black_box(std::fs::metadata(path).unwrap());
    let mut f = File::open(path).unwrap();
    f.read_exact(&mut buf[..FILE_SIZE]).unwrap();
    drop(f);
}

/// What small-files keeps while it times: the histograms, the lap, the per-file totals
/// and the count of files.
struct Recorder {
    hist: OpHistograms,
    lap: Lap,
    per_file: Deferred,
    n: u64,
}

impl Recorder {
    fn new(capacity: usize) -> Recorder {
        Recorder {
            hist: OpHistograms::with_ops(&[Op::Stat, Op::Open, Op::Read, Op::Close, Op::File]),
            lap: Lap::start(),
            per_file: Deferred::new(Op::File, capacity),
            n: 0,
        }
    }

    /// After the timed section, as small-files does after a pass.
    fn flush(&mut self) {
        self.per_file.flush(&mut self.hist);
    }
}

/// As small-files records a file: the parts on every `every`-th file, the total always.
fn recorded(path: &Path, buf: &mut [u8], r: &mut Recorder, every: u64) {
    let Recorder {
        hist,
        lap,
        per_file,
        n,
    } = r;
    if *n % every == 0 {
        lap.tick();
        black_box(std::fs::metadata(path).unwrap());
        lap.split(hist, Op::Stat);
        let mut f = File::open(path).unwrap();
        lap.split(hist, Op::Open);
        f.read_exact(&mut buf[..FILE_SIZE]).unwrap();
        lap.split(hist, Op::Read);
        drop(f);
        lap.split(hist, Op::Close);
    } else {
        bare(path, buf);
        lap.tick();
    }
    lap.end_deferred(per_file);
    *n += 1;
}

fn recording(c: &mut Criterion) {
    mountbench::report::draw::register_fonts();
    calibrate_clock();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.jpg");
    std::fs::write(&path, vec![7u8; FILE_SIZE]).unwrap();
    // Page-aligned like the agent's buffers: on AMD Zen 3, copying a cached page to an
    // address 1-31 bytes past a page boundary (where malloc puts a 1 MiB Vec) is ~5x slower.
    let mut buf = AlignedBuffer::new(1 << 20);
    buf.fill(1);
    let mut hist = OpHistograms::with_ops(&[Op::Read]);

    c.bench_function("record/one-value", |b| {
        let mut v = 1000u64;
        b.iter(|| {
            v = v.wrapping_mul(6364136223846793005).wrapping_add(1) % 10_000_000;
            hist.record(Op::Read, black_box(v));
        })
    });
    c.bench_function("record/lap-split", |b| {
        let mut lap = Lap::start();
        b.iter(|| lap.split(&mut hist, Op::Read))
    });
    c.bench_function("small-file-op/bare", |b| b.iter(|| bare(&path, &mut buf)));
    for every in [16u64, 1] {
        let mut r = Recorder::new(1 << 16);
        c.bench_function(&format!("small-file-op/recorded-every-{every}"), |b| {
            b.iter(|| {
                recorded(&path, &mut buf, &mut r, every);
                if r.per_file.len() == 1 << 16 {
                    r.flush();
                }
            })
        });
    }

    // Short interleaved batches in alternating order, so drift on a shared machine hits
    // both sides alike; the median of the per-pair ratios ignores the pairs a stall hit.
    for every in [16u64, 1] {
        let mut r = Recorder::new(BATCH);
        let mut ratios = Vec::with_capacity(PAIRS);
        let mut bare_total = Duration::ZERO;
        for pair in 0..PAIRS {
            let mut time = |recording: bool| {
                let s = Instant::now();
                for _ in 0..BATCH {
                    if recording {
                        recorded(&path, &mut buf, &mut r, every);
                    } else {
                        bare(&path, &mut buf);
                    }
                }
                let elapsed = s.elapsed();
                r.flush();
                elapsed
            };
            let (t_bare, t_rec) = if pair % 2 == 0 {
                let b = time(false);
                (b, time(true))
            } else {
                let r = time(true);
                (time(false), r)
            };
            bare_total += t_bare;
            ratios.push(t_rec.as_secs_f64() / t_bare.as_secs_f64());
        }
        ratios.sort_by(f64::total_cmp);
        let per_op = bare_total.as_secs_f64() / (PAIRS * BATCH) as f64 * 1e6;
        println!(
            "recording overhead, parts timed on every {every} file(s): {:+.2}% of a {per_op:.1} µs small-file op (median of {PAIRS} paired batches of {BATCH})",
            (ratios[PAIRS / 2] - 1.0) * 100.0
        );
    }
}

criterion_group!(benches, recording);
criterion_main!(benches);
