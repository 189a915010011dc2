//! What recording costs: one HdrHistogram record, one timed closure, and a whole small-file
//! op (stat + open + read + close of a cached 110 KiB file) with and without the five
//! records small-files makes per file. The last line prints the overhead as a share of the
//! op (the issue asks for <= 1%).

use std::fs::File;
use std::hint::black_box;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use mountbench::measure::{Lap, Op, OpHistograms};

const FILE_SIZE: usize = 110 << 10;

fn bare(path: &Path, buf: &mut [u8]) {
    black_box(std::fs::metadata(path).unwrap());
    let mut f = File::open(path).unwrap();
    f.read_exact(&mut buf[..FILE_SIZE]).unwrap();
    drop(f);
}

/// As small-files records a file: one lap split per op, then the whole file.
fn recorded(path: &Path, buf: &mut [u8], hist: &mut OpHistograms) {
    let mut lap = Lap::start();
    black_box(std::fs::metadata(path).unwrap());
    lap.split(hist, Op::Stat);
    let mut f = File::open(path).unwrap();
    lap.split(hist, Op::Open);
    f.read_exact(&mut buf[..FILE_SIZE]).unwrap();
    lap.split(hist, Op::Read);
    drop(f);
    lap.split(hist, Op::Close);
    hist.record(Op::File, lap.total().as_nanos() as u64);
}

fn recording(c: &mut Criterion) {
    mountbench::report::charts::register_fonts();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.jpg");
    std::fs::write(&path, vec![7u8; FILE_SIZE]).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut hist = OpHistograms::with_ops(&[Op::Stat, Op::Open, Op::Read, Op::Close, Op::File]);

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
    c.bench_function("small-file-op/recorded", |b| {
        b.iter(|| recorded(&path, &mut buf, &mut hist))
    });

    // Interleaved batches, so drift on a shared machine hits both sides alike.
    let (mut t_bare, mut t_rec) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..40 {
        let s = Instant::now();
        for _ in 0..500 {
            bare(&path, &mut buf);
        }
        t_bare += s.elapsed();
        let s = Instant::now();
        for _ in 0..500 {
            recorded(&path, &mut buf, &mut hist);
        }
        t_rec += s.elapsed();
    }
    let per_op = t_bare.as_secs_f64() / 20_000.0 * 1e6;
    println!(
        "recording overhead: {:+.2}% of a {per_op:.1} µs small-file op (5 records per file)",
        (t_rec.as_secs_f64() / t_bare.as_secs_f64() - 1.0) * 100.0
    );
}

criterion_group!(benches, recording);
criterion_main!(benches);
