//! Measurement: per-operation latency histograms, sample statistics and CPU calibration.

pub(crate) mod calibrate;
pub(crate) mod deferred;
pub(crate) mod histogram;
pub(crate) mod stats;

pub use calibrate::{CpuCalibration, CpuFacts};
pub use deferred::Deferred;
pub use histogram::{calibrate_clock, Lap, LatencySummary, Op, OpHistograms};
pub(crate) use stats::{bootstrap_ratio, SampleStats};
