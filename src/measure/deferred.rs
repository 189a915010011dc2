//! Latencies of one op kept as plain numbers inside a timed section and recorded into their
//! histogram after it. Between two file ops that each copied ~100 KiB through the caches, a
//! histogram update reads several cold cache lines (its counts, total, min and max); a push
//! onto a preallocated vector writes one that is usually still hot.

use super::histogram::{Op, OpHistograms};

pub struct Deferred {
    op: Op,
    nanos: Vec<u64>,
}

impl Deferred {
    /// Room for `capacity` values, allocated now (outside the timed section).
    pub fn new(op: Op, capacity: usize) -> Self {
        Deferred {
            op,
            nanos: Vec::with_capacity(capacity),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, nanos: u64) {
        self.nanos.push(nanos);
    }

    pub fn len(&self) -> usize {
        self.nanos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nanos.is_empty()
    }

    /// Record every value kept so far into `hist`, and keep none.
    pub fn flush(&mut self, hist: &mut OpHistograms) {
        for v in self.nanos.drain(..) {
            hist.record(self.op, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_records_every_value_once() {
        let mut d = Deferred::new(Op::File, 4);
        for v in [1_000, 2_000, 3_000, 4_000, 5_000] {
            d.push(v);
        }
        let mut hist = OpHistograms::default();
        d.flush(&mut hist);
        assert!(d.is_empty());
        let h = hist.get(Op::File).unwrap();
        assert_eq!((h.len(), h.max() / 100), (5, 50));
        d.flush(&mut hist);
        assert_eq!(hist.get(Op::File).unwrap().len(), 5);
    }
}
