//! What the kernel applies to a container's processes, read on the host from /proc/PID: the
//! same on every engine (Docker and Podman describe their settings differently in `inspect`,
//! e.g. Podman lists each dropped capability and omits no-new-privileges). Needs an engine
//! that shares the host's kernel.

use std::sync::Arc;

use bollard::exec::StartExecOptions;
use bollard::models::ExecConfig;
use mountbench::cancel::CancelToken;
use mountbench::engine::Engine;
use mountbench::targets::container::{ContainerConfig, ContainerHost};
use mountbench::targets::image::{self, AGENT_PATH};
use mountbench::targets::settings::{Seccomp, TargetSettings};
use mountbench::targets::spec::{Store, TargetKind, TargetSpec};
use mountbench::targets::AgentHost;

/// A process's credentials and confinement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub cap_eff: u64,
    pub cap_prm: u64,
    pub cap_bnd: u64,
    pub no_new_privs: bool,
    /// 0 none, 2 a filter.
    pub seccomp: u32,
    pub uid: u32,
    pub gid: u32,
    /// Mount options of the process's root filesystem.
    pub root_options: String,
    /// Network interfaces the process sees.
    pub interfaces: Vec<String>,
}

impl Applied {
    pub fn of_pid(pid: i64) -> Applied {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_else(|e| panic!("/proc/{pid}/status: {e}"));
        let field = |name: &str| -> String {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
                .trim()
                .to_string()
        };
        let hex = |name: &str| u64::from_str_radix(&field(name), 16).unwrap();
        let first = |name: &str| -> u32 {
            field(name)
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        Applied {
            cap_eff: hex("CapEff"),
            cap_prm: hex("CapPrm"),
            cap_bnd: hex("CapBnd"),
            no_new_privs: field("NoNewPrivs") == "1",
            seccomp: field("Seccomp").parse().unwrap(),
            uid: first("Uid"),
            gid: first("Gid"),
            root_options: root_options(pid),
            interfaces: interfaces(pid),
        }
    }

    /// The container's first process (the idle agent).
    pub fn of_container(engine: &Engine, id: &str) -> Applied {
        let inspect = engine
            .block_on(engine.docker.inspect_container(id, None))
            .unwrap();
        let pid = inspect.state.and_then(|s| s.pid).expect("a running pid");
        Applied::of_pid(pid)
    }

    /// A process started by `exec`, as every rep is: an idle agent left running until the
    /// container goes.
    pub fn of_exec(engine: &Engine, id: &str) -> Applied {
        let docker = &engine.docker;
        let cmd = vec![AGENT_PATH.to_string(), "agent".into(), "idle".into()];
        let exec = engine
            .block_on(docker.create_exec(
                id,
                ExecConfig {
                    cmd: Some(cmd),
                    ..Default::default()
                },
            ))
            .unwrap();
        let detach = StartExecOptions {
            detach: true,
            ..Default::default()
        };
        engine
            .block_on(docker.start_exec(&exec.id, Some(detach)))
            .unwrap();
        let mut pid = None;
        super::wait_for("the exec's pid", 30, || {
            pid = engine
                .block_on(docker.inspect_exec(&exec.id))
                .ok()
                .and_then(|i| i.pid)
                .filter(|p| *p > 0);
            pid.is_some()
        });
        Applied::of_pid(pid.unwrap())
    }

    /// Hardened as mountbench makes its containers: no capability at all (bounding set
    /// included), no-new-privileges, the invoking user, no network but loopback, and a
    /// read-only root unless `writable_root`. `seccomp` whether a filter is expected.
    pub fn assert_hardened(&self, what: &str, writable_root: bool, seccomp: bool) {
        assert_eq!(
            (self.cap_eff, self.cap_prm, self.cap_bnd),
            (0, 0, 0),
            "{what}: {self:?}"
        );
        assert!(self.no_new_privs, "{what}: {self:?}");
        assert_eq!(
            self.seccomp,
            if seccomp { 2 } else { 0 },
            "{what}: {self:?}"
        );
        let me = (
            rustix::process::getuid().as_raw(),
            rustix::process::getgid().as_raw(),
        );
        assert_eq!((self.uid, self.gid), me, "{what}: the invoking user");
        let ro = self.root_options.split(',').any(|o| o == "ro");
        assert_eq!(ro, !writable_root, "{what}: root {}", self.root_options);
        assert_eq!(self.interfaces, ["lo"], "{what}: no network");
    }
}

/// The mount options of "/" in the process's mount namespace.
fn root_options(pid: i64) -> String {
    let text = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap();
    text.lines()
        .rev()
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(4) == Some(&"/")).then(|| f.get(5).unwrap_or(&"").to_string())
        })
        .expect("a root mount")
}

/// The interfaces in the process's network namespace.
fn interfaces(pid: i64) -> Vec<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).unwrap();
    text.lines()
        .skip(2)
        .filter_map(|l| Some(l.split(':').next()?.trim().to_string()))
        .collect()
}

/// Bind, tmpfs, layer and image-target containers on `engine` as the kernel applies them (to the container's
/// process and to an exec'd one, as every rep is; only the layer target writes its layer),
/// with their limits and run label; the agent answers inside; then the seccomp opt-out.
/// Every container is torn down.
pub fn assert_every_target_hardened(engine: &Arc<Engine>, run_id: &str) {
    let image = image::ensure(engine, &super::agents()).unwrap();
    let bind = tempfile::tempdir().unwrap();
    let settings = TargetSettings::default();
    let cancel = CancelToken::new();
    let config = ContainerConfig {
        run_id,
        image: &image,
        packed: None,
        bind_source: bind.path(),
        backup_source: bind.path(),
        settings: &settings,
        cancel: &cancel,
        datasets: &[],
    };
    // The image targets on the agent image: the recipe is theirs, the data image aside.
    let kinds = [
        TargetKind::Bind,
        TargetKind::Tmpfs,
        TargetKind::Layer,
        TargetKind::Image,
        TargetKind::VolumeFromImage,
    ];
    for kind in kinds {
        let spec = TargetSpec::new(kind);
        let mut host = ContainerHost::start(engine.clone(), spec, &config).unwrap();
        let id = host.container_id().unwrap().to_string();
        let layer = kind.store() == Store::Layer;
        Applied::of_container(engine, &id).assert_hardened(&format!("{spec}"), layer, true);
        Applied::of_exec(engine, &id).assert_hardened(&format!("{spec} exec"), layer, true);
        let inspect = engine
            .block_on(engine.docker.inspect_container(&id, None))
            .unwrap();
        let hc = inspect.host_config.unwrap();
        assert_eq!(hc.memory, Some(settings.container.memory.0 as i64));
        assert_eq!(hc.pids_limit, Some(settings.container.pids));
        let labels = inspect.config.unwrap().labels.unwrap();
        assert_eq!(
            labels.get("io.mountbench.run").map(String::as_str),
            Some(run_id)
        );
        let args = ["agent", "mountinfo", "--path", "/mb"].map(String::from);
        let out = host.exec(&args).unwrap();
        assert_eq!(
            out.exit_code,
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        host.teardown().unwrap();
    }
    // The opt-in that turns the engine's seccomp filter off, to attribute its per-syscall cost.
    let mut unconfined = TargetSettings::default();
    unconfined.container.seccomp = Seccomp::Unconfined;
    let config = ContainerConfig {
        settings: &unconfined,
        ..config
    };
    let spec = TargetSpec::new(TargetKind::Bind);
    let mut host = ContainerHost::start(engine.clone(), spec, &config).unwrap();
    let id = host.container_id().unwrap().to_string();
    Applied::of_exec(engine, &id).assert_hardened("seccomp=unconfined", false, false);
    host.teardown().unwrap();
}
