//! The workload engine: the same code runs natively and, as the agent, inside containers.
//! [`spec`] holds what every workload has, [`kinds`] one file per kind of I/O pattern.

pub mod cache;
pub(crate) mod check;
pub(crate) mod cold;
pub mod dataset;
pub(crate) mod kinds;
pub(crate) mod parse;
pub mod party;
pub(crate) mod probe;
pub(crate) mod read;
pub(crate) mod rep;
pub(crate) mod spec;
pub(crate) mod timed;

pub use crate::platform::MountFacts;
pub use kinds::Params;
pub(crate) use read::{read_timed, read_to_len};
pub(crate) use rep::{MetricResult, Rep};
pub use rep::{RepSpec, Role};
pub use spec::{Phase, Workload};
pub(crate) use timed::{run_threads, run_threads_then, Timed};
