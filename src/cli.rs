use std::path::PathBuf;

use clap::{Parser, Subcommand};
use mountbench::duration::HumanDuration;
use mountbench::engine::endpoint::EngineArg;
use mountbench::percent::Percent;
use mountbench::size::ByteSize;
use mountbench::targets::spec::{TargetKind, TargetSpec};

#[derive(Parser, Debug)]
#[command(
    name = "mountbench",
    version,
    about = "How fast is ML-style I/O inside Docker on bind mounts, named volumes and tmpfs, against the bare host?",
    after_help = "Examples:\n  mountbench run -w workloads/quick.toml --targets native,bind,volume,tmpfs --reps 5\n  mountbench report results/linux-box/20261123-101500-ab12 results/macbook/20261123-111500-cd34 --out compare\n  mountbench info -w workloads/quick.toml\n  mountbench clean\n  mountbench clean --datasets --older-than 30d"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a workload file over a matrix of targets and write a results folder.
    #[command(
        after_help = "Examples:\n  mountbench run -w workloads/quick.toml\n  mountbench run -w workloads/quick.toml --targets native,bind,volume,tmpfs --reps 5 --out /tmp/mb\n  mountbench run -w workloads/imagenet-like.toml --targets native,bind:ro --drop-caches\n  mountbench run --resume results/linux-box/20261123-101500-ab12"
    )]
    Run(Box<RunArgs>),
    /// Render charts and report.md from one or more result folders (many hosts merge).
    #[command(
        after_help = "Example:\n  mountbench report results/linux-box/RUN results/macbook/RUN --out compare"
    )]
    Report(ReportArgs),
    /// Print host, data dir and Docker engine facts (kind, flavour, storage driver, cgroup).
    #[command(
        after_help = "Examples:\n  mountbench info\n  mountbench info --engine here=unix:///var/run/docker.sock --engine vm=tcp://127.0.0.1:23750\n  mountbench info --engine mac=desktop-linux --json"
    )]
    Info(InfoArgs),
    /// Remove leftover containers, volumes and data images labelled io.mountbench.run (nothing unlabelled),
    /// or with --datasets the datasets in the data dir and the persistent dataset volumes.
    Clean(CleanArgs),
    /// The workload engine itself (run by mountbench natively and inside containers).
    #[command(hide = true)]
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("fleet").args(["swarm", "k8s_manifests"])))]
pub struct RunArgs {
    /// Workload file (TOML).
    #[arg(short, long, default_value = "workloads/quick.toml")]
    pub workload: PathBuf,
    #[arg(short, long, value_delimiter = ',', help = targets_help())]
    pub targets: Option<Vec<TargetSpec>>,
    /// Measured reps per cell (default: the file's, else 5).
    #[arg(short, long)]
    pub reps: Option<u32>,
    /// Warm-up reps per cell, discarded (default: the file's, else 1).
    #[arg(long)]
    pub warmup: Option<u32>,
    /// Seed for datasets and run order (default: the file's, else 42).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only these workloads of the file (by name), comma separated.
    #[arg(long, value_delimiter = ',')]
    pub only: Option<Vec<String>>,
    /// Run a miniature (e.g. 0.01) or an enlargement of every workload: counts of files,
    /// shards, reads and samples and checkpoint sizes times this; file and block sizes kept.
    #[arg(long)]
    pub scale: Option<f64>,
    /// An engine to run the container targets on, NAME=ENDPOINT (unix://, tcp://, ssh://) or
    /// NAME=CONTEXT (a Docker context); repeatable: every container target runs on each, native
    /// once on the host. Default: DOCKER_HOST, else the current Docker context, else the local
    /// socket (named `default`).
    #[arg(long = "engine", value_name = "NAME=ENDPOINT")]
    pub engines: Vec<EngineArg>,
    /// A Linux mountbench binary to pack as the agent for engines of its architecture (read
    /// from its ELF header; static unless it is this host's architecture); repeatable. Also
    /// MOUNTBENCH_AGENT_BINARY (several separated by ':'). Without one, an engine of another
    /// architecture gets target/agent/<arch>/mountbench (scripts/agent/cross.sh writes it),
    /// else docker/agent.Dockerfile is built on it.
    #[arg(long = "agent-binary", value_name = "PATH")]
    pub agent_binaries: Vec<PathBuf>,
    /// Keep adding rounds while any cell's ratio CI half-width exceeds this share of the
    /// ratio, e.g. 3% (default: the file's [run] target_ci, else a fixed rep count).
    #[arg(long, value_name = "PERCENT")]
    pub target_ci: Option<Percent>,
    /// Most measured reps per cell when --target-ci adds rounds (default: the file's, else
    /// 3 × reps).
    #[arg(long)]
    pub max_reps: Option<u32>,
    /// Results folder (default results/<host>/<run-id>); must be new or empty.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Where datasets live; the bind target mounts <data-dir>/host.
    #[arg(long, env = "MOUNTBENCH_DATA")]
    pub data_dir: Option<PathBuf>,
    /// Also drop the host page cache before cold reps (root: drop_caches on Linux, purge on macOS).
    #[arg(long)]
    pub drop_caches: bool,
    /// Space kept free on the filesystems datasets, checkpoints and backups land on (e.g.
    /// 20GiB, or 0); default: the file's [run] keep_free, else 5% of the filesystem and at
    /// least 1GiB. A run that would leave less is refused before it writes anything.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub keep_free: Option<ByteSize>,
    /// No progress output.
    #[arg(short, long)]
    pub quiet: bool,
    /// Finish an interrupted run in this results folder: its plan is read from its env.json,
    /// successful reps are kept, failed and missing ones are run.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["workload", "targets", "engines", "reps", "warmup", "seed", "only", "scale", "target_ci", "max_reps", "out", "drop_caches"])]
    pub resume: Option<PathBuf>,
    /// Run on every node of the Docker Swarm whose manager this is (an endpoint or a Docker
    /// context, as --engine takes): one global job of the agent image, each node's task
    /// running the whole matrix there; results/<node>/<run-id>/ per node (docs/fleet.md).
    /// --data-dir is then the data dir on every node (an absolute path that exists there).
    #[arg(long, value_name = "ENDPOINT", conflicts_with_all = ["engines", "resume", "drop_caches"])]
    pub swarm: Option<String>,
    /// Print the Kubernetes manifests of this fleet run (a DaemonSet; docs/fleet.md) as JSON
    /// instead of running anything; needs --agent-image. Untested against a cluster.
    #[arg(long, conflicts_with_all = ["swarm", "engines", "resume", "drop_caches"])]
    pub k8s_manifests: bool,
    /// With --swarm or --k8s-manifests: only the nodes with this label, LABEL=VALUE;
    /// repeatable (all must match).
    #[arg(long = "nodes", value_name = "LABEL=VALUE", requires = "fleet")]
    pub nodes: Vec<mountbench::fleet::nodes::NodeFilter>,
    /// With --swarm or --k8s-manifests: the agent image every node has or can pull (e.g. from
    /// a registry you name); with --swarm the default is the agent image packed on the
    /// manager, which the other nodes must have been given (docker save | docker load).
    #[arg(long, value_name = "IMAGE", requires = "fleet")]
    pub agent_image: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Result folders (each holds reps.csv, summary.csv, histograms.json, env.json).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write report.md and charts/.
    #[arg(short, long)]
    pub out: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    #[arg(long, env = "MOUNTBENCH_DATA")]
    pub data_dir: Option<PathBuf>,
    /// An engine to describe, NAME=ENDPOINT (unix://, tcp://, ssh://) or NAME=CONTEXT (a Docker
    /// context); repeatable. Default: DOCKER_HOST, else the current Docker context, else the
    /// local socket.
    #[arg(long = "engine", value_name = "NAME=ENDPOINT")]
    pub engines: Vec<EngineArg>,
    /// A Linux mountbench binary to pack as the agent for engines of its architecture (read
    /// from its ELF header; static unless it is this host's architecture); repeatable. Also
    /// MOUNTBENCH_AGENT_BINARY (several separated by ':'). Without one, an engine of another
    /// architecture gets target/agent/<arch>/mountbench (scripts/agent/cross.sh writes it),
    /// else docker/agent.Dockerfile is built on it.
    #[arg(long = "agent-binary", value_name = "PATH")]
    pub agent_binaries: Vec<PathBuf>,
    /// Also print the space this workload file needs where (its [run] targets).
    #[arg(short, long, value_name = "FILE")]
    pub workload: Option<PathBuf>,
    /// With --workload: the footprint at this --scale.
    #[arg(long, requires = "workload")]
    pub scale: Option<f64>,
    /// Print everything as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct CleanArgs {
    /// Only the objects of this run id.
    #[arg(long)]
    pub run: Option<String>,
    /// Also remove the cached agent images (labelled io.mountbench=agent).
    #[arg(long)]
    pub images: bool,
    /// Remove the datasets instead: those in the data dir (only mountbench's, checked
    /// against their manifests; those a run is using stay) and each engine's dataset
    /// volumes (those a container uses stay).
    #[arg(long, conflicts_with_all = ["run", "images"])]
    pub datasets: bool,
    /// With --datasets: only those not used for this long (e.g. 30d, 12h).
    #[arg(long, value_name = "DURATION", requires = "datasets", value_parser = parse_duration)]
    pub older_than: Option<HumanDuration>,
    #[arg(long, env = "MOUNTBENCH_DATA")]
    pub data_dir: Option<PathBuf>,
    /// Remove the fleet jobs (services labelled io.mountbench.run) of this swarm manager
    /// instead; their tasks' containers and volumes go with them on every node.
    #[arg(long, value_name = "ENDPOINT", conflicts_with_all = ["engines", "datasets", "images"])]
    pub swarm: Option<String>,
    /// Clean this engine, NAME=ENDPOINT or NAME=CONTEXT; repeatable. Default: DOCKER_HOST, else
    /// the current Docker context, else the local socket.
    #[arg(long = "engine", value_name = "NAME=ENDPOINT")]
    pub engines: Vec<EngineArg>,
}

#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// Measure one rep (JSON spec) and print its result as JSON.
    Run {
        #[arg(long)]
        spec: String,
    },
    /// Play one side of a driven rep (JSON spec; its role says which): orders on stdin,
    /// answers on stdout, one JSON object a line.
    Party {
        #[arg(long)]
        spec: String,
    },
    /// Run a fleet node's whole matrix inside its task (JSON task plan); the result files
    /// come back framed on stdout.
    FleetTask {
        #[arg(long)]
        spec: String,
    },
    /// Generate or reuse a dataset (JSON spec).
    Prepare {
        #[arg(long)]
        spec: String,
    },
    /// Print the mount holding PATH as JSON.
    Mountinfo {
        #[arg(long)]
        path: PathBuf,
    },
    /// Time a fixed CPU kernel (best of 3) and print it as JSON.
    Calibrate,
    /// Print the size and free space of the filesystem holding PATH as JSON.
    Statfs {
        #[arg(long)]
        path: PathBuf,
    },
    /// Print the shared libraries this binary loads, one a line.
    Libs,
    /// Print the checksum of a file (the shared-folder probe reads its marker with it).
    Checksum {
        #[arg(long)]
        path: PathBuf,
    },
    /// Sleep until killed (the long-lived container's main process).
    Idle,
}

/// `--targets`' help, naming every target kind.
fn targets_help() -> String {
    let names = TargetKind::names;
    format!(
        "Targets, comma separated: {} ({} with :ro for read-only). Default: the workload file's [run] targets",
        names(|_| true).join(", "),
        names(TargetKind::can_be_read_only).join("/")
    )
}

fn parse_size(text: &str) -> Result<ByteSize, String> {
    ByteSize::parse(text)
}

fn parse_duration(text: &str) -> Result<HumanDuration, String> {
    HumanDuration::parse(text)
}
