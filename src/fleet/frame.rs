//! Framed records on a task's stdout: what a fleet node's task sends back through the
//! engine's task logs. A record (a result file, the task's status) is split into lines of
//! `@mbframe NAME I/N HASH CHUNK`: base64 chunks well under the 16 KiB at which a log driver
//! splits a line, each naming its record, its place and the hash of the whole record. Lines
//! that are not frames (anything else the task printed) are ignored; a record with a chunk
//! missing or a hash that does not match is an error, never a silently short file.

use std::collections::BTreeMap;
use std::io::Write;

use base64::Engine as _;

use crate::error::{Error, Result};

const MARK: &str = "@mbframe";
/// Base64 characters a line carries: a line stays far below a log driver's 16 KiB split.
const CHUNK: usize = 8000;

/// The name of the record that carries the task's status (JSON), sent last.
pub const STATUS: &str = "!status";

fn hash(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// Write `bytes` as the record `name`, one line a chunk.
pub fn write_record(out: &mut impl Write, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let text = base64::engine::general_purpose::STANDARD.encode(bytes);
    let chunks: Vec<&str> = match text.is_empty() {
        true => vec![""],
        false => text
            .as_bytes()
            .chunks(CHUNK)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect(),
    };
    let digest = hash(bytes);
    for (i, chunk) in chunks.iter().enumerate() {
        writeln!(
            out,
            "{MARK} {name} {}/{} {digest} {chunk}",
            i + 1,
            chunks.len()
        )?;
    }
    out.flush()
}

/// The records read back from one task's output, whole and checked.
#[derive(Debug, Default)]
pub struct Records {
    parts: BTreeMap<String, Parts>,
}

#[derive(Debug)]
struct Parts {
    count: usize,
    digest: String,
    chunks: BTreeMap<usize, String>,
}

impl Records {
    /// Read every frame of `text` (other lines are skipped).
    pub fn read(text: &str) -> Result<Records> {
        let mut records = Records::default();
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if let Some(rest) = line.strip_prefix(MARK) {
                records.add(rest.trim_start())?;
            }
        }
        Ok(records)
    }

    fn add(&mut self, frame: &str) -> Result<()> {
        let bad =
            |why: &str| Error::Protocol(format!("a result frame is damaged ({why}): {frame:.80}"));
        let mut fields = frame.splitn(4, ' ');
        let (Some(name), Some(place), Some(digest)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(bad("too few fields"));
        };
        let chunk = fields.next().unwrap_or("");
        let (i, n) = place.split_once('/').ok_or_else(|| bad("no I/N"))?;
        let (i, n): (usize, usize) = match (i.parse(), n.parse()) {
            (Ok(i), Ok(n)) if i >= 1 && i <= n => (i, n),
            _ => return Err(bad("bad I/N")),
        };
        let parts = self.parts.entry(name.to_string()).or_insert_with(|| Parts {
            count: n,
            digest: digest.to_string(),
            chunks: BTreeMap::new(),
        });
        if parts.count != n || parts.digest != digest {
            return Err(bad("two records of one name"));
        }
        parts.chunks.insert(i, chunk.to_string());
        Ok(())
    }

    /// The names of the records seen, whole or not.
    pub fn names(&self) -> Vec<String> {
        self.parts.keys().cloned().collect()
    }

    /// The record `name`, whole and checked; None when no frame of it arrived.
    pub fn get(&self, name: &str) -> Option<Result<Vec<u8>>> {
        let parts = self.parts.get(name)?;
        Some(parts.assemble(name))
    }
}

impl Parts {
    fn assemble(&self, name: &str) -> Result<Vec<u8>> {
        if self.chunks.len() != self.count {
            return Err(Error::Protocol(format!(
                "record {name}: {} of {} frames arrived",
                self.chunks.len(),
                self.count
            )));
        }
        let text: String = self.chunks.values().map(String::as_str).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| Error::Protocol(format!("record {name}: not base64: {e}")))?;
        if hash(&bytes) != self.digest {
            return Err(Error::Protocol(format!(
                "record {name}: its hash does not match"
            )));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(records: &[(&str, &[u8])]) -> String {
        let mut out = Vec::new();
        for (name, bytes) in records {
            write_record(&mut out, name, bytes).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn records_come_back_whole_between_other_lines() {
        let big: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let text = framed(&[
            ("reps.csv", b"a,b\n1,2\n"),
            ("big.json", &big),
            ("empty", b""),
        ]);
        assert!(text.lines().all(|l| l.len() < 16 * 1024));
        let noisy = format!("warning: something\n{text}progress 3/4\n");
        let records = Records::read(&noisy).unwrap();
        assert_eq!(records.get("reps.csv").unwrap().unwrap(), b"a,b\n1,2\n");
        assert_eq!(records.get("big.json").unwrap().unwrap(), big);
        assert_eq!(records.get("empty").unwrap().unwrap(), b"");
        assert!(records.get("other").is_none());
    }

    #[test]
    fn a_lost_or_altered_frame_is_an_error_not_a_short_file() {
        let big: Vec<u8> = (0..30_000u32).map(|i| i as u8).collect();
        let text = framed(&[("big", &big)]);
        let lost: String = text
            .lines()
            .enumerate()
            .filter(|(i, _)| *i != 1)
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        let err = Records::read(&lost)
            .unwrap()
            .get("big")
            .unwrap()
            .unwrap_err();
        assert!(err.to_string().contains("frames arrived"), "{err}");
        let altered = text.replacen("A", "B", 1);
        let err = Records::read(&altered)
            .unwrap()
            .get("big")
            .unwrap()
            .unwrap_err();
        assert!(err.to_string().contains("hash"), "{err}");
    }
}
