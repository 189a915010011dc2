//! Where a workload runs: the storage kinds, optionally mounted read-only, on an engine. The
//! vocabulary lives in [`crate::cell`], with the result rows that name it.

pub use crate::cell::{Datasets, Place, Store, TargetKind, TargetSpec};
