//! Environment facts recorded with every run: host, engine and the mounts the agent saw.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::agent::MountFacts;
use crate::engine::identity::kind::HostView;
use crate::engine::identity::EngineFacts;
use crate::measure::CpuFacts;
use crate::platform;
use crate::results::{READS, SCHEMA};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct HostFacts {
    pub hostname: String,
    pub os: String,
    pub kernel: String,
    pub arch: String,
    pub cpu_model: String,
    pub cores: usize,
    /// Performance and efficiency cores, where the CPU has both (Apple silicon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_cores: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency_cores: Option<usize>,
    pub memory_bytes: u64,
    pub data_dir: String,
    pub data_mount: Option<MountFacts>,
    /// Whether the data dir tells `Case` from `case` (APFS by default does not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_case_sensitive: Option<bool>,
}

impl HostFacts {
    pub fn collect(data_dir: &Path) -> Self {
        let uname = rustix::system::uname();
        let text = |s: &std::ffi::CStr| s.to_string_lossy().into_owned();
        let cpu = platform::cpu();
        let sysname = text(uname.sysname());
        let existing = crate::agent::nearest_existing(data_dir);
        HostFacts {
            hostname: text(uname.nodename()),
            os: match platform::os_release() {
                Some(pretty) => format!("{sysname} ({pretty})"),
                None => sysname,
            },
            kernel: text(uname.release()),
            arch: std::env::consts::ARCH.to_string(),
            cpu_model: cpu.model,
            cores: cpu.cores,
            performance_cores: cpu.performance_cores,
            efficiency_cores: cpu.efficiency_cores,
            memory_bytes: platform::memory_bytes(),
            data_dir: data_dir.display().to_string(),
            data_mount: MountFacts::of(data_dir).ok(),
            data_case_sensitive: platform::case_sensitive(&existing),
        }
    }
}

impl HostFacts {
    /// "Apple M3 Pro (12 cores: 6 performance, 6 efficiency)", or the model and cores.
    pub fn cpu_line(&self) -> String {
        let kinds = match (self.performance_cores, self.efficiency_cores) {
            (Some(p), Some(e)) => format!(": {p} performance, {e} efficiency"),
            _ => String::new(),
        };
        format!("{} ({} cores{kinds})", self.cpu_model, self.cores)
    }

    /// ", case-insensitive" where the data dir folds case (APFS's default), else nothing.
    pub fn case_note(&self) -> &'static str {
        match self.data_case_sensitive {
            Some(false) => ", case-insensitive",
            _ => "",
        }
    }

    /// The host as engine identification sees it, from what a run recorded.
    pub(crate) fn view(&self) -> HostView {
        let os = match self.os.split(' ').next().unwrap_or("") {
            "Linux" => "linux",
            "Darwin" => "macos",
            "Windows" | "Windows_NT" => "windows",
            other => other,
        };
        HostView {
            os: os.to_lowercase(),
            kernel: self.kernel.clone(),
        }
    }
}

/// The storage a target measured, as the agent saw it from inside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetFacts {
    /// The engine the target runs on, by name (empty for native and in schema 1).
    #[serde(default)]
    pub engine: String,
    pub target: String,
    pub root: String,
    pub mount: Option<MountFacts>,
    pub container: Option<String>,
    pub image: Option<String>,
    pub volume: Option<String>,
    /// The CPU kernel's time where this target's agent runs, against the host's.
    #[serde(default)]
    pub cpu: Option<CpuFacts>,
    /// The engine's copy of the data image into the target's fresh volume at its first use
    /// (`volume-from-image`).
    #[serde(default)]
    pub copy: Option<CopyFacts>,
}

impl TargetFacts {
    /// The target as names show it: `bind`, `bind@vm`.
    pub fn place(&self) -> String {
        crate::cell::place(&self.engine, &self.target)
    }
}

/// The copy-at-first-use of a `volume-from-image` target: its container created and
/// started on the fresh, empty volume (the engine copies the image's content into it),
/// against the best of a few identical containers whose volume is mounted `nocopy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyFacts {
    /// The copy's own time: `with_copy_seconds - baseline_seconds`, at least 0.
    pub seconds: f64,
    /// Bytes of the files copied (the datasets and their manifests).
    pub bytes: u64,
    pub files: u64,
    /// Create and start of the target's container, copy included.
    pub with_copy_seconds: f64,
    /// The fastest create and start of the same container without the copy.
    pub baseline_seconds: f64,
}

impl CopyFacts {
    pub fn mib_s(&self) -> Option<f64> {
        (self.seconds > 0.0).then(|| self.bytes as f64 / (1u64 << 20) as f64 / self.seconds)
    }

    /// "copied 34.0 MiB (40 files) into the volume at first use in 0.21 s (162 MiB/s)".
    pub fn describe(&self) -> String {
        let speed = self
            .mib_s()
            .map_or_else(String::new, |s| format!(" ({s:.0} MiB/s)"));
        format!(
            "the engine copied {:.1} MiB ({} files) from the image into the fresh volume at first use in {:.2} s{speed} (create+start {:.2} s with the copy, {:.2} s without)",
            self.bytes as f64 / (1u64 << 20) as f64,
            self.files,
            self.seconds,
            self.with_copy_seconds,
            self.baseline_seconds
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadFileFacts {
    pub path: String,
    pub hash: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Env {
    pub schema: u32,
    pub run_id: String,
    pub mountbench_version: String,
    pub started: String,
    pub finished: Option<String>,
    pub host: HostFacts,
    /// Every engine of the run by name (schema 2): endpoint, identity and its answers.
    #[serde(default)]
    pub engines: BTreeMap<String, EngineFacts>,
    /// Schema 1's one engine; moved into `engines` on load.
    #[serde(default, skip_serializing)]
    pub engine: Option<EngineFacts>,
    pub targets: Vec<TargetFacts>,
    pub workload_file: WorkloadFileFacts,
    pub reps: u32,
    pub warmup: u32,
    pub seed: u64,
    pub drop_caches: bool,
    /// Datasets prepared for this run, per target: generated (with speed) or reused.
    #[serde(default)]
    pub datasets: Vec<DatasetFacts>,
    /// The targets of the plan, as given (`--targets` or the file's), so `--resume` can
    /// rebuild the same plan.
    #[serde(default)]
    pub plan_targets: Vec<String>,
    /// The engines of the plan by name, in the order given, so `--resume` reconnects them.
    #[serde(default)]
    pub plan_engines: Vec<String>,
    /// `--only`, when given.
    #[serde(default)]
    pub only: Option<Vec<String>>,
    /// `--scale`, when given: the workloads above ran at this size.
    #[serde(default)]
    pub scale: Option<f64>,
    /// One line per `--resume` of this run: when, and what was left to do.
    #[serde(default)]
    pub resumed: Vec<String>,
    /// The CI goal: rounds were added while a ratio CI was wider than this share.
    #[serde(default)]
    pub target_ci: Option<crate::percent::Percent>,
    /// Most measured reps per cell (absent in runs without a CI goal written before it).
    #[serde(default)]
    pub max_reps: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetFacts {
    pub target: String,
    #[serde(flatten)]
    pub report: crate::workload::dataset::PrepareReport,
}

impl Env {
    /// Each engine's short label used in result rows by name: "native Linux 20.10.24",
    /// "Docker Desktop 27.3.1", "test VM 20.10.24".
    pub fn engine_labels(&self) -> BTreeMap<String, String> {
        self.engines
            .iter()
            .map(|(name, e)| (name.clone(), format!("{} {}", e.flavour, e.server_version)))
            .collect()
    }

    pub fn load(dir: &Path) -> crate::error::Result<Env> {
        let path = dir.join("env.json");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            crate::error::Error::input(
                dir.display().to_string(),
                format!("not a mountbench result folder (env.json: {e})"),
            )
        })?;
        let mut env: Env = serde_json::from_str(&text).map_err(|e| {
            crate::error::Error::input(
                path.display().to_string(),
                format!("not a mountbench env.json: {e}"),
            )
        })?;
        if !READS.contains(&env.schema) {
            return Err(crate::error::Error::input(
                path.display().to_string(),
                format!(
                    "schema {} (this mountbench reads schemas 1 and {SCHEMA})",
                    env.schema
                ),
            ));
        }
        env.upgrade();
        Ok(env)
    }

    /// Schema 1 to 2: its one engine, `default`, into `engines` and the plan; every engine
    /// given an identity (runs of mountbench 0.1 lack it).
    fn upgrade(&mut self) {
        if let Some(mut engine) = self.engine.take() {
            let name = crate::cell::DEFAULT_ENGINE.to_string();
            engine.name = name.clone();
            self.engines.insert(name.clone(), engine);
            if self.plan_engines.is_empty() {
                self.plan_engines.push(name);
            }
            for t in self.targets.iter_mut().filter(|t| t.target != "native") {
                t.engine = crate::cell::DEFAULT_ENGINE.to_string();
            }
        }
        let host = self.host.view();
        for engine in self.engines.values_mut() {
            engine.fill_identity(&host);
        }
        self.schema = SCHEMA;
    }
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_line_names_p_and_e_cores_and_a_case_folding_data_dir() {
        let mac = HostFacts {
            cpu_model: "Apple M3 Pro".into(),
            cores: 12,
            performance_cores: Some(6),
            efficiency_cores: Some(6),
            data_case_sensitive: Some(false),
            ..HostFacts::default()
        };
        assert_eq!(
            mac.cpu_line(),
            "Apple M3 Pro (12 cores: 6 performance, 6 efficiency)"
        );
        assert_eq!(mac.case_note(), ", case-insensitive");
        let linux = HostFacts {
            cpu_model: "AMD EPYC".into(),
            cores: 2,
            data_case_sensitive: Some(true),
            ..HostFacts::default()
        };
        assert_eq!(linux.cpu_line(), "AMD EPYC (2 cores)");
        assert_eq!(linux.case_note(), "");
        let json = serde_json::to_value(&linux).unwrap();
        assert!(
            json.get("performance_cores").is_none(),
            "absent, not null: {json}"
        );
    }
}
