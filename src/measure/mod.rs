//! Measurement: per-operation latency histograms and sample statistics.

pub mod deferred;
pub mod histogram;
pub mod stats;

pub use deferred::Deferred;
pub use histogram::{calibrate_clock, Lap, LatencySummary, Op, OpHistograms};
pub use stats::{bootstrap_ratio, SampleStats};
