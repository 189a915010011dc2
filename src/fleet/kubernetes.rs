//! A fleet run on Kubernetes, on paper: the manifests mountbench would create, printed for a
//! user to apply (`run --k8s-manifests`). Untested against a cluster: none can run here.
//!
//! The mapping (docs/fleet.md): one DaemonSet per run (a pod on every node its nodeSelector
//! lets in, as a Swarm global job has a task on every node). The node's matrix runs in the
//! pod's init container `task`, the same `agent fleet-task` as a Swarm task, so it runs once
//! and its framed results stay readable in `kubectl logs POD -c task`; the pod's one
//! container then idles until the DaemonSet is deleted. bind → hostPath (the node's data
//! dir), volume → a generic ephemeral volume (a PVC per pod, deleted with it), tmpfs →
//! emptyDir with medium Memory, volume-opts → an `nfs` volume when its driver options name
//! one (a tmpfs: an emptyDir in memory).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::nodes::NodeFilter;
use super::task::{self, TaskPlan};
use crate::engine::client::{AGENT_LABEL, RUN_LABEL};
use crate::error::{Error, Result};
use crate::targets::image::AGENT_PATH;
use crate::targets::settings::TargetSettings;
use crate::targets::spec::TargetKind;

/// Everything the manifests are made from.
pub struct K8sRequest<'a> {
    pub task: &'a TaskPlan,
    pub settings: &'a TargetSettings,
    pub filters: &'a [NodeFilter],
    /// The data dir on every node (hostPath).
    pub node_data_dir: &'a str,
    pub image: &'a str,
}

/// A `v1` `List` holding the run's DaemonSet.
pub fn manifests(req: &K8sRequest) -> Result<Value> {
    let run = &req.task.run_id;
    let name = format!("mountbench-{}", run.to_lowercase());
    let labels = json!({ RUN_LABEL: run, AGENT_LABEL: "fleet" });
    let mut volumes = vec![
        json!({"name": "data", "hostPath": {"path": req.node_data_dir, "type": "Directory"}}),
        json!({"name": "work", "emptyDir": {"medium": "Memory", "sizeLimit": "256Mi"}}),
    ];
    let mut mounts = vec![
        json!({"name": "data", "mountPath": task::DATA_MOUNT}),
        json!({"name": "work", "mountPath": task::WORK_MOUNT}),
    ];
    for t in &req.task.targets {
        let (volume, path) = match t.kind {
            TargetKind::Bind => continue,
            TargetKind::Volume => (ephemeral("volume", &labels), task::VOLUME_MOUNT),
            TargetKind::Tmpfs => (
                json!({"name": "tmpfs", "emptyDir": {"medium": "Memory", "sizeLimit": bytes(req.settings.tmpfs.size.0)}}),
                task::TMPFS_MOUNT,
            ),
            TargetKind::VolumeOpts => (
                nfs(&req.settings.volume_opts.driver_opts)?,
                task::VOLUME_OPTS_MOUNT,
            ),
            _ => {
                return Err(Error::input(
                    format!("--targets {t}"),
                    "a fleet node runs bind, volume, volume-opts and tmpfs only",
                ))
            }
        };
        mounts.push(json!({"name": volume["name"], "mountPath": path}));
        volumes.push(volume);
    }
    let spec = serde_json::to_string(req.task).map_err(|e| Error::Protocol(e.to_string()))?;
    let node_selector: BTreeMap<&str, &str> = req
        .filters
        .iter()
        .map(|f| (f.label.as_str(), f.value.as_str()))
        .collect();
    let memory = bytes(req.settings.container.memory.0);
    let container = |name: &str, command: Vec<String>, mounts: Value| {
        json!({
            "name": name,
            "image": req.image,
            "imagePullPolicy": "IfNotPresent",
            "command": command,
            "securityContext": {
                "capabilities": {"drop": ["ALL"]},
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": true,
            },
            "resources": {"limits": {"memory": memory}},
            "volumeMounts": mounts,
        })
    };
    let task_command = vec![
        AGENT_PATH.to_string(),
        "agent".into(),
        "fleet-task".into(),
        "--spec".into(),
        spec,
    ];
    let idle = vec![AGENT_PATH.to_string(), "agent".into(), "idle".into()];
    let daemon_set = json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "selector": {"matchLabels": {RUN_LABEL: run}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "nodeSelector": node_selector,
                    "automountServiceAccountToken": false,
                    "enableServiceLinks": false,
                    "initContainers": [container("task", task_command, Value::Array(mounts))],
                    "containers": [container("idle", idle, json!([]))],
                    "volumes": volumes,
                },
            },
        },
    });
    Ok(json!({"apiVersion": "v1", "kind": "List", "items": [daemon_set]}))
}

/// A PVC per pod, made and deleted with it, of the cluster's default storage class.
fn ephemeral(name: &str, labels: &Value) -> Value {
    json!({
        "name": name,
        "ephemeral": {"volumeClaimTemplate": {
            "metadata": {"labels": labels},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}},
        }},
    })
}

/// The volume-opts target as Kubernetes can mount it: local-driver NFS options
/// (`type=nfs`, `o=addr=SERVER,…`, `device=:/PATH`) as an `nfs` volume, a tmpfs as an
/// emptyDir in memory.
fn nfs(opts: &BTreeMap<String, String>) -> Result<Value> {
    let refuse = |why: &str| Error::input("[targets.volume-opts] driver_opts", why.to_string());
    match opts.get("type").map(String::as_str) {
        Some("nfs") => {}
        Some("tmpfs") => {
            return Ok(json!({"name": "volume-opts", "emptyDir": {"medium": "Memory"}}));
        }
        _ => {
            return Err(refuse(
                "only an NFS or a tmpfs volume (type = \"nfs\" or \"tmpfs\") maps to a Kubernetes volume",
            ))
        }
    }
    let server = opts
        .get("o")
        .and_then(|o| o.split(',').find_map(|p| p.strip_prefix("addr=")))
        .ok_or_else(|| refuse("an NFS volume needs addr=SERVER in o"))?;
    let path = opts
        .get("device")
        .and_then(|d| d.strip_prefix(':'))
        .ok_or_else(|| refuse("an NFS volume needs device = \":/PATH\""))?;
    Ok(json!({"name": "volume-opts", "nfs": {"server": server, "path": path}}))
}

/// Bytes as a Kubernetes quantity.
fn bytes(n: u64) -> String {
    match n {
        n if n % (1 << 30) == 0 => format!("{}Gi", n >> 30),
        n if n % (1 << 20) == 0 => format!("{}Mi", n >> 20),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task_plan(targets: &str) -> TaskPlan {
        TaskPlan {
            run_id: "20261207-093000-ab12".into(),
            workload_path: "w.toml".into(),
            workload_text: String::new(),
            targets: targets.split(',').map(|t| t.parse().unwrap()).collect(),
            reps: None,
            warmup: None,
            seed: None,
            only: None,
            scale: None,
            target_ci: None,
            max_reps: None,
            keep_free: None,
        }
    }

    #[test]
    fn the_daemon_set_maps_every_target_and_reads_back() {
        let mut settings = TargetSettings::default();
        settings.volume_opts.driver_opts = BTreeMap::from([
            ("type".to_string(), "nfs".to_string()),
            ("o".to_string(), "addr=10.0.0.5,rw".to_string()),
            ("device".to_string(), ":/export/ml".to_string()),
        ]);
        let task = task_plan("bind,volume,tmpfs,volume-opts");
        let filters = ["pool=train".parse().unwrap()];
        let req = K8sRequest {
            task: &task,
            settings: &settings,
            filters: &filters,
            node_data_dir: "/var/lib/mountbench",
            image: "registry.example/mountbench-agent:1",
        };
        let text = serde_json::to_string_pretty(&manifests(&req).unwrap()).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        let ds = &back["items"][0];
        assert_eq!(ds["kind"], "DaemonSet");
        let pod = &ds["spec"]["template"]["spec"];
        assert_eq!(pod["nodeSelector"]["pool"], "train");
        let init = &pod["initContainers"][0];
        assert_eq!(init["securityContext"]["capabilities"]["drop"][0], "ALL");
        assert_eq!(init["securityContext"]["readOnlyRootFilesystem"], true);
        assert_eq!(init["command"][2], "fleet-task");
        let plan: TaskPlan = serde_json::from_str(init["command"][4].as_str().unwrap()).unwrap();
        assert_eq!(plan, task);
        let volumes = pod["volumes"].as_array().unwrap();
        let by_name = |n: &str| volumes.iter().find(|v| v["name"] == n).unwrap().clone();
        assert_eq!(by_name("data")["hostPath"]["path"], "/var/lib/mountbench");
        assert_eq!(by_name("tmpfs")["emptyDir"]["medium"], "Memory");
        assert!(by_name("volume")["ephemeral"]["volumeClaimTemplate"].is_object());
        assert_eq!(by_name("volume-opts")["nfs"]["server"], "10.0.0.5");
        assert_eq!(by_name("volume-opts")["nfs"]["path"], "/export/ml");
        let mounts = init["volumeMounts"].as_array().unwrap();
        assert_eq!(
            mounts.len(),
            volumes.len(),
            "every volume mounted in the task"
        );
    }

    #[test]
    fn what_kubernetes_cannot_mount_is_refused() {
        let mut settings = TargetSettings::default();
        settings.volume_opts.driver_opts =
            BTreeMap::from([("type".to_string(), "cifs".to_string())]);
        let task = task_plan("bind,volume-opts");
        let req = K8sRequest {
            task: &task,
            settings: &settings,
            filters: &[],
            node_data_dir: "/d",
            image: "i",
        };
        let err = manifests(&req).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
