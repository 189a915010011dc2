//! The agent: one rep of a workload, specified in JSON, measured in this process and reported
//! as JSON on stdout. Native runs it as a child process, containers through `exec`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::measure::{Op, OpHistograms};
use crate::workload::cache;
use crate::workload::checkpoint::{self, CheckpointSpec};
use crate::workload::dataset::{Dataset, DatasetSpec, PrepareReport};
use crate::workload::random_read::{self, RandomReadConfig};
use crate::workload::train_epoch::{self, EpochConfig};
use crate::workload::{
    backup_restore, metadata, seq_read, shared_volume, small_files, Params, Phase, Timed, Workload,
};

/// Files whose residency is checked with mincore before a rep; beyond this an evenly spaced
/// sample is checked.
const RESIDENCY_SAMPLE: usize = 4096;

/// One rep to measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepSpec {
    pub workload: Workload,
    pub phase: Phase,
    /// The storage under test: a host folder (native) or the mount point in the container.
    pub root: PathBuf,
    /// Folder under `root/scratch/` for written files, unique per run and target.
    pub scratch: String,
    /// Sequence number of this rep in the run (warm-ups included); seeds the shuffle.
    pub seq: u64,
    /// The host folder for backup archives, as this agent sees it.
    #[serde(default)]
    pub backup: PathBuf,
    /// The part this agent plays in a two-party workload.
    #[serde(default)]
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    #[default]
    Solo,
    Writer,
    Reader,
}

/// One figure of a rep: bytes and ops done in `seconds` of wall time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    pub bytes: u64,
    pub ops: u64,
    pub seconds: f64,
    /// The op type whose percentiles stand for this metric in tables.
    pub op: Op,
    /// Accelerator utilisation (train-epoch): compute time over the steps' wall time.
    #[serde(default)]
    pub au: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepResult {
    pub metrics: Vec<Metric>,
    pub histograms: BTreeMap<Op, String>,
    /// Fraction of the data's pages in the page cache right before the timed section.
    pub residency: Option<f64>,
    /// Seconds the agent process spent in total, to separate exec overhead from I/O.
    pub agent_seconds: f64,
}

/// Prepare (generate or reuse) a dataset under `root`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrepareSpec {
    pub dataset: DatasetSpec,
    pub root: PathBuf,
    pub threads: usize,
}

pub fn prepare(spec: &PrepareSpec) -> Result<PrepareReport> {
    let report = Dataset::prepare(&spec.root, &spec.dataset, spec.threads)?;
    settle_cache(&Dataset::open(&spec.root, &spec.dataset)?)?;
    Ok(report)
}

/// Give every target's warm reps a page cache filled the same way: evicted, then read back
/// front to back. Warm reads of a dataset just written, one cached since long ago and one
/// just read back differ by up to 20% here (the folios and physical pages the cache holds),
/// which would otherwise show up as a difference between targets. A dataset larger than
/// half the memory is left alone: its warm reps cannot be warm anyway.
fn settle_cache(dataset: &Dataset) -> Result<()> {
    let memory = rustix::system::sysinfo();
    let ram = memory.totalram as u64 * memory.mem_unit as u64;
    if dataset.total_bytes() > ram / 2 {
        return Ok(());
    }
    set_phase(dataset, Phase::Cold)?;
    set_phase(dataset, Phase::Warm)?;
    Ok(())
}

pub fn run_rep(spec: &RepSpec, started: Instant) -> Result<RepResult> {
    let w = &spec.workload;
    let threads = w.threads as usize;
    crate::measure::calibrate_clock();
    // The rep before (a checkpoint, a metadata storm) may have left dirty pages and queued
    // discards; flushing them now keeps its writeback out of this rep's timed section.
    rustix::fs::sync();
    // Kinds that read a generated dataset find it and set its cache phase first.
    let prepared = match DatasetSpec::of(w) {
        Some(ds) => {
            let dataset = Dataset::open(&spec.root, &ds)?;
            let residency = set_phase(&dataset, spec.phase)?;
            Some((dataset, residency))
        }
        None => None,
    };
    let (metrics, histograms, own_residency) = match &w.params {
        Params::SeqRead { block_size, .. } => {
            let dataset = dataset(&prepared)?;
            let t = passes(spec, |_| {
                seq_read::run(dataset, threads, block_size.0 as usize, w.direct)
            })?;
            (vec![metric("read", &t, Op::Read)], t.histograms, None)
        }
        Params::SmallFiles {
            block_size,
            stat,
            breakdown_every,
            ..
        } => {
            let dataset = dataset(&prepared)?;
            let t = passes(spec, |pass| {
                small_files::run(
                    dataset,
                    small_files::Scan {
                        threads,
                        block: block_size.0 as usize,
                        stat: *stat,
                        direct: w.direct,
                        breakdown_every: *breakdown_every,
                        shuffle_seed: shuffle_seed(spec).wrapping_add(pass),
                    },
                )
            })?;
            (vec![metric("scan", &t, Op::File)], t.histograms, None)
        }
        Params::Checkpoint {
            size,
            chunk_size,
            fsync,
            keep,
            verify,
        } => {
            let dir = scratch_dir(spec);
            let out = checkpoint::run(&CheckpointSpec {
                dir: &dir,
                size: size.0,
                chunk: chunk_size.0 as usize,
                fsync: *fsync,
                keep: *keep as usize,
                verify: *verify,
                direct: w.direct,
                phase: spec.phase,
                seed: w.seed,
                seq: spec.seq,
            })?;
            let save = Metric::of("save", out.bytes, out.chunks, out.save_seconds, Op::Write);
            let file = Metric::of(
                w.params.metrics()[1],
                out.bytes,
                out.chunks,
                out.file_seconds,
                Op::Write,
            );
            let restore = Metric::of(
                "restore",
                out.bytes,
                out.restore_reads,
                out.restore_seconds,
                Op::Restore,
            );
            (vec![save, file, restore], out.histograms, out.residency)
        }
        Params::TrainEpoch {
            block_size,
            batch_size,
            prefetch,
            compute_time,
            ..
        } => {
            let dataset = dataset(&prepared)?;
            let epoch = train_epoch::run(
                dataset,
                &EpochConfig {
                    readers: threads,
                    block: block_size.0 as usize,
                    batch_size: *batch_size as usize,
                    prefetch: *prefetch as usize,
                    compute: compute_time.0,
                    direct: w.direct,
                    shuffle_seed: shuffle_seed(spec),
                },
            )?;
            let metric = Metric {
                au: Some(epoch.clock.au()),
                ..Metric::of("epoch", epoch.bytes, epoch.samples, epoch.seconds, Op::Wait)
            };
            (vec![metric], epoch.histograms, None)
        }
        Params::RandomRead {
            record_size,
            record_size_max,
            reads,
            ..
        } => {
            let dataset = dataset(&prepared)?;
            let t = passes(spec, |pass| {
                random_read::run(
                    dataset,
                    &RandomReadConfig {
                        threads,
                        record_min: record_size.0,
                        record_max: record_size_max.0,
                        reads: *reads as u64,
                        direct: w.direct,
                        seed: shuffle_seed(spec).wrapping_add(pass),
                    },
                )
            })?;
            (vec![metric("read", &t, Op::Read)], t.histograms, None)
        }
        Params::Metadata {
            dirs,
            files_per_dir,
        } => {
            let dir = scratch_dir(spec).join(spec.seq.to_string());
            let s = metadata::run(&dir, *dirs as usize, *files_per_dir as usize, threads)?;
            let mut histograms = OpHistograms::default();
            for t in [&s.create, &s.stat, &s.rename, &s.unlink] {
                histograms.merge(&t.histograms);
            }
            let metrics = vec![
                metric("create", &s.create, Op::Create),
                metric("stat", &s.stat, Op::Stat),
                metric("rename", &s.rename, Op::Rename),
                metric("unlink", &s.unlink, Op::Unlink),
            ];
            (metrics, histograms, None)
        }
        Params::BackupRestore { fsync, .. } => {
            let dataset = dataset(&prepared)?;
            let archive = spec
                .backup
                .join(&spec.scratch)
                .join(format!("{}-{}.tar", w.name, spec.seq));
            let restore = scratch_dir(spec).join(format!("restore-{}", spec.seq));
            let trip = backup_restore::run(dataset, &archive, &restore, *fsync)?;
            let metrics = vec![
                Metric::of(
                    "backup",
                    trip.bytes,
                    trip.files,
                    trip.backup_seconds,
                    Op::Archive,
                ),
                Metric::of(
                    "extract",
                    trip.bytes,
                    trip.files,
                    trip.extract_seconds,
                    Op::Extract,
                ),
            ];
            (metrics, trip.histograms, None)
        }
        Params::SharedVolume {
            samples,
            sample_size,
            fsync,
        } => {
            let dir = scratch_dir(spec).join(spec.seq.to_string());
            match spec.role {
                Role::Writer => {
                    let p = shared_volume::write(&dir, *samples, sample_size.0, *fsync)?;
                    let m = Metric::of("publish", p.bytes, p.samples, p.seconds, Op::Write);
                    (vec![m], OpHistograms::default(), None)
                }
                Role::Reader | Role::Solo => {
                    let seen = shared_volume::read(&dir, *samples, sample_size.0)?;
                    std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                    let m = Metric::of(
                        "visible",
                        seen.bytes,
                        seen.samples,
                        seen.seconds,
                        Op::Visible,
                    );
                    (vec![m], seen.histograms, None)
                }
            }
        }
    };
    Ok(RepResult {
        metrics,
        histograms: histograms.encode(),
        residency: own_residency.or(prepared.map(|(_, r)| r)),
        agent_seconds: started.elapsed().as_secs_f64(),
    })
}

impl Metric {
    pub fn of(name: &str, bytes: u64, ops: u64, seconds: f64, op: Op) -> Metric {
        Metric {
            name: name.into(),
            bytes,
            ops,
            seconds,
            op,
            au: None,
        }
    }
}

fn metric(name: &str, t: &Timed, op: Op) -> Metric {
    Metric::of(name, t.bytes, t.ops, t.seconds, op)
}

/// Make the rep's passes over the data (`Workload::passes`), summed.
fn passes(spec: &RepSpec, mut pass: impl FnMut(u64) -> Result<Timed>) -> Result<Timed> {
    let mut total = pass(0)?;
    for n in 1..spec.workload.passes(spec.phase) as u64 {
        total.absorb(pass(n)?);
    }
    Ok(total)
}

/// A different order every rep, the same on every host and target.
fn shuffle_seed(spec: &RepSpec) -> u64 {
    spec.workload.seed ^ spec.seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// This workload's folder for written files on the target.
fn scratch_dir(spec: &RepSpec) -> PathBuf {
    spec.root
        .join("scratch")
        .join(&spec.scratch)
        .join(&spec.workload.name)
}

fn dataset(prepared: &Option<(Dataset, f64)>) -> Result<&Dataset> {
    prepared
        .as_ref()
        .map(|(d, _)| d)
        .ok_or_else(|| Error::Agent("this workload kind has no dataset".into()))
}

/// Evict (cold) or read once (warm), then measure what fraction is cached.
pub fn set_phase(dataset: &Dataset, phase: Phase) -> Result<f64> {
    let mut buf = cache::AlignedBuffer::new(1 << 20);
    for i in 0..dataset.sizes.len() {
        let path = dataset.path(i);
        let done = match phase {
            Phase::Cold => cache::evict(&path),
            Phase::Warm => cache::warm(&path, &mut buf).map(|_| ()),
        };
        done.map_err(|e| Error::io(&path, e))?;
    }
    residency(dataset)
}

pub fn residency(dataset: &Dataset) -> Result<f64> {
    let n = dataset.sizes.len();
    let step = n.div_ceil(RESIDENCY_SAMPLE).max(1);
    let (mut resident, mut total) = (0u64, 0u64);
    for i in (0..n).step_by(step) {
        let path = dataset.path(i);
        let (r, t) = cache::residency(&path).map_err(|e| Error::io(&path, e))?;
        resident += r;
        total += t;
    }
    Ok(if total == 0 {
        0.0
    } else {
        resident as f64 / total as f64
    })
}

/// The mount holding `path`, from /proc/self/mountinfo: what the agent sees inside.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MountFacts {
    pub mount_point: String,
    pub fs_type: String,
    pub source: String,
    pub options: String,
}

impl MountFacts {
    /// Parse mountinfo text and pick the longest mount point that contains `path`.
    pub fn from_mountinfo(text: &str, path: &Path) -> Option<MountFacts> {
        let path = path.to_string_lossy();
        text.lines()
            .filter_map(parse_mountinfo_line)
            .filter(|m| {
                let mp = m.mount_point.trim_end_matches('/');
                path == m.mount_point || path.starts_with(&format!("{mp}/")) || m.mount_point == "/"
            })
            .max_by_key(|m| m.mount_point.len())
    }

    pub fn of(path: &Path) -> Result<MountFacts> {
        let text = std::fs::read_to_string("/proc/self/mountinfo")
            .map_err(|e| Error::io("/proc/self/mountinfo", e))?;
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        MountFacts::from_mountinfo(&text, &canonical)
            .ok_or_else(|| Error::Agent(format!("no mount holds {}", path.display())))
    }
}

/// `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`
fn parse_mountinfo_line(line: &str) -> Option<MountFacts> {
    let (left, right) = line.split_once(" - ")?;
    let left: Vec<&str> = left.split(' ').collect();
    let mut right = right.split(' ');
    let unescape = |s: &str| {
        s.replace("\\040", " ")
            .replace("\\011", "\t")
            .replace("\\134", "\\")
    };
    let mount_options = *left.get(5)?;
    let fs_type = right.next()?;
    let source = right.next()?;
    let super_options = right.next().unwrap_or("");
    Some(MountFacts {
        mount_point: unescape(left.get(4)?),
        fs_type: fs_type.to_string(),
        source: unescape(source),
        options: format!("{mount_options} {super_options}")
            .trim()
            .to_string(),
    })
}

/// Shared objects this process has mapped: what a `FROM scratch` image must carry besides the
/// binary itself.
pub fn loaded_libraries() -> Result<Vec<PathBuf>> {
    let maps =
        std::fs::read_to_string("/proc/self/maps").map_err(|e| Error::io("/proc/self/maps", e))?;
    let mut libs: Vec<PathBuf> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.starts_with('/') && p.contains(".so"))
        .map(PathBuf::from)
        .collect();
    libs.sort();
    libs.dedup();
    Ok(libs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
1 0 0:1 / / rw,relatime - overlay overlay rw,lowerdir=/x,upperdir=/y
2 1 0:2 / /mb rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,size=1048576k,mode=1777
3 1 254:1 /var/lib/docker/volumes/v/_data /mbx rw,relatime - ext4 /dev/vda rw
4 1 0:3 / /my\\040dir rw - virtiofs mount0 rw
";

    #[test]
    fn picks_the_longest_containing_mount() {
        let cases = [
            ("/mb/datasets/x", "tmpfs", "/mb"),
            ("/mb", "tmpfs", "/mb"),
            ("/mbx/y", "ext4", "/mbx"),
            ("/other", "overlay", "/"),
            ("/my dir/f", "virtiofs", "/my dir"),
        ];
        for (path, fs, mp) in cases {
            let m = MountFacts::from_mountinfo(MOUNTINFO, Path::new(path)).unwrap();
            assert_eq!(
                (m.fs_type.as_str(), m.mount_point.as_str()),
                (fs, mp),
                "{path}"
            );
        }
        let tmpfs = MountFacts::from_mountinfo(MOUNTINFO, Path::new("/mb")).unwrap();
        assert!(tmpfs.options.contains("size=1048576k"));
    }

    #[test]
    fn a_checkpoint_names_its_file_metric_by_whether_it_fsyncs() {
        let cases = [("true", "write-fsync"), ("false", "write")];
        for (fsync, want) in cases {
            let text = format!(
                "[[workload]]\nkind = \"checkpoint\"\nsize = \"2MiB\"\nchunk_size = \"1MiB\"\nfsync = {fsync}\n"
            );
            let file = crate::plan::WorkloadFile::parse(Path::new("t.toml"), &text).unwrap();
            let root = tempfile::tempdir().unwrap();
            let spec = RepSpec {
                workload: file.workloads[0].clone(),
                phase: Phase::Warm,
                root: root.path().to_path_buf(),
                scratch: "t".into(),
                seq: 0,
                backup: PathBuf::new(),
                role: Role::Solo,
            };
            let result = run_rep(&spec, Instant::now()).unwrap();
            let names: Vec<&str> = result.metrics.iter().map(|m| m.name.as_str()).collect();
            assert_eq!(names, ["save", want, "restore"], "fsync = {fsync}");
            let (save, file) = (&result.metrics[0], &result.metrics[1]);
            assert!(file.seconds > 0.0 && file.seconds <= save.seconds);
        }
    }
}
