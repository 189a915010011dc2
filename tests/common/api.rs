//! Engine objects through the API, on any engine (the docker CLI talks to Docker only).

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, VolumeCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, KillContainerOptions, ListContainersOptionsBuilder,
    ListVolumesOptionsBuilder,
};
use mountbench::engine::Engine;

/// Labelled containers and volumes of one run still on an engine, asked through its API
/// (any engine; a listing bollard cannot read while Podman stops a container is asked again).
pub fn api_leftovers(engine: &Engine, run_id: &str) -> (usize, usize) {
    let filters = HashMap::from([(
        "label".to_string(),
        vec![format!("io.mountbench.run={run_id}")],
    )]);
    let docker = &engine.docker;
    for _ in 0..40 {
        let containers = engine.block_on(
            docker.list_containers(Some(
                ListContainersOptionsBuilder::default()
                    .all(true)
                    .filters(&filters)
                    .build(),
            )),
        );
        let containers = match containers {
            Ok(c) => c.len(),
            Err(e) if e.to_string().contains("unknown variant") => {
                std::thread::sleep(Duration::from_millis(250));
                continue;
            }
            Err(e) => panic!("listing containers: {e}"),
        };
        let volumes = engine
            .block_on(
                docker.list_volumes(Some(
                    ListVolumesOptionsBuilder::default()
                        .filters(&filters)
                        .build(),
                )),
            )
            .unwrap()
            .volumes
            .unwrap_or_default()
            .len();
        return (containers, volumes);
    }
    panic!("the engine's container list stayed unreadable");
}

/// Kill a running container of a run's target through the API.
pub fn kill_target(engine: &Engine, run_id: &str, target: &str) {
    let filters = HashMap::from([(
        "label".to_string(),
        vec![
            format!("io.mountbench.run={run_id}"),
            format!("io.mountbench.target={target}"),
        ],
    )]);
    let options = ListContainersOptionsBuilder::default()
        .filters(&filters)
        .build();
    let ours = engine
        .block_on(engine.docker.list_containers(Some(options)))
        .unwrap();
    assert_eq!(ours.len(), 1, "our {target} container runs: {ours:?}");
    let id = ours[0].id.clone().unwrap();
    engine
        .block_on(
            engine
                .docker
                .kill_container(&id, None::<KillContainerOptions>),
        )
        .unwrap();
}

/// A stopped container of the agent image, with these labels.
pub fn create_container(engine: &Engine, name: &str, image: &str, labels: &[(&str, &str)]) {
    let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        cmd: Some(vec!["/mountbench".into(), "agent".into(), "idle".into()]),
        labels: Some(labels.collect()),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::default().name(name).build();
    engine
        .block_on(engine.docker.create_container(Some(options), body))
        .unwrap();
}

pub fn create_volume(engine: &Engine, name: &str, labels: &[(&str, &str)]) {
    let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let request = VolumeCreateRequest {
        name: Some(name.to_string()),
        labels: Some(labels.collect()),
        ..Default::default()
    };
    engine
        .block_on(engine.docker.create_volume(request))
        .unwrap();
}
