//! Measurement: per-operation latency histograms, sample statistics and CPU calibration.

pub mod calibrate;
pub mod deferred;
pub mod histogram;
pub mod stats;

pub use calibrate::{CpuCalibration, CpuFacts};
pub use deferred::Deferred;
pub use histogram::{calibrate_clock, Lap, LatencySummary, Op, OpHistograms};
pub use stats::{bootstrap_ratio, SampleStats};
