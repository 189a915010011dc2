//! The data image of the `image` and `volume-from-image` targets, one per engine and run:
//! the agent image's content plus the datasets the plan reads there (targets/data_pack.rs),
//! built offline like the agent image. The datasets are prepared in the host's data dir
//! first (reusing native's copies when they are there), then streamed as a tar into the
//! engine's import. Named and labelled by its run, so the run removes it at its end and
//! `mountbench clean` finds it when a run could not.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::data_pack::{self, ChannelWriter, Packed};
use super::image::{self, AGENT_PATH};
use crate::agent::PrepareSpec;
use crate::cancel::CancelToken;
use crate::engine::client::{AGENT_LABEL, RUN_LABEL};
use crate::engine::containers::{ContainerEngine, ImageImport};
use crate::engine::Engine;
use crate::error::{Error, IoContext, Result};
use crate::workload::dataset::DatasetSpec;

pub(crate) const REPO: &str = "mountbench-data";

/// A data image on one engine.
#[derive(Debug, Clone, PartialEq)]
pub struct DataImage {
    pub name: String,
    /// What its /mb-image holds: the bytes a volume-from-image copy moves.
    pub packed: Packed,
}

/// What the data image is made from.
pub struct Recipe<'a> {
    pub agent_exe: &'a Path,
    /// The host's data root, where native keeps its datasets.
    pub host_root: &'a Path,
    pub datasets: &'a [DatasetSpec],
    pub run_id: &'a str,
    /// Stops the preparing between datasets and the import at once.
    pub cancel: &'a CancelToken,
}

/// The image's name for a run: its tag is the run id.
pub fn name(run_id: &str) -> String {
    format!("{REPO}:{run_id}")
}

/// Prepare the datasets on the host, then pack and import the image.
pub fn build(engine: &Engine, recipe: &Recipe) -> Result<DataImage> {
    build_on(engine, recipe)
}

/// The same on any engine.
pub(crate) fn build_on(engine: &dyn ContainerEngine, recipe: &Recipe) -> Result<DataImage> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    for dataset in recipe.datasets {
        if recipe.cancel.is_cancelled() {
            return Err(Error::Docker("building the data image: interrupted".into()));
        }
        crate::agent::prepare(&PrepareSpec {
            dataset: dataset.clone(),
            root: recipe.host_root.to_path_buf(),
            threads,
            existing: false,
        })?;
    }
    let name = name(recipe.run_id);
    let packed = import(engine, &name, recipe)?;
    Ok(DataImage { name, packed })
}

/// Pack on a thread of its own, chunk by chunk into the import request's body. A packing
/// error is sent down the body too, so the engine never takes a cut tar for an image.
fn import(engine: &dyn ContainerEngine, name: &str, recipe: &Recipe) -> Result<Packed> {
    let binary = std::fs::read(recipe.agent_exe).at(recipe.agent_exe)?;
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(8);
    let (exe, host_root): (PathBuf, PathBuf) = (recipe.agent_exe.into(), recipe.host_root.into());
    let datasets = recipe.datasets.to_vec();
    let packer = std::thread::spawn(move || {
        let mut tar = tar::Builder::new(ChannelWriter::new(tx.clone()));
        let packed =
            data_pack::pack(&mut tar, &exe, &binary, &host_root, &datasets).and_then(|packed| {
                let mut writer = tar.into_inner().map_err(image::packing)?;
                std::io::Write::flush(&mut writer).map_err(image::packing)?;
                Ok(packed)
            });
        if let Err(e) = &packed {
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
        packed
    });
    let body = Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    let changes = vec![
        format!("LABEL {RUN_LABEL}={}", recipe.run_id),
        format!("LABEL {AGENT_LABEL}=data"),
        format!("CMD [\"{AGENT_PATH}\", \"agent\", \"idle\"]"),
    ];
    let image = ImageImport {
        name,
        changes,
        label: (RUN_LABEL, recipe.run_id),
        cancel: Some(recipe.cancel),
    };
    let imported = engine.import_image(image, body);
    let packed = packer
        .join()
        .map_err(|_| Error::Docker("the data image's packer panicked".into()))?;
    // A packing error explains the failed import it caused; an interrupt, the packing it cut.
    match (packed, imported) {
        (_, Err(e)) if recipe.cancel.is_cancelled() => Err(e),
        (Err(e), _) | (Ok(_), Err(e)) => Err(e),
        (Ok(packed), Ok(())) => Ok(packed),
    }
}

/// Remove the data images of `run_id` (at the end of the run, when no container uses
/// them); the names removed, or an error naming those a container still uses. Never forced:
/// Podman's force would remove containers using them.
pub fn remove(engine: &Engine, run_id: &str) -> Result<Vec<String>> {
    remove_on(engine, run_id)
}

/// The same on any engine.
pub(crate) fn remove_on(engine: &dyn ContainerEngine, run_id: &str) -> Result<Vec<String>> {
    let cleaned = engine.remove_run_images(run_id)?;
    match cleaned.kept_images.is_empty() {
        true => Ok(cleaned.images),
        false => Err(Error::Docker(format!(
            "kept, in use: {}",
            cleaned.kept_images.join("; ")
        ))),
    }
}
