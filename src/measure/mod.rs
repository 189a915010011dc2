//! Measurement: per-operation latency histograms and sample statistics.

pub mod histogram;
pub mod stats;

pub use histogram::{Lap, LatencySummary, Op, OpHistograms};
pub use stats::{bootstrap_ratio, SampleStats};
