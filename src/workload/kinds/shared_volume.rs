//! `shared-volume`: one agent publishes samples into a folder (write to a temporary name,
//! then rename, as a producer must so readers never see half a sample) while a second agent,
//! in another container on the same storage, polls the folder and reads each new sample.
//! Latency runs from the writer starting to publish a sample (write, optional fsync, rename)
//! to the reader's first sight of its name.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Corruption, Error, IoContext, Result};
use crate::measure::{Op, OpHistograms};
use crate::metric::Metric;
use crate::platform::{self, SyncMode};
use crate::size::ByteSize;
use crate::workload::check::Check;
use crate::workload::dataset::DatasetSpec;
use crate::workload::kinds::{Kind, Scale};
use crate::workload::rep::{Measured, MetricResult, Rep, Role};

/// One container writes samples into the storage while a second one reads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SharedVolume {
    pub samples: u32,
    pub sample_size: ByteSize,
    pub fsync: bool,
}

impl Default for SharedVolume {
    fn default() -> Self {
        SharedVolume {
            samples: 512,
            sample_size: ByteSize(64 << 10),
            fsync: false,
        }
    }
}

impl Kind for SharedVolume {
    fn check(&self, c: &Check) -> Result<()> {
        c.one_thread("shared-volume has one writer and one reader")?;
        c.positive("samples", self.samples as u64)?;
        c.positive("sample_size", self.sample_size.0)?;
        if self.sample_size.0 < 16 {
            return Err(c.error(
                "sample_size",
                "must be at least 16 bytes (a sample carries its id and write time)",
            ));
        }
        Ok(())
    }

    fn direct_block(&self) -> Option<ByteSize> {
        None
    }

    fn dataset(&self, _seed: u64) -> Option<DatasetSpec> {
        None
    }

    fn footprint(&self) -> u64 {
        (self.samples as u64).saturating_mul(self.sample_size.0)
    }

    fn metrics(&self) -> &'static [Metric] {
        &[Metric::Visible]
    }

    /// The writer reports no metric: the rep's are the reader's.
    fn run(&self, rep: &Rep) -> Result<Measured> {
        let dir = rep.scratch_dir().join(rep.spec.seq.to_string());
        let size = self.sample_size.0;
        match rep.spec.role {
            Role::Writer => {
                write(&dir, self.samples, size, self.fsync)?;
                Ok(Measured {
                    metrics: Vec::new(),
                    histograms: OpHistograms::default(),
                    residency: None,
                    observations: Vec::new(),
                })
            }
            Role::Reader | Role::Solo => {
                let seen = read(&dir, self.samples, size)?;
                fs::remove_dir_all(&dir).at(&dir)?;
                let result =
                    MetricResult::of(Metric::Visible, seen.bytes, seen.samples, seen.seconds);
                Ok(Measured {
                    metrics: vec![result],
                    histograms: seen.histograms,
                    residency: None,
                    observations: Vec::new(),
                })
            }
        }
    }

    fn scaled(&self, scale: Scale) -> Self {
        SharedVolume {
            samples: scale.count(self.samples),
            ..self.clone()
        }
    }

    fn needs_peer(&self) -> bool {
        true
    }
}

/// A reader that sees nothing new for this long gives up.
const STALL: Duration = Duration::from_secs(30);

pub(crate) struct Seen {
    pub bytes: u64,
    /// Distinct samples read, each checked against its name and content.
    pub samples: u64,
    pub seconds: f64,
    pub histograms: OpHistograms,
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn name(id: u32) -> String {
    format!("s{id:08}")
}

/// The payload of sample `id` past its 16-byte header: a pattern the reader can check.
fn fill(id: u32, body: &mut [u8]) {
    for (i, b) in body.iter_mut().enumerate() {
        *b = (id as usize).wrapping_mul(31).wrapping_add(i) as u8;
    }
}

/// Publish `samples` samples of `size` bytes into `dir`; the header carries the id and the
/// wall-clock time publishing began (the clock both containers share: the kernel's).
pub(crate) fn write(dir: &Path, samples: u32, size: u64, fsync: bool) -> Result<()> {
    fs::create_dir_all(dir).at(dir)?;
    let mut buf = vec![0u8; size as usize];
    for id in 0..samples {
        fill(id, &mut buf[16..]);
        let tmp = dir.join(format!(".tmp-{id}"));
        let fin = dir.join(name(id));
        buf[..4].copy_from_slice(&id.to_le_bytes());
        buf[8..16].copy_from_slice(&now_ns().to_le_bytes());
        let mut file = File::create(&tmp).at(&tmp)?;
        file.write_all(&buf).at(&tmp)?;
        if fsync {
            platform::sync_file(&file, SyncMode::Fsync).at(&tmp)?;
        }
        drop(file);
        fs::rename(&tmp, &fin).at(&fin)?;
    }
    Ok(())
}

/// Poll `dir` until all `samples` have been seen once each; every sample is read whole and
/// checked. A name seen again is not read again; a sample with the wrong id, size or bytes
/// is an error. The seconds run from the first sample's publishing to the last one read,
/// so the time the reader waited for the writer's exec to start is not in them.
pub(crate) fn read(dir: &Path, samples: u32, size: u64) -> Result<Seen> {
    let mut hist = OpHistograms::with_ops(&[Op::Visible, Op::Read]);
    let mut seen = BTreeSet::new();
    let mut bufs = (vec![0u8; size as usize], vec![0u8; size as usize]);
    let start = Instant::now();
    let mut first_written = u64::MAX;
    let mut last_new = Instant::now();
    while seen.len() < samples as usize {
        let Some((sighted, fresh)) = fresh_ids(dir, &seen)? else {
            std::thread::sleep(Duration::from_millis(1));
            continue;
        };
        if fresh.is_empty() {
            if last_new.elapsed() > STALL {
                return Err(Error::Unfinished {
                    work: format!("the reader of {}", dir.display()),
                    done: seen.len() as u64,
                    total: samples.into(),
                    unit: "samples",
                    why: format!("nothing new for {} s", STALL.as_secs()),
                });
            }
            std::thread::sleep(Duration::from_micros(200));
            continue;
        }
        last_new = Instant::now();
        for id in fresh {
            let written = read_sample(&dir.join(name(id)), id, &mut bufs, &mut hist)?;
            hist.record(Op::Visible, sighted.saturating_sub(written));
            first_written = first_written.min(written);
            seen.insert(id);
        }
    }
    let seconds = match first_written {
        u64::MAX => start.elapsed().as_secs_f64(),
        t => now_ns().saturating_sub(t) as f64 / 1e9,
    };
    Ok(Seen {
        bytes: seen.len() as u64 * size,
        samples: seen.len() as u64,
        seconds,
        histograms: hist,
    })
}

/// The time the folder was opened and the ids in it not seen yet; None while the folder
/// does not exist.
fn fresh_ids(dir: &Path, seen: &BTreeSet<u32>) -> Result<Option<(u64, Vec<u32>)>> {
    let listing = match fs::read_dir(dir) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let sighted = now_ns();
    let mut fresh = Vec::new();
    for entry in listing {
        let entry = entry.at(dir)?;
        let file_name = entry.file_name();
        let Some(id) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix('s'))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if !seen.contains(&id) {
            fresh.push(id);
        }
    }
    Ok(Some((sighted, fresh)))
}

/// Read sample `id` whole into `bufs.0` and check it against the pattern (built in
/// `bufs.1`); returns the time its publishing began.
fn read_sample(
    path: &Path,
    id: u32,
    (buf, want): &mut (Vec<u8>, Vec<u8>),
    hist: &mut OpHistograms,
) -> Result<u64> {
    let mut file = File::open(path).at(path)?;
    hist.time(Op::Read, || file.read_exact(buf)).at(path)?;
    let mut extra = [0u8; 1];
    if file.read(&mut extra).at(path)? != 0 {
        return Err(Error::corrupt(path, Corruption::Long(buf.len())));
    }
    let got_id = u32::from_le_bytes(buf[..4].try_into().expect("4 bytes"));
    let written = u64::from_le_bytes(buf[8..16].try_into().expect("8 bytes"));
    fill(id, &mut want[16..]);
    if got_id != id || buf[16..] != want[16..] {
        return Err(Error::corrupt(path, Corruption::NotSample(id)));
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader of `samples` 4 KiB samples in `dir`, on its own thread.
    fn spawn_reader(dir: &Path, samples: u32) -> std::thread::JoinHandle<Result<Seen>> {
        let dir = dir.to_path_buf();
        std::thread::spawn(move || read(&dir, samples, 4096))
    }

    #[test]
    fn the_reader_sees_every_sample_exactly_once() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("shared");
        let reader = spawn_reader(&dir, 300);
        write(&dir, 300, 4096, false).unwrap();
        let seen = reader.join().unwrap().unwrap();
        assert_eq!(seen.samples, 300);
        assert_eq!(seen.bytes, 300 * 4096);
        assert_eq!(seen.histograms.get(Op::Visible).unwrap().len(), 300);
        assert_eq!(seen.histograms.get(Op::Read).unwrap().len(), 300);
    }

    #[test]
    fn the_readers_wait_for_the_writer_is_not_timed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("shared");
        let reader = spawn_reader(&dir, 20);
        let late = Duration::from_secs(1);
        std::thread::sleep(late);
        write(&dir, 20, 4096, false).unwrap();
        let seen = reader.join().unwrap().unwrap();
        assert!(seen.seconds < late.as_secs_f64(), "{} s", seen.seconds);
    }

    #[test]
    fn a_damaged_sample_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        write(root.path(), 3, 64, false).unwrap();
        let mut bytes = fs::read(root.path().join(name(1))).unwrap();
        bytes[40] ^= 1;
        fs::write(root.path().join(name(1)), bytes).unwrap();
        let err = read(root.path(), 3, 64).err().unwrap();
        assert!(
            matches!(
                err,
                Error::Corrupt {
                    fault: Corruption::NotSample(1),
                    ..
                }
            ),
            "{err}"
        );
        let shown = format!(
            "{}: content is not sample 1",
            root.path().join(name(1)).display()
        );
        assert_eq!(err.to_string(), shown);
    }
}
