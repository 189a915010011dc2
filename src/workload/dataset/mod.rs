//! Datasets: files generated deterministically from a seed, with a manifest, reused when the
//! manifest matches.

mod generate;
pub mod listing;
mod manifest_tsv;
mod partial;
mod phase;
mod spec;
mod store;

#[cfg(test)]
pub(crate) use manifest_tsv::verify;
pub(crate) use manifest_tsv::{manifest_files, verify_copy, MANIFEST_TSV};
pub(crate) use partial::remove_stale_partials;
pub(crate) use phase::{set_phase, settle};
pub use spec::DatasetSpec;
pub(crate) use store::{datasets_dir, Dataset, Manifest, PrepareReport, MANIFEST_SCHEMA};
