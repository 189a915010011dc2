use std::collections::BTreeMap;

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use hdrhistogram::Histogram;
use quanta::Instant;
use serde::{Deserialize, Serialize};

/// The operation types timed one by one inside the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    Open,
    Read,
    Stat,
    Close,
    /// One whole small file: stat + open + read to EOF + close.
    File,
    Write,
    Fsync,
    /// The fsync of a folder after a rename in it, making the new name durable.
    #[serde(rename = "fsync-dir")]
    FsyncDir,
    /// macOS F_FULLFSYNC after a file's fsync: the drive's cache flushed.
    #[serde(rename = "full-fsync")]
    FullFsync,
    Rename,
    Unlink,
    /// One read of a checkpoint being restored.
    Restore,
    /// One empty file created (metadata).
    Create,
    /// A training step waiting for its batch: the time the accelerator would starve.
    #[serde(rename = "data-wait")]
    Wait,
    /// A sample from the writer starting to publish it to the reader's first sight of it.
    Visible,
    /// One file appended to a backup archive.
    Archive,
    /// One file extracted from a backup archive.
    Extract,
    /// A file change on one side to the watcher's event for it on the other.
    Event,
    /// A driven rep's uncertainty of the offset between its two sides' clocks (0 on one
    /// kernel): the latencies across a VM boundary hold only to within it.
    #[serde(rename = "clock-slack")]
    ClockSlack,
    /// One semantics probe, start to end.
    Probe,
}

impl Op {
    pub(crate) const ALL: [Op; 20] = [
        Op::Open,
        Op::Read,
        Op::Stat,
        Op::Close,
        Op::File,
        Op::Write,
        Op::Fsync,
        Op::FsyncDir,
        Op::FullFsync,
        Op::Rename,
        Op::Unlink,
        Op::Restore,
        Op::Create,
        Op::Wait,
        Op::Visible,
        Op::Archive,
        Op::Extract,
        Op::Event,
        Op::ClockSlack,
        Op::Probe,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Op::Open => "open",
            Op::Read => "read",
            Op::Stat => "stat",
            Op::Close => "close",
            Op::File => "file",
            Op::Write => "write",
            Op::Fsync => "fsync",
            Op::FsyncDir => "fsync-dir",
            Op::FullFsync => "full-fsync",
            Op::Rename => "rename",
            Op::Unlink => "unlink",
            Op::Restore => "restore",
            Op::Create => "create",
            Op::Wait => "data-wait",
            Op::Visible => "visible",
            Op::Archive => "archive",
            Op::Extract => "extract",
            Op::Event => "event",
            Op::ClockSlack => "clock-slack",
            Op::Probe => "probe",
        }
    }
}

/// The clock for per-op latencies: the TSC scaled to nanoseconds where it is invariant (the
/// OS clock otherwise). After a syscall it costs about a third of `std::time::Instant::now`
/// here (benches/recording.rs). Its calibration (~1 ms) runs on first use, so call this
/// once before any timed section.
pub fn calibrate_clock() {
    let _ = Instant::now();
}

/// Back-to-back op timing with one clock read per op: each op is timed from the end of the
/// one before it, so a chain of N ops costs N + 1 clock reads instead of 2N.
#[derive(Debug, Clone, Copy)]
pub struct Lap {
    start: Instant,
    last: Instant,
}

impl Lap {
    pub fn start() -> Lap {
        let now = Instant::now();
        Lap {
            start: now,
            last: now,
        }
    }

    /// Record the time since the previous split (or the start) under `op`.
    #[inline]
    pub fn split(&mut self, hist: &mut OpHistograms, op: Op) {
        let now = Instant::now();
        hist.record(op, (now - self.last).as_nanos() as u64);
        self.last = now;
    }

    /// Read the clock without recording anything: the end of an op whose parts were not
    /// timed one by one.
    #[inline]
    pub fn tick(&mut self) {
        self.last = Instant::now();
    }

    /// Keep the whole chain (start to last split) in `out`, recorded after the timed
    /// section, and begin the next chain at the last split, so consecutive chains cost no
    /// extra clock read.
    #[inline]
    pub fn end_deferred(&mut self, out: &mut super::Deferred) {
        out.push((self.last - self.start).as_nanos() as u64);
        self.start = self.last;
    }

    /// From the start to the last split.
    pub(crate) fn total(&self) -> std::time::Duration {
        self.last - self.start
    }
}

/// Lowest and highest recordable latency: 1 ns to 1 hour, 3 significant digits.
const HIGHEST_NS: u64 = 3_600_000_000_000;

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_NS, 3).expect("constant histogram bounds are valid")
}

/// One latency histogram (nanoseconds) per op type, filled by one thread without locking.
#[derive(Debug, Clone)]
pub struct OpHistograms {
    hists: Vec<Option<Histogram<u64>>>,
}

impl Default for OpHistograms {
    fn default() -> Self {
        OpHistograms {
            hists: vec![None; Op::ALL.len()],
        }
    }
}

impl OpHistograms {
    /// Make the histograms for `ops` up front so nothing is allocated inside timed sections.
    pub fn with_ops(ops: &[Op]) -> Self {
        let mut h = Self::default();
        for op in ops {
            h.hists[*op as usize] = Some(new_histogram());
        }
        h
    }

    #[inline]
    pub fn record(&mut self, op: Op, nanos: u64) {
        self.hists[op as usize]
            .get_or_insert_with(new_histogram)
            .saturating_record(nanos.max(1));
    }

    /// Time `f` and record its duration under `op`.
    #[inline]
    pub(crate) fn time<T>(&mut self, op: Op, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.record(op, start.elapsed().as_nanos() as u64);
        out
    }

    pub(crate) fn merge(&mut self, other: &OpHistograms) {
        for (mine, theirs) in self.hists.iter_mut().zip(&other.hists) {
            if let Some(theirs) = theirs {
                match mine {
                    Some(m) => m.add(theirs).expect("histograms with equal bounds add"),
                    None => *mine = Some(theirs.clone()),
                }
            }
        }
    }

    pub(crate) fn get(&self, op: Op) -> Option<&Histogram<u64>> {
        self.hists[op as usize].as_ref().filter(|h| !h.is_empty())
    }

    pub fn iter(&self) -> impl Iterator<Item = (Op, &Histogram<u64>)> {
        Op::ALL
            .into_iter()
            .filter_map(move |op| self.get(op).map(|h| (op, h)))
    }

    /// V2 + deflate serialization, base64, per op type.
    pub(crate) fn encode(&self) -> BTreeMap<Op, String> {
        self.iter().map(|(op, h)| (op, encode(h))).collect()
    }

    pub(crate) fn decode(map: &BTreeMap<Op, String>) -> Result<Self, String> {
        let mut out = Self::default();
        for (op, text) in map {
            out.hists[*op as usize] = Some(decode(text)?);
        }
        Ok(out)
    }
}

pub(crate) fn encode(h: &Histogram<u64>) -> String {
    let mut buf = Vec::new();
    V2DeflateSerializer::new()
        .serialize(h, &mut buf)
        .expect("serializing to a Vec cannot fail");
    base64::engine::general_purpose::STANDARD.encode(buf)
}

pub(crate) fn decode(text: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("histogram is not base64: {e}"))?;
    let h: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("histogram does not decode: {e:?}"))?;
    Ok(h)
}

/// Percentiles of one histogram in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
}

impl LatencySummary {
    pub(crate) fn of(h: &Histogram<u64>) -> Self {
        let us = |ns: u64| ns as f64 / 1000.0;
        LatencySummary {
            count: h.len(),
            p50_us: us(h.value_at_quantile(0.5)),
            p90_us: us(h.value_at_quantile(0.9)),
            p99_us: us(h.value_at_quantile(0.99)),
            p999_us: us(h.value_at_quantile(0.999)),
            max_us: us(h.max()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_merges() {
        let mut a = OpHistograms::default();
        for v in 1..=1000u64 {
            a.record(Op::Read, v * 1000);
        }
        let mut b = OpHistograms::default();
        b.record(Op::Read, 5_000_000);
        b.record(Op::Open, 700);
        let decoded = OpHistograms::decode(&a.encode()).unwrap();
        assert_eq!(decoded.get(Op::Read).unwrap().len(), 1000);
        let mut merged = decoded;
        merged.merge(&b);
        let read = LatencySummary::of(merged.get(Op::Read).unwrap());
        assert_eq!(read.count, 1001);
        assert!((read.p50_us - 501.0).abs() < 1.0, "{read:?}");
        assert!((read.max_us - 5000.0).abs() < 5.0, "{read:?}");
        assert_eq!(merged.get(Op::Open).unwrap().len(), 1);
        assert!(merged.get(Op::Write).is_none());
    }

    #[test]
    fn bad_base64_is_an_error() {
        assert!(decode("not base64!").is_err());
    }
}
