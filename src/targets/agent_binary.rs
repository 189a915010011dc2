//! The Linux agent binaries mountbench can pack into an agent image (`FROM scratch`): the
//! host's own, those given with `--agent-binary` / `MOUNTBENCH_AGENT_BINARY`, and those
//! `scripts/agent/cross.sh` leaves at `target/agent/<arch>/mountbench`; and which one an
//! engine gets. An engine none of them fits builds docker/agent.Dockerfile instead.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::engine::identity::EngineFacts;
use crate::error::Error;
use crate::targets::elf::{self, Arch, ElfError, Linkage};

/// The environment variable that names agent binaries (several separated like PATH).
pub(crate) const ENV: &str = "MOUNTBENCH_AGENT_BINARY";
/// The script that cross-builds a static agent, and where it leaves it under the target dir.
pub(crate) const CROSS_SCRIPT: &str = "scripts/agent/cross.sh";

/// Where an agent binary came from (the place an error about it names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    /// `<target dir>/agent/<arch>/mountbench`, written by the cross script.
    CrossBuilt,
}

impl Origin {
    fn place(self) -> &'static str {
        match self {
            Origin::Flag => "--agent-binary",
            Origin::Env => ENV,
            Origin::CrossBuilt => CROSS_SCRIPT,
        }
    }
}

/// A Linux agent binary whose ELF header was read and judged packable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentBinary {
    pub(crate) path: PathBuf,
    pub(crate) arch: Arch,
    pub(crate) linkage: Linkage,
    pub(crate) origin: Origin,
}

/// Why a given agent binary cannot be used. Each is the user's to fix (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum AgentBinaryError {
    #[error("{}: cannot read it: {source}", path.display())]
    Unreadable {
        origin: Origin,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    NotAgent {
        origin: Origin,
        path: PathBuf,
        source: ElfError,
    },
    #[error("{} is a dynamically linked {arch} binary: for an engine that is not this host's architecture the agent must be static (a foreign binary cannot run here to name its libraries); build one with {CROSS_SCRIPT} {arch}", path.display())]
    DynamicForeign {
        origin: Origin,
        path: PathBuf,
        arch: Arch,
    },
    #[error("{} is {arch}, not {folder} as its folder says", path.display())]
    WrongFolder {
        origin: Origin,
        path: PathBuf,
        arch: Arch,
        folder: Arch,
    },
    #[error("{} is {arch}, but no engine of this run is ({engines})", path.display())]
    NoEngine {
        origin: Origin,
        path: PathBuf,
        arch: Arch,
        engines: String,
    },
}

impl AgentBinaryError {
    fn origin(&self) -> Origin {
        match self {
            AgentBinaryError::Unreadable { origin, .. }
            | AgentBinaryError::NotAgent { origin, .. }
            | AgentBinaryError::DynamicForeign { origin, .. }
            | AgentBinaryError::WrongFolder { origin, .. }
            | AgentBinaryError::NoEngine { origin, .. } => *origin,
        }
    }
}

impl From<AgentBinaryError> for Error {
    fn from(e: AgentBinaryError) -> Self {
        Error::input(e.origin().place(), e.to_string())
    }
}

/// What an engine is, as far as choosing its agent goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineKind {
    pub(crate) linux: bool,
    pub(crate) arch: Option<Arch>,
    /// A Linux engine of the host's architecture with a Linux host: the host's binary runs.
    pub(crate) runs_host_binaries: bool,
}

impl EngineKind {
    pub fn of(facts: &EngineFacts) -> EngineKind {
        EngineKind {
            linux: facts.os_type == "linux",
            arch: Arch::parse(&facts.arch),
            runs_host_binaries: facts
                .runs_host_binaries(std::env::consts::OS, std::env::consts::ARCH),
        }
    }
}

/// The agent an engine gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentChoice {
    /// Pack this binary `FROM scratch` (the host's own, or one given or cross-built).
    Pack(PathBuf),
    /// No binary fits: build docker/agent.Dockerfile on the engine; `why` names the options.
    Build { why: String },
}

impl fmt::Display for AgentChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentChoice::Pack(path) => write!(f, "{} packed FROM scratch", path.display()),
            AgentChoice::Build { why } => {
                write!(f, "docker/agent.Dockerfile built on the engine ({why})")
            }
        }
    }
}

/// The agent binaries of a run or of `info`.
#[derive(Debug, Clone)]
pub struct AgentBinaries {
    host: PathBuf,
    /// In the order they were given: `--agent-binary`, then the environment variable.
    given: Vec<AgentBinary>,
    /// Those found where the cross script writes them.
    cross_built: Vec<AgentBinary>,
    /// That place (`<target dir>/agent`), for messages.
    cross_dir: Option<PathBuf>,
}

impl AgentBinaries {
    /// The host's binary alone (tests, and runs given nothing else).
    pub fn host_only(host: PathBuf) -> AgentBinaries {
        AgentBinaries {
            host,
            given: Vec::new(),
            cross_built: Vec::new(),
            cross_dir: None,
        }
    }

    /// The host's binary, those of `--agent-binary` and of the environment variable (each read
    /// and judged now: a bad one is an error before anything starts), and those the cross
    /// script left in `cross_dir/<arch>/mountbench`.
    pub fn load(
        host: PathBuf,
        flag: &[PathBuf],
        env: Option<&OsStr>,
        cross_dir: Option<PathBuf>,
    ) -> Result<AgentBinaries, AgentBinaryError> {
        let host_arch = Arch::parse(std::env::consts::ARCH);
        let from_env: Vec<PathBuf> = env
            .map(|v| std::env::split_paths(v).collect())
            .unwrap_or_default();
        let mut given = Vec::new();
        for (path, origin) in flag.iter().map(|p| (p, Origin::Flag)).chain(
            from_env
                .iter()
                .filter(|p| !p.as_os_str().is_empty())
                .map(|p| (p, Origin::Env)),
        ) {
            given.push(inspect(path, origin, host_arch)?);
        }
        let mut cross_built = Vec::new();
        for arch in Arch::ALL {
            let Some(path) = cross_dir
                .as_ref()
                .map(|d| d.join(arch.name()).join("mountbench"))
            else {
                continue;
            };
            if !path.exists() {
                continue;
            }
            let binary = inspect(&path, Origin::CrossBuilt, host_arch)?;
            if binary.arch != arch {
                return Err(AgentBinaryError::WrongFolder {
                    origin: Origin::CrossBuilt,
                    path,
                    arch: binary.arch,
                    folder: arch,
                });
            }
            cross_built.push(binary);
        }
        Ok(AgentBinaries {
            host,
            given,
            cross_built,
            cross_dir,
        })
    }

    /// For the mountbench binary at `host`: those given on the command line, those of
    /// MOUNTBENCH_AGENT_BINARY and those the cross script left beside its target folder.
    pub fn for_exe(host: PathBuf, flag: &[PathBuf]) -> Result<AgentBinaries, AgentBinaryError> {
        let env = std::env::var_os(ENV);
        let cross_dir = AgentBinaries::cross_dir_of(&host);
        AgentBinaries::load(host, flag, env.as_deref(), cross_dir)
    }

    /// Where the cross script writes for a mountbench binary at `exe`: `<target dir>/agent`
    /// (`target/release/mountbench` → `target/agent`).
    pub fn cross_dir_of(exe: &Path) -> Option<PathBuf> {
        Some(exe.parent()?.parent()?.join("agent"))
    }

    /// The host's own binary (the `native` target's agent).
    pub(crate) fn host(&self) -> &Path {
        &self.host
    }

    /// The binary an engine of this kind gets: one given for its architecture, else the host's
    /// when the engine runs it, else a cross-built one; none: the Dockerfile build.
    pub fn choose(&self, engine: EngineKind) -> AgentChoice {
        let fits = |b: &&AgentBinary| engine.linux && Some(b.arch) == engine.arch;
        if let Some(b) = self.given.iter().find(fits) {
            return AgentChoice::Pack(b.path.clone());
        }
        if engine.runs_host_binaries {
            return AgentChoice::Pack(self.host.clone());
        }
        if let Some(b) = self.cross_built.iter().find(fits) {
            return AgentChoice::Pack(b.path.clone());
        }
        AgentChoice::Build {
            why: self.missing(engine),
        }
    }

    fn missing(&self, engine: EngineKind) -> String {
        let arch = match (engine.linux, engine.arch) {
            (true, Some(arch)) => arch,
            _ => return "this engine is not a Linux engine of x86_64 or aarch64".to_string(),
        };
        let dir = self
            .cross_dir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|| "target/agent".to_string());
        format!(
            "no static Linux {arch} agent binary: give one with --agent-binary PATH (or {ENV}=PATH), or build one with `{CROSS_SCRIPT} {arch}` (it writes {dir}/{arch}/mountbench)"
        )
    }

    /// Every binary given by the user must fit at least one engine of the run (a run with no
    /// engine, native only, needs none of them).
    pub fn check_engines(&self, engines: &[(String, EngineKind)]) -> Result<(), AgentBinaryError> {
        if engines.is_empty() {
            return Ok(());
        }
        let archs = engines
            .iter()
            .filter(|(_, e)| e.linux)
            .filter_map(|(_, e)| e.arch);
        let archs: Vec<Arch> = archs.collect();
        match self.given.iter().find(|b| !archs.contains(&b.arch)) {
            None => Ok(()),
            Some(b) => Err(AgentBinaryError::NoEngine {
                origin: b.origin,
                path: b.path.clone(),
                arch: b.arch,
                engines: engine_list(engines),
            }),
        }
    }
}

fn engine_list(engines: &[(String, EngineKind)]) -> String {
    let one = |(name, e): &(String, EngineKind)| match (e.linux, e.arch) {
        (true, Some(arch)) => format!("{name}: linux/{arch}"),
        (true, None) => format!("{name}: linux, another CPU"),
        (false, _) => format!("{name}: not Linux"),
    };
    engines.iter().map(one).collect::<Vec<_>>().join(", ")
}

/// Reads `path` and judges it (see `judge`).
fn inspect(
    path: &Path,
    origin: Origin,
    host_arch: Option<Arch>,
) -> Result<AgentBinary, AgentBinaryError> {
    let bytes = std::fs::read(path).map_err(|source| AgentBinaryError::Unreadable {
        origin,
        path: path.to_path_buf(),
        source,
    })?;
    judge(path, origin, &bytes, host_arch)
}

/// A packable agent: a 64-bit little-endian Linux ELF of a known architecture, static unless
/// it is of the host's architecture (then its libraries are asked from it when packed).
fn judge(
    path: &Path,
    origin: Origin,
    bytes: &[u8],
    host_arch: Option<Arch>,
) -> Result<AgentBinary, AgentBinaryError> {
    let facts = elf::read(bytes).map_err(|source| AgentBinaryError::NotAgent {
        origin,
        path: path.to_path_buf(),
        source,
    })?;
    if facts.linkage != Linkage::Static && Some(facts.arch) != host_arch {
        return Err(AgentBinaryError::DynamicForeign {
            origin,
            path: path.to_path_buf(),
            arch: facts.arch,
        });
    }
    Ok(AgentBinary {
        path: path.to_path_buf(),
        arch: facts.arch,
        linkage: facts.linkage,
        origin,
    })
}

impl fmt::Display for AgentBinary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let linkage = match self.linkage {
            Linkage::Static => "static",
            Linkage::Dynamic { .. } => "dynamic",
        };
        write!(f, "{} ({}, {linkage})", self.path.display(), self.arch)
    }
}

#[cfg(test)]
#[path = "agent_binary_tests.rs"]
mod tests;
