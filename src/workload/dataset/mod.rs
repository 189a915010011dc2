//! Datasets: files generated deterministically from a seed, with a manifest, reused when the
//! manifest matches.

mod generate;
pub mod listing;
mod manifest_tsv;
mod partial;
mod phase;
mod spec;
mod store;

pub use generate::file_rng;
pub use manifest_tsv::{manifest_files, verify, verify_copy, ManifestFile, MANIFEST_TSV};
pub use partial::remove_stale_partials;
pub use phase::{residency, set_phase, settle};
pub use spec::DatasetSpec;
pub use store::{datasets_dir, Dataset, Manifest, PrepareReport, LAST_USE, MANIFEST_SCHEMA};
