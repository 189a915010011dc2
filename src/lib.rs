//! mountbench: how fast is ML-style I/O inside Docker on a bind mount, a named volume and a
//! tmpfs, against the same I/O on the bare host?
//!
//! Stages, each reading the previous one's files: [`workload`] (what to run) → [`plan`] →
//! [`run`] (targets + agent, see [`targets`] and [`agent`]) → [`results`] / [`export`] →
//! [`analysis`] → [`report`].

pub mod agent;
pub mod analysis;
pub mod cell;
pub mod datadir;
pub mod duration;
pub mod env;
pub mod error;
pub mod export;
pub mod measure;
pub mod metric;
pub mod plan;
pub mod report;
pub mod results;
pub mod run;
pub mod size;
pub mod targets;
pub mod workload;

pub use error::{Error, Result};
