//! Workload files: TOML parsed with serde, then validated into typed workloads.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::duration::HumanDuration;
use crate::error::{one_line, Error, Result};
use crate::size::ByteSize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Cold,
    Warm,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Cold => "cold",
            Phase::Warm => "warm",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Phase {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cold" => Ok(Phase::Cold),
            "warm" => Ok(Phase::Warm),
            _ => Err(format!("unknown phase \"{s}\" (expected cold or warm)")),
        }
    }
}

/// The I/O pattern of a workload and its parameters, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Params {
    SeqRead {
        shards: u32,
        shard_size: ByteSize,
        block_size: ByteSize,
    },
    SmallFiles {
        dirs: u32,
        files_per_dir: u32,
        median_size: ByteSize,
        sigma: f64,
        block_size: ByteSize,
        stat: bool,
        /// Time stat/open/read/close on every n-th file; every file's total is timed.
        breakdown_every: u32,
    },
    Checkpoint {
        size: ByteSize,
        chunk_size: ByteSize,
        fsync: bool,
        keep: u32,
        verify: bool,
    },
    /// A training epoch over a small-files dataset: reader threads fill a prefetch queue of
    /// batches, the trainer takes one per step and "computes" for `compute_time`.
    TrainEpoch {
        dirs: u32,
        files_per_dir: u32,
        median_size: ByteSize,
        sigma: f64,
        block_size: ByteSize,
        batch_size: u32,
        prefetch: u32,
        compute_time: HumanDuration,
    },
    /// Random records (`record_size` up to `record_size_max`) read inside large shards.
    RandomRead {
        shards: u32,
        shard_size: ByteSize,
        record_size: ByteSize,
        record_size_max: ByteSize,
        reads: u32,
    },
    /// Create, stat, rename and unlink storms of empty files across many directories.
    Metadata { dirs: u32, files_per_dir: u32 },
    /// A dataset archived (tar) to a host folder and extracted again onto the target.
    BackupRestore {
        dirs: u32,
        files_per_dir: u32,
        median_size: ByteSize,
        sigma: f64,
        fsync: bool,
    },
    /// One container writes samples into the storage while a second one reads them.
    SharedVolume {
        samples: u32,
        sample_size: ByteSize,
        fsync: bool,
    },
}

impl Params {
    pub fn kind(&self) -> &'static str {
        match self {
            Params::SeqRead { .. } => "seq-read",
            Params::SmallFiles { .. } => "small-files",
            Params::Checkpoint { .. } => "checkpoint",
            Params::TrainEpoch { .. } => "train-epoch",
            Params::RandomRead { .. } => "random-read",
            Params::Metadata { .. } => "metadata",
            Params::BackupRestore { .. } => "backup-restore",
            Params::SharedVolume { .. } => "shared-volume",
        }
    }

    /// Whether the workload needs a second agent on the same storage.
    pub fn needs_peer(&self) -> bool {
        matches!(self, Params::SharedVolume { .. })
    }

    /// Whether the workload reads a pre-generated dataset (and so can run on a `:ro` target).
    pub fn reads_dataset(&self) -> bool {
        matches!(
            self,
            Params::SeqRead { .. }
                | Params::SmallFiles { .. }
                | Params::TrainEpoch { .. }
                | Params::RandomRead { .. }
        )
    }

    /// Bytes a target must hold for this workload: the dataset, or `keep + 1` checkpoints.
    pub fn footprint(&self) -> u64 {
        match self {
            Params::SeqRead {
                shards, shard_size, ..
            } => *shards as u64 * shard_size.0,
            Params::SmallFiles { .. } | Params::TrainEpoch { .. } => self.dataset_footprint(),
            Params::Checkpoint { size, keep, .. } => (*keep as u64 + 1) * size.0,
            Params::RandomRead {
                shards, shard_size, ..
            } => *shards as u64 * shard_size.0,
            // An inode and a directory entry each; tmpfs charges about a page per file.
            Params::Metadata {
                dirs,
                files_per_dir,
            } => *dirs as u64 * *files_per_dir as u64 * 4096,
            // The dataset and its extracted copy (the archive goes to a host folder).
            Params::BackupRestore { .. } => 2 * self.dataset_footprint(),
            Params::SharedVolume {
                samples,
                sample_size,
                ..
            } => *samples as u64 * sample_size.0,
        }
    }

    /// The small-files dataset a kind reads: (dirs, files_per_dir, median_size, sigma).
    pub fn small_file_set(&self) -> Option<SmallFileSet> {
        match self {
            Params::SmallFiles {
                dirs,
                files_per_dir,
                median_size,
                sigma,
                ..
            }
            | Params::TrainEpoch {
                dirs,
                files_per_dir,
                median_size,
                sigma,
                ..
            }
            | Params::BackupRestore {
                dirs,
                files_per_dir,
                median_size,
                sigma,
                ..
            } => Some((*dirs, *files_per_dir, *median_size, *sigma)),
            _ => None,
        }
    }

    /// Bytes of the pre-generated dataset alone (0 for kinds without one).
    pub fn dataset_footprint(&self) -> u64 {
        match (self, self.small_file_set()) {
            (_, Some((d, f, m, s))) => small_files_bytes(d, f, m, s),
            (Params::SeqRead { .. } | Params::RandomRead { .. }, _) => self.footprint(),
            _ => 0,
        }
    }

    /// The metrics a rep of this kind reports, the first being the headline.
    pub fn metrics(&self) -> &'static [&'static str] {
        match self {
            Params::SeqRead { .. } => &["read"],
            Params::SmallFiles { .. } => &["scan"],
            // Without fsync, the file's part of the save is its writes alone.
            Params::Checkpoint { fsync: true, .. } => &["save", "write-fsync", "restore"],
            Params::Checkpoint { fsync: false, .. } => &["save", "write", "restore"],
            Params::TrainEpoch { .. } => &["epoch"],
            Params::RandomRead { .. } => &["read"],
            Params::Metadata { .. } => &["create", "stat", "rename", "unlink"],
            Params::BackupRestore { .. } => &["backup", "extract"],
            Params::SharedVolume { .. } => &["visible"],
        }
    }
}

impl Params {
    /// A faithful miniature (or enlargement): the number of files, shards, reads and samples
    /// and checkpoint sizes scaled by `factor`; every per-file size, block size and thread
    /// count kept, so each operation stays the same and only the amount of them changes.
    pub fn scaled(&self, factor: f64) -> Params {
        let count = |n: u32| ((n as f64 * factor).round() as u32).max(1);
        // Fewer folders first, keeping their fan-out; below one folder, fewer files in it.
        let tree = |dirs: u32, files: u32| {
            let d = dirs as f64 * factor;
            if d >= 1.0 {
                (d.round() as u32, files)
            } else {
                (
                    1,
                    ((dirs as f64 * files as f64 * factor).round() as u32).max(1),
                )
            }
        };
        let mut p = self.clone();
        match &mut p {
            Params::SeqRead { shards, .. } => *shards = count(*shards),
            Params::SmallFiles {
                dirs,
                files_per_dir,
                ..
            }
            | Params::TrainEpoch {
                dirs,
                files_per_dir,
                ..
            }
            | Params::Metadata {
                dirs,
                files_per_dir,
            }
            | Params::BackupRestore {
                dirs,
                files_per_dir,
                ..
            } => (*dirs, *files_per_dir) = tree(*dirs, *files_per_dir),
            Params::Checkpoint {
                size, chunk_size, ..
            } => {
                size.0 = ((size.0 as f64 * factor) as u64).max(4096);
                chunk_size.0 = chunk_size.0.min(size.0);
            }
            Params::RandomRead { shards, reads, .. } => {
                *shards = count(*shards);
                *reads = count(*reads);
            }
            Params::SharedVolume { samples, .. } => *samples = count(*samples),
        }
        p
    }
}

/// Bytes of a log-normal small-files set: the mean is median * exp(sigma^2 / 2); plus 10%
/// for tail luck.
fn small_files_bytes(dirs: u32, files_per_dir: u32, median: ByteSize, sigma: f64) -> u64 {
    let mean = median.0 as f64 * (sigma * sigma / 2.0).exp();
    (dirs as f64 * files_per_dir as f64 * mean * 1.1) as u64
}

/// One validated workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    pub name: String,
    pub phases: Vec<Phase>,
    pub threads: u32,
    pub direct: bool,
    pub seed: u64,
    /// Passes over the data per warm rep (fio's `loops`): longer timed sections, same
    /// bytes on every target. Cold reps make one pass: a second would read a warm cache.
    #[serde(default = "one_loop")]
    pub loops: u32,
    #[serde(flatten)]
    pub params: Params,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorkload {
    kind: String,
    name: Option<String>,
    phases: Option<Vec<Phase>>,
    threads: Option<u32>,
    direct: Option<bool>,
    seed: Option<u64>,
    loops: Option<u32>,
    // seq-read
    shards: Option<u32>,
    shard_size: Option<ByteSize>,
    // small-files
    dirs: Option<u32>,
    files_per_dir: Option<u32>,
    median_size: Option<ByteSize>,
    sigma: Option<f64>,
    stat: Option<bool>,
    breakdown_every: Option<u32>,
    // seq-read and small-files
    block_size: Option<ByteSize>,
    // checkpoint
    size: Option<ByteSize>,
    chunk_size: Option<ByteSize>,
    fsync: Option<bool>,
    keep: Option<u32>,
    verify: Option<bool>,
    // train-epoch
    batch_size: Option<u32>,
    prefetch: Option<u32>,
    compute_time: Option<HumanDuration>,
    // random-read
    record_size: Option<ByteSize>,
    record_size_max: Option<ByteSize>,
    reads: Option<u32>,
    // shared-volume
    samples: Option<u32>,
    sample_size: Option<ByteSize>,
}

/// The kinds whose warm passes can be repeated within a rep (read-only ones).
const LOOP_KINDS: [&str; 3] = ["seq-read", "small-files", "random-read"];

fn one_loop() -> u32 {
    1
}

/// small-files times the parts of one file in 16 by default: recording stays under 1% of
/// a cached file op (see benches/recording.rs).
pub const DEFAULT_BREAKDOWN_EVERY: u32 = 16;

const FIELDS_BY_KIND: [(&str, &[&str]); 8] = [
    ("seq-read", &["shards", "shard_size", "block_size"]),
    (
        "small-files",
        &[
            "dirs",
            "files_per_dir",
            "median_size",
            "sigma",
            "stat",
            "breakdown_every",
            "block_size",
        ],
    ),
    (
        "checkpoint",
        &["size", "chunk_size", "fsync", "keep", "verify"],
    ),
    (
        "train-epoch",
        &[
            "dirs",
            "files_per_dir",
            "median_size",
            "sigma",
            "block_size",
            "batch_size",
            "prefetch",
            "compute_time",
        ],
    ),
    (
        "random-read",
        &[
            "shards",
            "shard_size",
            "record_size",
            "record_size_max",
            "reads",
        ],
    ),
    ("metadata", &["dirs", "files_per_dir"]),
    (
        "backup-restore",
        &["dirs", "files_per_dir", "median_size", "sigma", "fsync"],
    ),
    ("shared-volume", &["samples", "sample_size", "fsync"]),
];

impl Workload {
    /// Passes over the data in one rep of this phase: `loops` warm, one cold (a second cold
    /// pass would find the cache the first one filled).
    pub fn passes(&self, phase: Phase) -> u32 {
        match phase {
            Phase::Warm => self.loops,
            Phase::Cold => 1,
        }
    }
}

pub(crate) fn validate(
    file: &str,
    index: usize,
    raw: RawWorkload,
    run_seed: u64,
) -> Result<Workload> {
    let name = raw.name.clone().unwrap_or_else(|| raw.kind.clone());
    let place = |field: &str| format!("{file}: workload \"{name}\" (#{}) field {field}", index + 1);
    let Some((_, own_fields)) = FIELDS_BY_KIND.iter().find(|(k, _)| *k == raw.kind) else {
        return Err(Error::input(
            place("kind"),
            format!(
                "unknown kind \"{}\" (expected seq-read, small-files, checkpoint, train-epoch, random-read, metadata, backup-restore or shared-volume)",
                raw.kind
            ),
        ));
    };
    for (kind, fields) in FIELDS_BY_KIND {
        for field in fields {
            if !own_fields.contains(field) && raw.is_set(field) {
                return Err(Error::input(
                    place(field),
                    format!("applies to {kind}, not to {}", raw.kind),
                ));
            }
        }
    }
    let positive = |field: &str, value: u64| -> Result<()> {
        if value == 0 {
            Err(Error::input(place(field), "must be greater than 0"))
        } else {
            Ok(())
        }
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::input(
            place("name"),
            format!("\"{name}\" must be non-empty and use only letters, digits, - and _"),
        ));
    }
    let threads = raw.threads.unwrap_or(1);
    positive("threads", threads as u64)?;
    if threads > 256 {
        return Err(Error::input(place("threads"), "must be at most 256"));
    }
    let phases = raw.phases.clone().unwrap_or_else(|| vec![Phase::Warm]);
    if phases.is_empty() {
        return Err(Error::input(
            place("phases"),
            "names no phase (use [\"cold\"], [\"warm\"] or both)",
        ));
    }
    let one_thread = |threads: u32, why: &str| -> Result<()> {
        if threads == 1 {
            Ok(())
        } else {
            Err(Error::input(
                place("threads"),
                format!("{why}; threads must be 1"),
            ))
        }
    };
    let loops = raw.loops.unwrap_or(1);
    positive("loops", loops as u64)?;
    if loops > 1 && !LOOP_KINDS.contains(&raw.kind.as_str()) {
        return Err(Error::input(
            place("loops"),
            format!(
                "applies to {}, not to {} (its passes are not repeatable)",
                LOOP_KINDS.join(", "),
                raw.kind
            ),
        ));
    }
    let params = match raw.kind.as_str() {
        "seq-read" => {
            let shards = raw.shards.unwrap_or(8);
            let shard_size = raw.shard_size.unwrap_or(ByteSize(64 << 20));
            let block_size = raw.block_size.unwrap_or(ByteSize(1 << 20));
            positive("shards", shards as u64)?;
            positive("shard_size", shard_size.0)?;
            positive("block_size", block_size.0)?;
            if block_size.0 > 1 << 30 {
                return Err(Error::input(place("block_size"), "must be at most 1GiB"));
            }
            Params::SeqRead {
                shards,
                shard_size,
                block_size,
            }
        }
        "small-files" => {
            let set = small_file_set(&raw, &place)?;
            let block_size = block(&raw, &place)?;
            let breakdown_every = raw.breakdown_every.unwrap_or(DEFAULT_BREAKDOWN_EVERY);
            positive("breakdown_every", breakdown_every as u64)?;
            Params::SmallFiles {
                dirs: set.0,
                files_per_dir: set.1,
                median_size: set.2,
                sigma: set.3,
                block_size,
                stat: raw.stat.unwrap_or(true),
                breakdown_every,
            }
        }
        "train-epoch" => {
            let set = small_file_set(&raw, &place)?;
            let block_size = block(&raw, &place)?;
            let batch_size = raw.batch_size.unwrap_or(32);
            let prefetch = raw.prefetch.unwrap_or(2);
            positive("batch_size", batch_size as u64)?;
            positive("prefetch", prefetch as u64)?;
            let compute_time = raw
                .compute_time
                .unwrap_or(HumanDuration(std::time::Duration::from_millis(10)));
            if compute_time.0 > std::time::Duration::from_secs(60) {
                return Err(Error::input(
                    place("compute_time"),
                    format!("{compute_time} is more than a minute per step"),
                ));
            }
            Params::TrainEpoch {
                dirs: set.0,
                files_per_dir: set.1,
                median_size: set.2,
                sigma: set.3,
                block_size,
                batch_size,
                prefetch,
                compute_time,
            }
        }
        "random-read" => {
            let shards = raw.shards.unwrap_or(4);
            let shard_size = raw.shard_size.unwrap_or(ByteSize(256 << 20));
            let record_size = raw.record_size.unwrap_or(ByteSize(4 << 10));
            let record_size_max = raw.record_size_max.unwrap_or(ByteSize(128 << 10));
            let reads = raw.reads.unwrap_or(8192);
            positive("shards", shards as u64)?;
            positive("shard_size", shard_size.0)?;
            positive("record_size", record_size.0)?;
            positive("reads", reads as u64)?;
            if record_size_max < record_size {
                return Err(Error::input(
                    place("record_size_max"),
                    format!("{record_size_max} is smaller than record_size {record_size}"),
                ));
            }
            if record_size_max > shard_size {
                return Err(Error::input(
                    place("record_size_max"),
                    format!("{record_size_max} is larger than shard_size {shard_size}"),
                ));
            }
            Params::RandomRead {
                shards,
                shard_size,
                record_size,
                record_size_max,
                reads,
            }
        }
        "metadata" => {
            let dirs = raw.dirs.unwrap_or(16);
            let files_per_dir = raw.files_per_dir.unwrap_or(256);
            positive("dirs", dirs as u64)?;
            positive("files_per_dir", files_per_dir as u64)?;
            Params::Metadata {
                dirs,
                files_per_dir,
            }
        }
        "backup-restore" => {
            one_thread(threads, "backup-restore archives one stream")?;
            let set = small_file_set(&raw, &place)?;
            Params::BackupRestore {
                dirs: set.0,
                files_per_dir: set.1,
                median_size: set.2,
                sigma: set.3,
                fsync: raw.fsync.unwrap_or(true),
            }
        }
        "shared-volume" => {
            one_thread(threads, "shared-volume has one writer and one reader")?;
            let samples = raw.samples.unwrap_or(512);
            let sample_size = raw.sample_size.unwrap_or(ByteSize(64 << 10));
            positive("samples", samples as u64)?;
            positive("sample_size", sample_size.0)?;
            if sample_size.0 < 16 {
                return Err(Error::input(
                    place("sample_size"),
                    "must be at least 16 bytes (a sample carries its id and write time)",
                ));
            }
            Params::SharedVolume {
                samples,
                sample_size,
                fsync: raw.fsync.unwrap_or(false),
            }
        }
        _ => {
            one_thread(threads, "checkpoint writes one file at a time")?;
            let size = raw.size.unwrap_or(ByteSize(256 << 20));
            let chunk_size = raw.chunk_size.unwrap_or(ByteSize(8 << 20));
            positive("size", size.0)?;
            positive("chunk_size", chunk_size.0)?;
            if chunk_size.0 > size.0 {
                return Err(Error::input(
                    place("chunk_size"),
                    format!("{chunk_size} is larger than size {size}"),
                ));
            }
            if chunk_size.0 > 1 << 30 {
                return Err(Error::input(place("chunk_size"), "must be at most 1GiB"));
            }
            let keep = raw.keep.unwrap_or(2);
            positive("keep", keep as u64)?;
            Params::Checkpoint {
                size,
                chunk_size,
                fsync: raw.fsync.unwrap_or(true),
                keep,
                verify: raw.verify.unwrap_or(true),
            }
        }
    };
    if raw.direct == Some(true) {
        let block = match &params {
            Params::SeqRead { block_size, .. }
            | Params::SmallFiles { block_size, .. }
            | Params::TrainEpoch { block_size, .. } => *block_size,
            Params::Checkpoint { chunk_size, .. } => *chunk_size,
            Params::RandomRead { record_size, .. } => *record_size,
            _ => {
                return Err(Error::input(
                    place("direct"),
                    format!("{} does not read with O_DIRECT", params.kind()),
                ))
            }
        };
        if block.0 % 4096 != 0 {
            return Err(Error::input(
                place("direct"),
                format!("O_DIRECT needs a block size that is a multiple of 4KiB, not {block}"),
            ));
        }
    }
    Ok(Workload {
        name,
        phases,
        threads,
        direct: raw.direct.unwrap_or(false),
        seed: raw.seed.unwrap_or(run_seed),
        loops,
        params,
    })
}

pub type SmallFileSet = (u32, u32, ByteSize, f64);

/// dirs, files_per_dir, median_size and sigma of a small-files dataset, checked.
fn small_file_set(raw: &RawWorkload, place: &dyn Fn(&str) -> String) -> Result<SmallFileSet> {
    let dirs = raw.dirs.unwrap_or(16);
    let files_per_dir = raw.files_per_dir.unwrap_or(256);
    let median_size = raw.median_size.unwrap_or(ByteSize(110 << 10));
    let sigma = raw.sigma.unwrap_or(0.6);
    for (field, value) in [
        ("dirs", dirs as u64),
        ("files_per_dir", files_per_dir as u64),
        ("median_size", median_size.0),
    ] {
        if value == 0 {
            return Err(Error::input(place(field), "must be greater than 0"));
        }
    }
    if !(0.0..=3.0).contains(&sigma) {
        return Err(Error::input(
            place("sigma"),
            format!("{sigma} is outside 0.0..=3.0"),
        ));
    }
    Ok((dirs, files_per_dir, median_size, sigma))
}

/// The read block size, checked.
fn block(raw: &RawWorkload, place: &dyn Fn(&str) -> String) -> Result<ByteSize> {
    let block_size = raw.block_size.unwrap_or(ByteSize(1 << 20));
    if block_size.0 == 0 {
        return Err(Error::input(place("block_size"), "must be greater than 0"));
    }
    if block_size.0 > 1 << 30 {
        return Err(Error::input(place("block_size"), "must be at most 1GiB"));
    }
    Ok(block_size)
}

impl RawWorkload {
    fn is_set(&self, field: &str) -> bool {
        match field {
            "shards" => self.shards.is_some(),
            "shard_size" => self.shard_size.is_some(),
            "dirs" => self.dirs.is_some(),
            "files_per_dir" => self.files_per_dir.is_some(),
            "median_size" => self.median_size.is_some(),
            "sigma" => self.sigma.is_some(),
            "stat" => self.stat.is_some(),
            "breakdown_every" => self.breakdown_every.is_some(),
            "block_size" => self.block_size.is_some(),
            "size" => self.size.is_some(),
            "chunk_size" => self.chunk_size.is_some(),
            "fsync" => self.fsync.is_some(),
            "keep" => self.keep.is_some(),
            "verify" => self.verify.is_some(),
            "batch_size" => self.batch_size.is_some(),
            "prefetch" => self.prefetch.is_some(),
            "compute_time" => self.compute_time.is_some(),
            "record_size" => self.record_size.is_some(),
            "record_size_max" => self.record_size_max.is_some(),
            "reads" => self.reads.is_some(),
            "samples" => self.samples.is_some(),
            "sample_size" => self.sample_size.is_some(),
            _ => false,
        }
    }
}

/// Turn a toml error into one line: `file:line:col: field: message`.
pub(crate) fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> Error {
    let message = one_line(e.message());
    let Some(span) = e.span() else {
        return Error::input(file, message);
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = span.start - line_start + 1;
    let line_text = text[line_start..].lines().next().unwrap_or("");
    let key = line_text
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && !message.contains(&format!("`{k}`")));
    match key {
        Some(key) => Error::input(
            format!("{file}:{line}:{col}"),
            format!("field {key}: {message}"),
        ),
        None => Error::input(format!("{file}:{line}:{col}"), message),
    }
}
