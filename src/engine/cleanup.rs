//! `mountbench clean`: remove labelled leftovers, and nothing else.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveImageOptionsBuilder, RemoveVolumeOptionsBuilder,
};

use super::client::{Engine, AGENT_LABEL, RUN_LABEL};
use super::removal::{remove_until_gone, unknown_state, Made};
use crate::error::{one_line, Error, Result};

#[derive(Debug, Default)]
pub struct Cleaned {
    pub containers: Vec<String>,
    pub volumes: Vec<String>,
    pub(crate) images: Vec<String>,
    /// Agent images left in place because a container uses them, with the engine's words.
    pub(crate) kept_images: Vec<String>,
}

impl Cleaned {
    /// What `mountbench clean` prints: one line an object, or that there was nothing.
    pub fn lines(&self) -> Vec<String> {
        let each = |what: &str, names: &[String]| -> Vec<String> {
            names.iter().map(|n| format!("{what} {n}")).collect()
        };
        let lines = [
            each("removed container", &self.containers),
            each("removed volume", &self.volumes),
            each("removed image", &self.images),
            each("kept image", &self.kept_images),
        ]
        .concat();
        if lines.is_empty() {
            return vec!["nothing to clean".into()];
        }
        lines
    }
}

/// Listing again after an answer bollard cannot read: a container Podman is stopping is in a
/// state (`stopped`) that bollard 0.21's enum lacks, for a moment.
const LIST_ATTEMPTS: u32 = 20;
const LIST_PAUSE: Duration = Duration::from_millis(250);

/// Remove every container, volume and data image labelled `io.mountbench.run` (of one run,
/// or of all), and with `images` the agent images labelled `io.mountbench=agent` that no
/// container uses.
pub fn clean(engine: &Engine, run_id: Option<&str>, images: bool) -> Result<Cleaned> {
    let label = match run_id {
        Some(id) => format!("{RUN_LABEL}={id}"),
        None => RUN_LABEL.to_string(),
    };
    let filters: HashMap<String, Vec<String>> = HashMap::from([("label".to_string(), vec![label])]);
    let mut cleaned = Cleaned::default();
    engine.block_on(async {
        remove_containers(engine, &filters, &mut cleaned).await?;
        remove_volumes(engine, &filters, &mut cleaned).await?;
        remove_images(engine, &filters, &mut cleaned).await?;
        if images {
            let agent = format!("{AGENT_LABEL}=agent");
            let filters = HashMap::from([("label".to_string(), vec![agent])]);
            remove_images(engine, &filters, &mut cleaned).await?;
        }
        Ok::<_, Error>(())
    })?;
    Ok(cleaned)
}

/// Each container removed and confirmed gone (one removed meanwhile counts as gone).
async fn remove_containers(
    engine: &Engine,
    filters: &HashMap<String, Vec<String>>,
    cleaned: &mut Cleaned,
) -> Result<()> {
    let docker = &engine.docker;
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(filters)
        .build();
    let containers = listed(|| docker.list_containers(Some(options.clone()))).await?;
    for c in containers {
        let Some(id) = c.id else { continue };
        remove_until_gone(engine, &Made::Container(id.clone())).await?;
        let name = c.names.and_then(|n| n.into_iter().next()).unwrap_or(id);
        cleaned.containers.push(name.trim_start_matches('/').into());
    }
    Ok(())
}

async fn remove_volumes(
    engine: &Engine,
    filters: &HashMap<String, Vec<String>>,
    cleaned: &mut Cleaned,
) -> Result<()> {
    let docker = &engine.docker;
    let options = ListVolumesOptionsBuilder::default()
        .filters(filters)
        .build();
    let volumes = listed(|| docker.list_volumes(Some(options.clone()))).await?;
    for v in volumes.volumes.unwrap_or_default() {
        remove_until_gone(engine, &Made::Volume(v.name.clone())).await?;
        cleaned.volumes.push(v.name);
    }
    Ok(())
}

/// Remove the data images of `run_id` that no container uses; those in use are kept and
/// named.
pub(crate) fn remove_run_images(engine: &Engine, run_id: &str) -> Result<Cleaned> {
    let label = format!("{RUN_LABEL}={run_id}");
    let filters = HashMap::from([("label".to_string(), vec![label])]);
    let mut cleaned = Cleaned::default();
    engine.block_on(remove_images(engine, &filters, &mut cleaned))?;
    Ok(cleaned)
}

/// The images `filters` finds (a run's data images, or the agent images) that no container
/// uses. Never forced: Docker's force untags an image in use, Podman's removes the
/// containers using it.
async fn remove_images(
    engine: &Engine,
    filters: &HashMap<String, Vec<String>>,
    cleaned: &mut Cleaned,
) -> Result<()> {
    let docker = &engine.docker;
    let options = ListImagesOptionsBuilder::default().filters(filters).build();
    let list = listed(|| docker.list_images(Some(options.clone()))).await?;
    let remove = RemoveImageOptionsBuilder::default().force(false).build();
    for image in list {
        let name = image.repo_tags.first().map_or(&image.id, |t| t);
        let name = short_name(name);
        match docker
            .remove_image(&image.id, Some(remove.clone()), None)
            .await
        {
            Ok(_) => cleaned.images.push(name),
            Err(e) if gone(&e) => {}
            Err(e) if status(&e) == Some(409) => cleaned
                .kept_images
                .push(format!("{name}: {}", one_line(&e.to_string()))),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// An image name as the user gave it: Podman files short names under `docker.io/library/`
/// (compat API) or `localhost/`.
fn short_name(name: &str) -> String {
    let short = ["docker.io/library/", "localhost/"]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix));
    short.unwrap_or(name).to_string()
}

/// A list call, asked again while its answer names a state bollard does not know.
async fn listed<T, F, Fut>(mut list: F) -> Result<T, BollardError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, BollardError>>,
{
    let mut attempt = 1;
    loop {
        match list().await {
            Err(e) if attempt < LIST_ATTEMPTS && unknown_state(&e) => {
                attempt += 1;
                tokio::time::sleep(LIST_PAUSE).await;
            }
            done => return done,
        }
    }
}

fn status(e: &BollardError) -> Option<u16> {
    match e {
        BollardError::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// Removed meanwhile (by a run tearing down, or the engine's own cleanup).
fn gone(e: &BollardError) -> bool {
    status(e) == Some(404)
}

impl Engine {
    /// Remove every volume labelled `label` that no container uses: the removed, and those
    /// a container still uses (left alone).
    pub fn remove_volumes_labelled(&self, label: &str) -> Result<(Vec<String>, Vec<String>)> {
        let filters: HashMap<String, Vec<String>> =
            HashMap::from([("label".to_string(), vec![label.to_string()])]);
        let docker = &self.docker;
        self.block_on(async {
            let list = docker
                .list_volumes(Some(
                    ListVolumesOptionsBuilder::default()
                        .filters(&filters)
                        .build(),
                ))
                .await?;
            let (mut removed, mut in_use) = (Vec::new(), Vec::new());
            for v in list.volumes.unwrap_or_default() {
                let options = RemoveVolumeOptionsBuilder::default().build();
                match docker.remove_volume(&v.name, Some(options)).await {
                    Ok(()) => removed.push(v.name),
                    Err(BollardError::DockerResponseServerError {
                        status_code: 409, ..
                    }) => in_use.push(v.name),
                    Err(e) => return Err(e.into()),
                }
            }
            Ok((removed, in_use))
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn image_names_as_given() {
        for (name, short) in [
            (
                "docker.io/library/mountbench-agent:1a2b",
                "mountbench-agent:1a2b",
            ),
            ("localhost/mountbench-agent:1a2b", "mountbench-agent:1a2b"),
            ("mountbench-agent:1a2b", "mountbench-agent:1a2b"),
            ("sha256:0f3e", "sha256:0f3e"),
        ] {
            assert_eq!(super::short_name(name), short);
        }
    }
}
