//! mountbench: how fast is ML-style I/O inside Docker on a bind mount, a named volume and a
//! tmpfs, against the same I/O on the bare host?
//!
//! Modules in data-flow order: what to run ([`workload`], measured with [`measure`] and
//! named by [`metric`]) → [`plan`] (cells × reps) → [`run`] (on [`targets`], through the
//! [`agent`]) → [`results`] / [`export`] → [`analysis`] → [`report`].

// Shared vocabulary: sizes, durations, errors, cancellation, atomic files.
pub mod atomic;
pub mod cancel;
pub mod duration;
pub mod error;
pub mod percent;
pub mod size;

// The host OS services everything below uses, Linux and macOS side by side.
pub mod platform;

// What to run and how it is measured.
pub mod measure;
pub mod metric;
pub mod workload;

// The Docker-API engines containers run on.
pub mod engine;

// Where it runs, and the plan over both.
pub mod cell;
pub mod datadir;
pub mod env;
pub mod plan;
pub mod targets;

// Running it.
pub mod agent;
pub mod fleet;
pub mod run;

// What it measured, and what a person reads.
pub mod analysis;
pub mod export;
pub mod report;
pub mod results;

pub use error::{Error, Result};
