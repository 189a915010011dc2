//! `mountbench clean`: remove labelled leftovers, and nothing else.

use std::collections::HashMap;

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder, RemoveVolumeOptionsBuilder,
};

use super::engine::{Engine, AGENT_LABEL, RUN_LABEL};
use crate::error::Result;

#[derive(Debug, Default)]
pub struct Cleaned {
    pub containers: Vec<String>,
    pub volumes: Vec<String>,
    pub images: Vec<String>,
}

/// Remove every container and volume labelled `io.mountbench.run` (of one run, or of all),
/// and with `images` the agent images labelled `io.mountbench=agent`.
pub fn clean(engine: &Engine, run_id: Option<&str>, images: bool) -> Result<Cleaned> {
    let label = match run_id {
        Some(id) => format!("{RUN_LABEL}={id}"),
        None => RUN_LABEL.to_string(),
    };
    let filters: HashMap<String, Vec<String>> = HashMap::from([("label".to_string(), vec![label])]);
    let docker = &engine.docker;
    engine.block_on(async {
        let mut cleaned = Cleaned::default();
        let containers = docker
            .list_containers(Some(
                ListContainersOptionsBuilder::default()
                    .all(true)
                    .filters(&filters)
                    .build(),
            ))
            .await?;
        for c in containers {
            let Some(id) = c.id else { continue };
            docker
                .remove_container(
                    &id,
                    Some(
                        RemoveContainerOptionsBuilder::default()
                            .force(true)
                            .v(true)
                            .build(),
                    ),
                )
                .await?;
            let name = c.names.and_then(|n| n.into_iter().next()).unwrap_or(id);
            cleaned
                .containers
                .push(name.trim_start_matches('/').to_string());
        }
        let volumes = docker
            .list_volumes(Some(
                ListVolumesOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            ))
            .await?;
        for v in volumes.volumes.unwrap_or_default() {
            docker
                .remove_volume(
                    &v.name,
                    Some(RemoveVolumeOptionsBuilder::default().force(true).build()),
                )
                .await?;
            cleaned.volumes.push(v.name);
        }
        if images {
            let image_filters: HashMap<String, Vec<String>> =
                HashMap::from([("label".to_string(), vec![format!("{AGENT_LABEL}=agent")])]);
            let list = docker
                .list_images(Some(
                    ListImagesOptionsBuilder::default()
                        .filters(&image_filters)
                        .build(),
                ))
                .await?;
            for image in list {
                docker
                    .remove_image(
                        &image.id,
                        Some(RemoveImageOptionsBuilder::default().force(true).build()),
                        None,
                    )
                    .await?;
                cleaned
                    .images
                    .push(image.repo_tags.first().cloned().unwrap_or(image.id));
            }
        }
        Ok(cleaned)
    })
}
