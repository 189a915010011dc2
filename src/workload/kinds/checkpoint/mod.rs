//! `checkpoint`: write a model checkpoint in chunks, fsync, atomic rename, keep the last K,
//! then restore it and verify its checksum (save.rs).

mod payload;
mod save;

pub(crate) use save::{save_and_restore, CheckpointSpec};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::metric::Metric;
use crate::platform::{self, SyncMode};
use crate::size::ByteSize;
use crate::workload::check::Check;
use crate::workload::dataset::DatasetSpec;
use crate::workload::kinds::{Kind, Scale};
use crate::workload::rep::{Measured, MetricResult, Rep};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Checkpoint {
    pub size: ByteSize,
    pub chunk_size: ByteSize,
    pub fsync: bool,
    /// How the save's fsync is made: `fsync`, or `full-fsync` (macOS's F_FULLFSYNC, which
    /// also flushes the drive's cache) for the native save; a Linux agent's fsync is both.
    pub sync: SyncMode,
    pub keep: u32,
    pub verify: bool,
}

impl Default for Checkpoint {
    fn default() -> Self {
        Checkpoint {
            size: ByteSize(256 << 20),
            chunk_size: ByteSize(8 << 20),
            fsync: true,
            sync: SyncMode::Fsync,
            keep: 2,
            verify: true,
        }
    }
}

impl Kind for Checkpoint {
    fn check(&self, c: &Check) -> Result<()> {
        c.one_thread("checkpoint writes one file at a time")?;
        let (size, chunk_size) = (self.size, self.chunk_size);
        c.positive("size", size.0)?;
        c.positive("chunk_size", chunk_size.0)?;
        if chunk_size > size {
            return Err(c.error(
                "chunk_size",
                format!("{chunk_size} is larger than size {size}"),
            ));
        }
        c.buffer("chunk_size", chunk_size)?;
        self.check_sync(c)?;
        c.positive("keep", self.keep as u64)
    }

    fn direct_block(&self) -> Option<ByteSize> {
        Some(self.chunk_size)
    }

    fn dataset(&self, _seed: u64) -> Option<DatasetSpec> {
        None
    }

    /// `keep` checkpoints and the one being written.
    fn footprint(&self) -> u64 {
        (self.keep as u64 + 1).saturating_mul(self.size.0)
    }

    fn metrics(&self) -> &'static [Metric] {
        // Without fsync, the file's part of the save is its writes alone.
        if self.fsync {
            &[Metric::Save, Metric::WriteFsync, Metric::Restore]
        } else {
            &[Metric::Save, Metric::Write, Metric::Restore]
        }
    }

    fn run(&self, rep: &Rep) -> Result<Measured> {
        let w = rep.workload();
        let dir = rep.scratch_dir();
        let out = save_and_restore(&CheckpointSpec {
            dir: &dir,
            size: self.size.0,
            chunk: self.chunk_size.0 as usize,
            fsync: self.fsync,
            sync: self.sync,
            keep: self.keep as usize,
            verify: self.verify,
            direct: w.direct,
            phase: rep.spec.phase,
            seed: w.seed,
            seq: rep.spec.seq,
        })?;
        // The file's part of the save: write-fsync or write, as `metrics` names it.
        let file = self.metrics()[1];
        let mut metrics = vec![
            MetricResult::of(Metric::Save, out.bytes, out.chunks, out.save_seconds),
            MetricResult::of(file, out.bytes, out.chunks, out.file_seconds),
            MetricResult::of(
                Metric::Restore,
                out.bytes,
                out.restore_reads,
                out.restore_seconds,
            ),
        ];
        if let Some(flush) = out.full_fsync_seconds {
            let seconds = out.save_seconds + flush;
            metrics.push(MetricResult::of(
                Metric::SaveFullFsync,
                out.bytes,
                out.chunks,
                seconds,
            ));
        }
        Ok(Measured {
            metrics,
            histograms: out.histograms,
            residency: out.residency,
            observations: Vec::new(),
        })
    }

    fn scaled(&self, scale: Scale) -> Self {
        let size = ((self.size.0 as f64 * scale.0) as u64).max(4096);
        Checkpoint {
            size: ByteSize(size),
            chunk_size: ByteSize(self.chunk_size.0.min(size)),
            ..self.clone()
        }
    }
}

impl Checkpoint {
    /// `full-fsync` only with fsync on, and only on an OS where it differs from fsync.
    fn check_sync(&self, c: &Check) -> Result<()> {
        if self.sync == SyncMode::Fsync {
            return Ok(());
        }
        if !self.fsync {
            return Err(c.error("sync", "full-fsync needs fsync = true"));
        }
        if !platform::sync_modes(platform::OS).contains(&self.sync) {
            return Err(c.error(
                "sync",
                format!(
                    "full-fsync is macOS's F_FULLFSYNC; on {} fsync already flushes the drive's cache: leave sync at \"fsync\"",
                    platform::OS
                ),
            ));
        }
        Ok(())
    }
}
