//! CPU calibration: a short fixed CPU kernel timed where the agent runs, so that a target
//! whose CPU is emulated (a software-CPU VM, amd64 images on Apple silicon) or throttled is
//! flagged instead of being mistaken for slow storage.

use std::hint::black_box;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Times the kernel runs; the fastest counts (the others absorb page faults and frequency
/// ramp-up).
pub(crate) const RUNS: usize = 3;

/// Below this speed relative to the host, a target's CPU is called emulated or throttled.
pub(crate) const SLOW_CPU: f64 = 0.5;

/// The in-memory buffer the kernel hashes.
const BUFFER_BYTES: usize = 1 << 20;
/// Passes of xxh3 over the buffer, each seeded by the previous digest.
const HASH_PASSES: u64 = 1200;
/// Collatz sequences walked (a data-dependent branch every step). With the hashing, a run
/// takes ~95 ms on the development host (release build).
const COLLATZ_STARTS: u64 = 360_000;
/// Unoptimised builds (the tests' agent) run ~70× slower: they do this much less work. Every
/// target of a run uses the same binary, so its ratios hold either way.
const DEBUG_DIVISOR: u64 = if cfg!(debug_assertions) { 64 } else { 1 };

/// What the kernel measured where the agent runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuCalibration {
    /// The fastest of the runs, seconds.
    pub seconds: f64,
    /// Every run, seconds.
    pub runs: Vec<f64>,
    /// The kernel's result: the same everywhere, or the work differed.
    pub checksum: u64,
}

/// A target's calibration as env.json records it: its seconds against the host's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuFacts {
    /// The kernel's best time where the target's agent runs.
    pub seconds: f64,
    /// The kernel's best time natively on the host.
    pub host_seconds: f64,
    /// Speed relative to the host: host seconds / these seconds (1.0 = as fast).
    pub speed: f64,
}

impl CpuFacts {
    /// None when either time is not a positive finite number.
    pub fn new(seconds: f64, host_seconds: f64) -> Option<CpuFacts> {
        Some(CpuFacts {
            seconds,
            host_seconds,
            speed: relative_speed(host_seconds, seconds)?,
        })
    }

    /// The CPU is so much slower than the host's that ratios to native measure it too.
    pub(crate) fn slow(&self) -> bool {
        self.speed < SLOW_CPU
    }
}

/// Speed relative to the host: how many times the host's time fits into the target's.
pub(crate) fn relative_speed(host_seconds: f64, seconds: f64) -> Option<f64> {
    let valid = |s: f64| s.is_finite() && s > 0.0;
    (valid(host_seconds) && valid(seconds)).then(|| host_seconds / seconds)
}

/// Run the kernel `RUNS` times and keep the fastest.
pub fn calibrate() -> CpuCalibration {
    let buffer = pattern(BUFFER_BYTES);
    let mut runs = Vec::with_capacity(RUNS);
    let mut checksum = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let (passes, starts) = (HASH_PASSES / DEBUG_DIVISOR, COLLATZ_STARTS / DEBUG_DIVISOR);
        checksum = kernel(black_box(&buffer), black_box(passes), black_box(starts));
        runs.push(start.elapsed().as_secs_f64());
    }
    let seconds = runs.iter().copied().fold(f64::INFINITY, f64::min);
    CpuCalibration {
        seconds,
        runs,
        checksum,
    }
}

/// Deterministic integer work: chained hashes of a buffer, then a branchy loop.
fn kernel(buffer: &[u8], passes: u64, starts: u64) -> u64 {
    let mut digest = 0u64;
    for pass in 0..passes {
        digest = xxh3_64_with_seed(buffer, digest ^ pass);
    }
    let mut steps = 0u64;
    for start in 1..=starts {
        let mut x = start;
        while x != 1 {
            x = if x & 1 == 0 { x / 2 } else { 3 * x + 1 };
            steps += 1;
        }
    }
    digest ^ steps
}

/// A buffer of xorshift bytes, the same on every machine.
fn pattern(len: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_is_host_seconds_over_target_seconds() {
        let cases = [
            (0.1, 0.1, Some(1.0)),
            (0.1, 0.2, Some(0.5)),
            (0.1, 1.5, Some(0.1 / 1.5)),
            (0.2, 0.1, Some(2.0)),
            (0.1, 0.0, None),
            (0.0, 0.1, None),
            (0.1, f64::NAN, None),
            (f64::INFINITY, 0.1, None),
            (-0.1, 0.1, None),
        ];
        for (host, target, want) in cases {
            let got = relative_speed(host, target);
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-12, "{host}/{target}: {g}"),
                (g, w) => assert_eq!(g, w, "{host}/{target}"),
            }
        }
    }

    #[test]
    fn below_half_the_host_speed_is_slow() {
        let cases = [(0.1, 0.1, false), (0.1, 0.2, false), (0.1, 0.21, true)];
        for (host, target, slow) in cases {
            let facts = CpuFacts::new(target, host).unwrap();
            assert_eq!(facts.slow(), slow, "{host}/{target}: {}", facts.speed);
        }
        assert!(CpuFacts::new(0.0, 0.1).is_none());
    }

    #[test]
    fn the_kernel_is_deterministic() {
        let buffer = pattern(4096);
        assert_eq!(buffer.len(), 4096);
        assert_eq!(kernel(&buffer, 3, 100), kernel(&pattern(4096), 3, 100));
        assert_ne!(kernel(&buffer, 3, 100), kernel(&buffer, 4, 100));
        // Collatz steps of 1..=3: 0, 1, 7.
        assert_eq!(kernel(&[], 0, 3), 8);
    }
}
