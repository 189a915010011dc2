//! Removing a volume mountbench made (a target's, a baseline's, a run's leftovers) without
//! taking anyone's containers with it.

use bollard::errors::Error as BollardError;
use bollard::query_parameters::RemoveVolumeOptionsBuilder;

use super::engine::Engine;

/// Remove the volume `name`, forced only where the engine's force spares the containers
/// using it (Podman's removes them, whoever made them).
pub(super) async fn remove_volume_async(engine: &Engine, name: &str) -> Result<(), BollardError> {
    let force = engine.facts.dialect().force_spares_users();
    let options = RemoveVolumeOptionsBuilder::default().force(force).build();
    engine.docker.remove_volume(name, Some(options)).await
}
