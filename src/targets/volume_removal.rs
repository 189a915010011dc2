//! Removing a volume mountbench made (a target's, a baseline's, a run's leftovers) without
//! taking anyone's containers with it.

use bollard::errors::Error as BollardError;
use bollard::query_parameters::RemoveVolumeOptionsBuilder;

use super::engine::Engine;
use crate::error::{Error, Result};

/// Remove the volume `name`, forced only where the engine's force spares the containers
/// using it (Podman's removes them, whoever made them).
pub(super) async fn remove_volume_async(engine: &Engine, name: &str) -> Result<(), BollardError> {
    let force = engine.facts.dialect().force_spares_users();
    let options = RemoveVolumeOptionsBuilder::default().force(force).build();
    engine.docker.remove_volume(name, Some(options)).await
}

/// The same, waited for; the error names the volume.
pub(super) fn remove_volume(engine: &Engine, name: &str) -> Result<()> {
    engine
        .block_on(remove_volume_async(engine, name))
        .map_err(|e| Error::Docker(format!("removing volume {name}: {}", Error::from(e))))
}
