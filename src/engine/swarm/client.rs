//! A Swarm manager through the Docker API (bollard): its nodes, a global job, its tasks and
//! their logs, and removal. The connection (and API version negotiation) is the Docker-API
//! engine's; this adds the Swarm calls behind [`SwarmEngine`].

#[cfg(test)]
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{
    Limit, Mount, MountTmpfsOptions, MountType, MountVolumeOptions, MountVolumeOptionsDriverConfig,
    ServiceSpec, ServiceSpecMode, TaskSpec, TaskSpecContainerSpec, TaskSpecContainerSpecPrivileges,
    TaskSpecPlacement, TaskSpecResources, TaskSpecRestartPolicy,
    TaskSpecRestartPolicyConditionEnum,
};
use bollard::query_parameters::{
    ListNodesOptions, ListServicesOptionsBuilder, ListTasksOptionsBuilder, LogsOptionsBuilder,
    UpdateServiceOptionsBuilder,
};
use futures_util::StreamExt;

use super::job::{JobMount, JobSpec, NodeInfo, TaskInfo, TaskState};
use super::{ApiAbilities, SwarmEngine};
use crate::engine::address::EngineAddress;
use crate::engine::Engine;
use crate::error::{one_line, Error, Result};

/// A placement constraint no node matches.
const NO_NODE: &str = "node.labels.io.mountbench.retired==true";
/// How long reading one task's logs may take.
const LOGS_TIMEOUT: Duration = Duration::from_secs(120);

pub(crate) struct SwarmClient {
    engine: Engine,
}

impl SwarmClient {
    /// Connect (the API version negotiated) to the engine at `address`.
    pub fn connect(address: &EngineAddress) -> Result<SwarmClient> {
        let engine = Engine::connect(address).map_err(Error::from)?;
        Ok(SwarmClient { engine })
    }

    /// The negotiated API version as (major, minor).
    pub fn api_version(&self) -> (u32, u32) {
        let v = self.engine.docker.client_version();
        (v.major_version as u32, v.minor_version as u32)
    }

    fn task_logs(&self, task_id: &str, stdout: bool, tail: &str) -> Result<String> {
        let options = LogsOptionsBuilder::default()
            .stdout(stdout)
            .stderr(!stdout)
            .tail(tail)
            .build();
        let docker = &self.engine.docker;
        let read = async {
            let mut stream = docker.task_logs(task_id, Some(options));
            let mut out = Vec::new();
            while let Some(item) = stream.next().await {
                out.extend_from_slice(&item?.into_bytes());
            }
            Ok::<_, bollard::errors::Error>(out)
        };
        let read = self
            .engine
            .block_on(async { tokio::time::timeout(LOGS_TIMEOUT, read).await });
        match read {
            Ok(Ok(bytes)) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(Error::Docker(format!(
                "the logs of task {task_id} did not come within {} s",
                LOGS_TIMEOUT.as_secs()
            ))),
        }
    }
}

impl SwarmEngine for SwarmClient {
    fn engine(&self) -> &Engine {
        &self.engine
    }

    fn abilities(&self) -> ApiAbilities {
        let at_least_141 = self.api_version() >= (1, 41);
        ApiAbilities {
            cap_drop: at_least_141,
            pids_limit: at_least_141,
        }
    }

    /// Why this engine is not a swarm manager, if it is not.
    fn not_a_manager(&self) -> Option<String> {
        match self.engine.block_on(self.engine.docker.inspect_swarm()) {
            Ok(_) => None,
            Err(e) => Some(one_line(&e.to_string())),
        }
    }

    fn nodes(&self) -> Result<Vec<NodeInfo>> {
        let docker = &self.engine.docker;
        let nodes = self
            .engine
            .block_on(docker.list_nodes(None::<ListNodesOptions>))?;
        Ok(nodes.into_iter().map(node_info).collect())
    }

    /// Create the job; returns the service's id.
    fn create_job(&self, job: &JobSpec, abilities: ApiAbilities) -> Result<String> {
        let spec = service_spec(job, abilities);
        let docker = &self.engine.docker;
        let created = self.engine.block_on(docker.create_service(spec, None))?;
        created
            .id
            .ok_or_else(|| Error::Docker("the manager created a service without an id".into()))
    }

    /// The tasks of the service.
    fn tasks(&self, service_id: &str) -> Result<Vec<TaskInfo>> {
        let filters = HashMap::from([("service", vec![service_id])]);
        let options = ListTasksOptionsBuilder::default().filters(&filters).build();
        let docker = &self.engine.docker;
        let tasks = self.engine.block_on(docker.list_tasks(Some(options)))?;
        Ok(tasks.into_iter().map(task_info).collect())
    }

    /// Everything the task wrote on stdout, from the node through the manager's log broker.
    fn task_stdout(&self, task_id: &str) -> Result<String> {
        self.task_logs(task_id, true, "all")
    }

    /// The last `lines` lines the task wrote on stderr.
    fn task_stderr_tail(&self, task_id: &str, lines: usize) -> Result<String> {
        self.task_logs(task_id, false, &lines.to_string())
    }

    /// Let no node run the service any more: a job's ended tasks keep their containers (and
    /// those their volumes) after the service is deleted, but an update to a placement no
    /// node matches removes the old tasks, and each node removes their containers and
    /// volumes. False when the service is gone already.
    fn retire_service(&self, service_id: &str) -> Result<bool> {
        let docker = &self.engine.docker;
        let service = match self.engine.block_on(docker.inspect_service(
            service_id,
            None::<bollard::query_parameters::InspectServiceOptions>,
        )) {
            Ok(service) => service,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(false),
            Err(e) => return Err(e.into()),
        };
        let version = service.version.and_then(|v| v.index).unwrap_or(0);
        let mut spec = service.spec.unwrap_or_default();
        let task = spec.task_template.get_or_insert_with(Default::default);
        let placement = task.placement.get_or_insert_with(Default::default);
        placement
            .constraints
            .get_or_insert_with(Vec::new)
            .push(NO_NODE.to_string());
        let options = UpdateServiceOptionsBuilder::default()
            .version(version as i32)
            .build();
        self.engine
            .block_on(docker.update_service(service_id, spec, options, None))?;
        Ok(true)
    }

    /// Delete the service (after [`Self::retire_service`]).
    fn remove_service(&self, service_id: &str) -> Result<()> {
        let docker = &self.engine.docker;
        match self.engine.block_on(docker.delete_service(service_id)) {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The services carrying `label` (with `value`, when given): (id, name).
    fn services_labelled(&self, label: &str, value: Option<&str>) -> Result<Vec<(String, String)>> {
        let filter = match value {
            Some(v) => format!("{label}={v}"),
            None => label.to_string(),
        };
        let filters = HashMap::from([("label", vec![filter.as_str()])]);
        let options = ListServicesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let docker = &self.engine.docker;
        let services = self.engine.block_on(docker.list_services(Some(options)))?;
        Ok(services
            .into_iter()
            .filter_map(|s| {
                let name = s.spec.and_then(|spec| spec.name).unwrap_or_default();
                Some((s.id?, name))
            })
            .collect())
    }
}

fn node_info(node: bollard::models::Node) -> NodeInfo {
    let description = node.description.unwrap_or_default();
    let platform = description.platform.unwrap_or_default();
    let spec = node.spec.unwrap_or_default();
    let status = node.status.unwrap_or_default();
    let state = status
        .state
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_else(|| "unknown".into());
    let availability = spec
        .availability
        .and_then(|a| serde_json::to_value(a).ok())
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    NodeInfo {
        id: node.id.unwrap_or_default(),
        hostname: description.hostname.unwrap_or_default(),
        arch: platform.architecture.unwrap_or_default(),
        os: platform.os.unwrap_or_default(),
        labels: spec.labels.unwrap_or_default().into_iter().collect(),
        ready: state == "ready",
        active: availability == "active",
        state,
    }
}

fn task_info(task: bollard::models::Task) -> TaskInfo {
    let status = task.status.unwrap_or_default();
    let state_name = status
        .state
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_else(|| "new".into());
    let message = [status.message, status.err]
        .into_iter()
        .flatten()
        .filter(|m| !m.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    TaskInfo {
        id: task.id.unwrap_or_default(),
        node_id: task.node_id.unwrap_or_default(),
        state: TaskState::of(&state_name),
        state_name,
        message: one_line(&message),
        exit_code: status.container_status.and_then(|c| c.exit_code),
    }
}

/// The service: a global job of hardened tasks that run once (no restart), with no network.
fn service_spec(job: &JobSpec, abilities: ApiAbilities) -> ServiceSpec {
    let labels: HashMap<String, String> = job.labels.clone().into_iter().collect();
    let container = TaskSpecContainerSpec {
        image: Some(job.image.clone()),
        labels: Some(labels.clone()),
        command: Some(job.command.clone()),
        hostname: Some(job.hostname.clone()),
        read_only: Some(true),
        mounts: Some(job.mounts.iter().map(|m| mount(m, &labels)).collect()),
        privileges: Some(TaskSpecContainerSpecPrivileges {
            no_new_privileges: Some(true),
            ..Default::default()
        }),
        capability_drop: abilities.cap_drop.then(|| vec!["ALL".to_string()]),
        ..Default::default()
    };
    let limits = Limit {
        memory_bytes: Some(job.memory_bytes),
        pids: abilities.pids_limit.then_some(job.pids),
        ..Default::default()
    };
    let task = TaskSpec {
        container_spec: Some(container),
        resources: Some(TaskSpecResources {
            limits: Some(limits),
            ..Default::default()
        }),
        restart_policy: Some(TaskSpecRestartPolicy {
            condition: Some(TaskSpecRestartPolicyConditionEnum::NONE),
            max_attempts: Some(0),
            ..Default::default()
        }),
        placement: Some(TaskSpecPlacement {
            constraints: Some(job.constraints.clone()),
            ..Default::default()
        }),
        // No network attachment: Swarm cannot attach a task to `none` ("not a predefined
        // swarm network"); the task gets its node's default bridge, where one exists.
        networks: Some(Vec::new()),
        ..Default::default()
    };
    ServiceSpec {
        name: Some(job.name.clone()),
        labels: Some(labels),
        task_template: Some(task),
        mode: Some(ServiceSpecMode {
            global_job: Some(HashMap::new()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn mount(m: &JobMount, labels: &HashMap<String, String>) -> Mount {
    match m {
        JobMount::Bind { source, target } => Mount {
            typ: Some(MountType::BIND),
            source: Some(source.clone()),
            target: Some(target.clone()),
            ..Default::default()
        },
        JobMount::Volume {
            target,
            driver_opts,
        } => Mount {
            typ: Some(MountType::VOLUME),
            // No source: a volume of the task's own, removed with its container.
            target: Some(target.clone()),
            volume_options: Some(MountVolumeOptions {
                labels: Some(labels.clone()),
                driver_config: (!driver_opts.is_empty()).then(|| MountVolumeOptionsDriverConfig {
                    name: Some("local".into()),
                    options: Some(driver_opts.clone().into_iter().collect::<HashMap<_, _>>()),
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
        JobMount::Tmpfs { target, size } => Mount {
            typ: Some(MountType::TMPFS),
            target: Some(target.clone()),
            tmpfs_options: Some(MountTmpfsOptions {
                size_bytes: Some(*size as i64),
                ..Default::default()
            }),
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_task_is_hardened_as_far_as_the_api_allows() {
        let job = JobSpec {
            name: "mountbench-r".into(),
            labels: BTreeMap::from([("io.mountbench.run".into(), "r".into())]),
            image: "mountbench-agent:x".into(),
            command: vec!["/mountbench".into()],
            hostname: "{{.Node.Hostname}}".into(),
            mounts: vec![JobMount::Tmpfs {
                target: "/t".into(),
                size: 1 << 20,
            }],
            constraints: vec!["node.id==a".into()],
            memory_bytes: 1 << 30,
            pids: 256,
        };
        let all = ApiAbilities {
            cap_drop: true,
            pids_limit: true,
        };
        let spec = serde_json::to_value(service_spec(&job, all)).unwrap();
        let task = &spec["TaskTemplate"];
        let c = &task["ContainerSpec"];
        assert_eq!(c["CapabilityDrop"], serde_json::json!(["ALL"]));
        assert_eq!(c["Privileges"]["NoNewPrivileges"], true);
        assert_eq!(c["ReadOnly"], true);
        assert_eq!(task["Resources"]["Limits"]["Pids"], 256);
        assert_eq!(task["RestartPolicy"]["Condition"], "none");
        assert_eq!(task["Networks"], serde_json::json!([]));
        assert!(spec["Mode"]["GlobalJob"].is_object());
        let old = ApiAbilities {
            cap_drop: false,
            pids_limit: false,
        };
        let spec = serde_json::to_value(service_spec(&job, old)).unwrap();
        assert!(spec["TaskTemplate"]["ContainerSpec"]["CapabilityDrop"].is_null());
    }
}
