//! A checkpoint's bytes: a few random chunks made once from the seed, each written chunk
//! stamped with its index, so every save writes the same incompressible data and a restore
//! can be verified by checksum.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xxhash_rust::xxh3::Xxh3;

use crate::workload::cache::AlignedBuffer;

/// Distinct chunks kept in memory; chunk k is pattern k % PATTERNS stamped with k.
const PATTERNS: usize = 4;

pub(crate) struct Payload {
    patterns: Vec<AlignedBuffer>,
    pub chunks: u64,
}

impl Payload {
    pub(crate) fn new(size: u64, chunk: usize, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let patterns = (0..PATTERNS)
            .map(|_| {
                let mut b = AlignedBuffer::new(chunk);
                rng.fill_bytes(&mut b);
                b
            })
            .collect();
        Payload {
            patterns,
            chunks: size.div_ceil(chunk as u64),
        }
    }

    /// Stamp chunk `k` and return its bytes (the last chunk may be short).
    pub(crate) fn chunk(&mut self, k: u64, size: u64) -> &[u8] {
        let len = self.patterns[0].len();
        let buf = &mut self.patterns[k as usize % PATTERNS];
        buf[..8.min(len)].copy_from_slice(&k.to_le_bytes()[..8.min(len)]);
        let this = (size - k * len as u64).min(len as u64) as usize;
        &buf[..this]
    }

    pub(crate) fn checksum(&mut self, size: u64) -> u64 {
        let mut h = Xxh3::new();
        for k in 0..self.chunks {
            h.update(self.chunk(k, size));
        }
        h.digest()
    }
}
