//! Where engines listen on this machine when neither `DOCKER_HOST` nor a Docker context
//! names one: the sockets probed, in a stated order, and the first that exists chosen.
//!
//! Linux: Docker's `/var/run/docker.sock`, then Podman's service sockets (rootless, then
//! rootful), as bollard's Podman defaults probe them.
//!
//! macOS (each engine also makes a Docker context, which wins when it is the current one):
//! 1. Docker Desktop: `~/.docker/run/docker.sock` (since 4.13; docker/for-mac#6529)
//! 2. `/var/run/docker.sock`: a link Docker Desktop, OrbStack or podman-mac-helper may make
//! 3. OrbStack: `~/.orbstack/run/docker.sock`
//! 4. Colima's default profile: `~/.colima/default/docker.sock`, its XDG place
//!    `~/.config/colima/default/docker.sock`, and `~/.colima/docker.sock` (before 0.4)
//! 5. Rancher Desktop: `~/.rd/docker.sock`
//! 6. Lima: `~/.lima/<instance>/sock/docker.sock`, the docker template's forward
//! 7. podman machine: `$TMPDIR/podman/<machine>-api.sock` (Podman 5; `/tmp` without TMPDIR),
//!    then `~/.local/share/containers/podman/machine/<machine>/podman.sock` (Podman 4)
//!
//! The OS is a value (`std::env::consts::OS`), so the Mac order is tested on Linux too.

use std::path::{Path, PathBuf};

use super::endpoint::{Endpoint, DEFAULT_SOCKET};
use super::via::{MacEngine, Via};

/// A socket where an engine may listen, and how the engine is named when it is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) path: PathBuf,
    pub(crate) via: Via,
}

/// What the probe reads from the process: the OS and the folders the sockets live under.
#[derive(Debug, Clone, Default)]
pub(crate) struct Machine {
    /// `std::env::consts::OS`: "linux", "macos", …
    pub(crate) os: String,
    pub(crate) home: Option<PathBuf>,
    pub(crate) tmpdir: Option<PathBuf>,
    pub(crate) xdg_runtime_dir: Option<PathBuf>,
    pub(crate) uid: u32,
}

impl Machine {
    pub(crate) fn is_macos(&self) -> bool {
        self.os == "macos"
    }
}

/// The sockets of this machine, in the order they are probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LocalSockets {
    pub(crate) candidates: Vec<Candidate>,
}

impl Default for LocalSockets {
    /// Docker's socket alone.
    fn default() -> Self {
        LocalSockets {
            candidates: vec![Candidate {
                path: PathBuf::from(DEFAULT_SOCKET),
                via: Via::LocalSocket,
            }],
        }
    }
}

impl LocalSockets {
    /// The candidates of `machine`; `names(dir)` lists a folder's entries (the Lima
    /// instances, the podman machines).
    pub(crate) fn of(machine: &Machine, names: &dyn Fn(&Path) -> Vec<String>) -> LocalSockets {
        let candidates = match machine.is_macos() {
            true => mac(machine, names),
            false => linux(machine),
        };
        LocalSockets { candidates }
    }

    /// The process's machine and file system.
    pub(crate) fn of_process(machine: &Machine) -> LocalSockets {
        LocalSockets::of(machine, &list_dir)
    }

    /// The first candidate that `exists`; none existing, Docker's socket (where the docker
    /// CLI would look), named the local socket.
    pub(crate) fn choose(&self, exists: &dyn Fn(&Path) -> bool) -> (Endpoint, Via) {
        match self.candidates.iter().find(|c| exists(&c.path)) {
            Some(c) => (Endpoint::Unix(c.path.clone()), c.via.clone()),
            None => (Endpoint::local_socket(), Via::LocalSocket),
        }
    }

    /// The same on the real file system.
    pub(crate) fn present(&self) -> (Endpoint, Via) {
        self.choose(&|path| path.exists())
    }
}

fn linux(machine: &Machine) -> Vec<Candidate> {
    let docker = Candidate {
        path: PathBuf::from(DEFAULT_SOCKET),
        via: Via::LocalSocket,
    };
    let rootless = [
        machine.xdg_runtime_dir.clone(),
        Some(PathBuf::from(format!("/run/user/{}", machine.uid))),
    ];
    let mut podman: Vec<PathBuf> = rootless
        .into_iter()
        .flatten()
        .map(|dir| dir.join("podman/podman.sock"))
        .collect();
    podman.push(PathBuf::from("/run/podman/podman.sock"));
    podman.dedup();
    let podman = podman.into_iter().map(|path| Candidate {
        path,
        via: Via::PodmanSocket,
    });
    std::iter::once(docker).chain(podman).collect()
}

fn mac(machine: &Machine, names: &dyn Fn(&Path) -> Vec<String>) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut add = |path: PathBuf, via: Via| out.push(Candidate { path, via });
    let engine = Via::MacEngine;
    let Some(home) = &machine.home else {
        add(PathBuf::from(DEFAULT_SOCKET), Via::LocalSocket);
        return out;
    };
    add(
        home.join(".docker/run/docker.sock"),
        engine(MacEngine::DockerDesktop),
    );
    add(PathBuf::from(DEFAULT_SOCKET), Via::LocalSocket);
    add(
        home.join(".orbstack/run/docker.sock"),
        engine(MacEngine::OrbStack),
    );
    for colima in [
        ".colima/default/docker.sock",
        ".config/colima/default/docker.sock",
        ".colima/docker.sock",
    ] {
        add(home.join(colima), engine(MacEngine::Colima));
    }
    add(
        home.join(".rd/docker.sock"),
        engine(MacEngine::RancherDesktop),
    );
    let lima = home.join(".lima");
    for instance in names(&lima).into_iter().filter(|n| !n.starts_with('_')) {
        let path = lima.join(instance).join("sock/docker.sock");
        add(path, engine(MacEngine::Lima));
    }
    let tmp = machine.tmpdir.clone().unwrap_or_else(|| "/tmp".into());
    let podman5 = tmp.join("podman");
    for socket in names(&podman5)
        .into_iter()
        .filter(|n| n.ends_with("-api.sock"))
    {
        add(podman5.join(socket), engine(MacEngine::PodmanMachine));
    }
    let podman4 = home.join(".local/share/containers/podman/machine");
    for machine in names(&podman4) {
        let path = podman4.join(machine).join("podman.sock");
        add(path, engine(MacEngine::PodmanMachine));
    }
    out
}

/// A folder's entry names, sorted; none when it cannot be read.
fn list_dir(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const HOME: &str = "/Users/me";
    const TMP: &str = "/var/folders/x1/T";

    fn mac_machine() -> Machine {
        Machine {
            os: "macos".into(),
            home: Some(HOME.into()),
            tmpdir: Some(TMP.into()),
            xdg_runtime_dir: None,
            uid: 501,
        }
    }

    /// A file system holding `files`: what exists, and each folder's entries.
    fn fake(files: &[&str]) -> (impl Fn(&Path) -> bool, impl Fn(&Path) -> Vec<String>) {
        let set: BTreeSet<PathBuf> = files.iter().map(PathBuf::from).collect();
        let exists = {
            let set = set.clone();
            move |p: &Path| set.contains(p)
        };
        let names = move |dir: &Path| {
            let mut names: Vec<String> = set
                .iter()
                .filter_map(|f| f.strip_prefix(dir).ok())
                .filter_map(|rest| rest.iter().next())
                .map(|n| n.to_string_lossy().into_owned())
                .collect();
            names.dedup();
            names
        };
        (exists, names)
    }

    fn chosen(machine: &Machine, files: &[&str]) -> (String, Via) {
        let (exists, names) = fake(files);
        let (endpoint, via) = LocalSockets::of(machine, &names).choose(&exists);
        (endpoint.to_string(), via)
    }

    #[test]
    fn each_mac_engine_is_found_by_its_socket() {
        use MacEngine::*;
        let mac = Via::MacEngine;
        // (flavour's socket present, endpoint chosen, via)
        #[rustfmt::skip]
        let cases: [(&[&str], &str, Via); 12] = [
            (&[], "unix:///var/run/docker.sock", Via::LocalSocket),
            (&["/Users/me/.docker/run/docker.sock"], "unix:///Users/me/.docker/run/docker.sock", mac(DockerDesktop)),
            (&["/var/run/docker.sock"], "unix:///var/run/docker.sock", Via::LocalSocket),
            (&["/Users/me/.orbstack/run/docker.sock"], "unix:///Users/me/.orbstack/run/docker.sock", mac(OrbStack)),
            (&["/Users/me/.colima/default/docker.sock"], "unix:///Users/me/.colima/default/docker.sock", mac(Colima)),
            (&["/Users/me/.config/colima/default/docker.sock"], "unix:///Users/me/.config/colima/default/docker.sock", mac(Colima)),
            (&["/Users/me/.colima/docker.sock"], "unix:///Users/me/.colima/docker.sock", mac(Colima)),
            (&["/Users/me/.rd/docker.sock"], "unix:///Users/me/.rd/docker.sock", mac(RancherDesktop)),
            (&["/Users/me/.lima/_config/user", "/Users/me/.lima/docker/sock/docker.sock"], "unix:///Users/me/.lima/docker/sock/docker.sock", mac(Lima)),
            (&["/var/folders/x1/T/podman/podman-machine-default-api.sock", "/var/folders/x1/T/podman/podman-machine-default.sock"], "unix:///var/folders/x1/T/podman/podman-machine-default-api.sock", mac(PodmanMachine)),
            (&["/Users/me/.local/share/containers/podman/machine/podman-machine-default/podman.sock"], "unix:///Users/me/.local/share/containers/podman/machine/podman-machine-default/podman.sock", mac(PodmanMachine)),
            // Several: the stated order decides (Docker Desktop before OrbStack before Colima).
            (&["/Users/me/.colima/default/docker.sock", "/Users/me/.orbstack/run/docker.sock", "/Users/me/.docker/run/docker.sock"], "unix:///Users/me/.docker/run/docker.sock", mac(DockerDesktop)),
        ];
        for (files, endpoint, via) in cases {
            assert_eq!(
                chosen(&mac_machine(), files),
                (endpoint.to_string(), via),
                "{files:?}"
            );
        }
    }

    #[test]
    fn the_mac_order_is_stated_and_lists_what_is_there() {
        let (_, names) = fake(&[
            "/Users/me/.lima/default/lima.yaml",
            "/Users/me/.lima/docker/sock/docker.sock",
            "/var/folders/x1/T/podman/podman-machine-default-api.sock",
        ]);
        let sockets = LocalSockets::of(&mac_machine(), &names);
        let paths: Vec<String> = sockets
            .candidates
            .iter()
            .map(|c| c.path.display().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "/Users/me/.docker/run/docker.sock",
                "/var/run/docker.sock",
                "/Users/me/.orbstack/run/docker.sock",
                "/Users/me/.colima/default/docker.sock",
                "/Users/me/.config/colima/default/docker.sock",
                "/Users/me/.colima/docker.sock",
                "/Users/me/.rd/docker.sock",
                "/Users/me/.lima/default/sock/docker.sock",
                "/Users/me/.lima/docker/sock/docker.sock",
                "/var/folders/x1/T/podman/podman-machine-default-api.sock",
            ]
        );
        let no_tmpdir = Machine {
            tmpdir: None,
            ..mac_machine()
        };
        let (exists, names) = fake(&["/tmp/podman/dev-api.sock"]);
        let got = LocalSockets::of(&no_tmpdir, &names).choose(&exists);
        assert_eq!(got.0.to_string(), "unix:///tmp/podman/dev-api.sock");
    }

    #[test]
    fn linux_probes_docker_then_podman_and_no_mac_socket() {
        let linux = Machine {
            os: "linux".into(),
            home: Some("/home/me".into()),
            tmpdir: None,
            xdg_runtime_dir: Some("/run/user/1000".into()),
            uid: 1000,
        };
        // (present, endpoint chosen, via)
        #[rustfmt::skip]
        let cases: [(&[&str], &str, Via); 4] = [
            (&[], "unix:///var/run/docker.sock", Via::LocalSocket),
            (&["/run/podman/podman.sock"], "unix:///run/podman/podman.sock", Via::PodmanSocket),
            (&["/run/user/1000/podman/podman.sock", "/run/podman/podman.sock"], "unix:///run/user/1000/podman/podman.sock", Via::PodmanSocket),
            (&["/home/me/.docker/run/docker.sock", "/home/me/.orbstack/run/docker.sock"], "unix:///var/run/docker.sock", Via::LocalSocket),
        ];
        for (files, endpoint, via) in cases {
            assert_eq!(
                chosen(&linux, files),
                (endpoint.to_string(), via),
                "{files:?}"
            );
        }
        let sockets = LocalSockets::of(&linux, &|_| Vec::new());
        assert_eq!(sockets.candidates.len(), 3, "{sockets:?}");
    }
}
