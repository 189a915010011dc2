//! Images on a Docker-API engine: found by name, imported from a streamed rootfs, or built
//! from a context. What goes into them is the targets' (targets/image.rs, data_image.rs).

use std::collections::HashMap;
use std::time::Duration;

use bollard::query_parameters::{BuildImageOptionsBuilder, CreateImageOptionsBuilder};
use futures_util::StreamExt;

use super::client::Engine;
use super::containers::{ImageBuild, ImageImport, Rootfs};
use crate::error::{one_line, Error, Result};

/// How long an image import may take: a data image carries whole datasets.
const IMPORT_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

/// The image half of the seam; `engine/docker.rs` forwards to it.
impl Engine {
    /// Whether the engine has an image of this name.
    pub(crate) fn has_image(&self, name: &str) -> bool {
        self.block_on(self.docker.inspect_image(name)).is_ok()
    }

    /// Import the rootfs streamed by `body` as `name` (REPO:TAG) with `changes`, the first a
    /// LABEL. The tag goes in `repo`: Podman ignores a separate `tag` (and tags `latest`), and
    /// gets the first change alone (see `Dialect::import_changes`). The name and `label` are
    /// checked afterwards, so an engine that files the image under another name fails here and
    /// not at the first container.
    pub(crate) fn import_image(&self, image: ImageImport, body: Rootfs) -> Result<()> {
        let ImageImport {
            name,
            changes,
            label,
            cancel,
        } = image;
        let changes = self.facts.dialect().import_changes(changes);
        let options = CreateImageOptionsBuilder::default()
            .from_src("-")
            .repo(name)
            .changes(changes)
            .build();
        // A data image carries whole datasets: more than the usual request timeout.
        let docker = self.docker.clone().with_timeout(IMPORT_TIMEOUT);
        let imported = async {
            let mut stream =
                docker.create_image(Some(options), Some(bollard::body_try_stream(body)), None);
            while let Some(item) = stream.next().await {
                let info = item?;
                if let Some(detail) = info.error_detail {
                    return Err(Error::Docker(format!(
                        "importing image {name}: {}",
                        detail.message.unwrap_or_default()
                    )));
                }
            }
            Ok(())
        };
        let interrupted = async {
            match cancel {
                Some(cancel) => cancel.cancelled().await,
                None => std::future::pending().await,
            }
        };
        // Dropping the request on an interrupt ends the upload and the packing behind it.
        self.block_on(async {
            tokio::select! {
                done = imported => done,
                _ = interrupted => Err(Error::Docker(format!("importing image {name}: interrupted"))),
            }
        })?;
        let (key, value) = label;
        let found = self.block_on(self.docker.inspect_image(name));
        let labelled = found
            .as_ref()
            .ok()
            .and_then(|i| i.config.as_ref()?.labels.as_ref()?.get(key).cloned());
        match (found, labelled.as_deref()) {
            (Ok(_), Some(v)) if v == value => Ok(()),
            (Ok(_), other) => Err(Error::Docker(format!(
                "the engine imported image {name} with label {key}={other:?}, not {value:?}"
            ))),
            (Err(e), _) => Err(Error::Docker(format!(
                "the engine imported an image but not as {name}: {}",
                Error::from(e)
            ))),
        }
    }

    /// Build `name` from a tar `context` with `dockerfile` in it, labelled; `what` names it
    /// in errors.
    pub(crate) fn build_image(&self, image: ImageBuild) -> Result<()> {
        let ImageBuild {
            name,
            dockerfile,
            context,
            labels,
            what,
        } = image;
        let labels: HashMap<String, String> = labels.into_iter().collect();
        let options = BuildImageOptionsBuilder::default()
            .dockerfile(dockerfile)
            .t(name)
            .labels(&labels)
            .rm(true)
            // A failed step leaves its container without this (Docker's legacy builder).
            .forcerm(true)
            .build();
        self.block_on(async {
            let mut stream =
                self.docker
                    .build_image(options, None, Some(bollard::body_full(context.into())));
            while let Some(item) = stream.next().await {
                // Podman reports a failed step as a stream error, Docker in `error_detail`.
                let info = item.map_err(|e| {
                    Error::Docker(format!("building {what}: {}", one_line(&e.to_string())))
                })?;
                if let Some(detail) = info.error_detail {
                    return Err(Error::Docker(format!(
                        "building {what}: {}",
                        one_line(&detail.message.unwrap_or_default())
                    )));
                }
            }
            Ok(())
        })
    }
}
