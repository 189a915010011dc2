//! The workload engine: the same code runs natively and, as the agent, inside containers.
//! [`spec`] holds what every workload has, [`kinds`] one file per kind of I/O pattern.

pub mod cache;
pub(crate) mod check;
pub mod cold;
pub mod dataset;
pub mod kinds;
pub(crate) mod parse;
pub mod party;
pub mod read;
pub mod rep;
pub mod spec;
pub mod timed;

pub use crate::platform::{FsKind, MountFacts};
pub use kinds::Params;
pub use read::{read_timed, read_to_len};
pub use rep::{Measured, MetricResult, Rep, RepSpec, Role};
pub use spec::{Phase, Workload};
pub use timed::{run_threads, run_threads_then, Timed};
