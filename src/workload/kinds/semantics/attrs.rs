//! Probes of what hangs off a file: extended attributes (on files and on symlinks) and
//! timestamps (the resolution mtime keeps, and `utimensat` round trips).

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rustix::fs::{AtFlags, Timespec, Timestamps, XattrFlags, CWD};

use super::files::{errno_only, write_file};
use super::{at, finish, step, Outcome};

const NAME: &str = "user.mountbench";

/// Set, get and list an xattr on a file; list and set one on a symlink itself.
pub fn xattr(dir: &Path) -> Outcome {
    finish((|| {
        let file = at(dir, "file");
        step("create", write_file(&file, b"x"))?;
        let set = rustix::fs::setxattr(&file, NAME, b"probe", XattrFlags::empty());
        step("setxattr", set.map_err(std::io::Error::from))?;
        let mut value = [0u8; 64];
        let got = rustix::fs::getxattr(&file, NAME, &mut value[..]);
        let got = step("getxattr", got.map_err(std::io::Error::from))?;
        let mut list = vec![0u8; 4096];
        let listed = rustix::fs::listxattr(&file, &mut list[..]);
        let listed = step("listxattr", listed.map_err(std::io::Error::from))?;
        let names = &list[..listed];
        let file_facts = format!(
            "file: getxattr {}, listxattr {}",
            match &value[..got] == b"probe" {
                true => "returns the value",
                false => "returns another value",
            },
            match names.split(|b| *b == 0).any(|n| n == NAME.as_bytes()) {
                true => "names it",
                false => "omits it",
            }
        );
        Ok(Outcome::saw(
            format!("{file_facts}; {}", on_symlink(dir)),
            "",
        ))
    })())
}

/// `llistxattr` and `lsetxattr` on a symlink (Linux refuses user.* xattrs there: EPERM).
fn on_symlink(dir: &Path) -> String {
    let link = at(dir, "link");
    if let Err(e) = std::os::unix::fs::symlink("file", &link) {
        return format!("symlink: {}", errno_only(&e));
    }
    let mut list = vec![0u8; 4096];
    let listed = match rustix::fs::llistxattr(&link, &mut list[..]) {
        Ok(_) => "llistxattr ok".to_string(),
        Err(e) => format!("llistxattr {}", errno_only(&std::io::Error::from(e))),
    };
    let set = match rustix::fs::lsetxattr(&link, NAME, b"link", XattrFlags::empty()) {
        Ok(()) => "lsetxattr ok".to_string(),
        Err(e) => format!("lsetxattr {}", errno_only(&std::io::Error::from(e))),
    };
    format!("symlink: {listed}, {set}")
}

/// Distinct mtimes sampled: all of them ending in a zero by chance is a 1 in 10^12 event.
const SAMPLES: usize = 12;

/// The step mtime moves in (the largest power of ten dividing every sampled nanosecond
/// field), and whether `utimensat` keeps a time to the nanosecond. Files made within one
/// clock tick share an mtime, so samples are taken 5 ms apart and only distinct ones count.
pub fn mtime(dir: &Path) -> Outcome {
    finish((|| {
        let mut nanos = Vec::with_capacity(SAMPLES);
        for i in 0..SAMPLES * 4 {
            let path = at(dir, &format!("t{i}"));
            step("create", write_file(&path, b"t"))?;
            let ns = step("stat", fs::metadata(&path))?.mtime_nsec() as u64;
            if !nanos.contains(&ns) {
                nanos.push(ns);
            }
            if nanos.len() == SAMPLES {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let path = at(dir, "t0");
        let want = Timespec {
            tv_sec: 1_700_000_000,
            tv_nsec: 123_456_789,
        };
        let times = Timestamps {
            last_access: want,
            last_modification: want,
        };
        let set = rustix::fs::utimensat(CWD, &path, &times, AtFlags::empty());
        step("utimensat", set.map_err(std::io::Error::from))?;
        let back = step("stat", fs::metadata(&path))?;
        let kept = match (back.mtime(), back.mtime_nsec()) {
            (1_700_000_000, 123_456_789) => "utimensat kept to the ns".to_string(),
            (1_700_000_000, ns) => format!("utimensat rounded to {}", unit(resolution(ns as u64))),
            (s, ns) => format!("utimensat set another time ({s}.{ns:09})"),
        };
        let step_of_all = nanos.iter().map(|&n| resolution(n)).min().unwrap_or(1);
        let facts = format!("mtime moves in steps of {}, {kept}", unit(step_of_all));
        let detail = format!("{} distinct mtimes sampled", nanos.len());
        Ok(Outcome::saw(facts, detail))
    })())
}

/// The largest power of ten (ns, at most 1 s) dividing `nanos`.
fn resolution(nanos: u64) -> u64 {
    let mut step = 1u64;
    while step < 1_000_000_000 && nanos % (step * 10) == 0 {
        step *= 10;
    }
    step
}

fn unit(step: u64) -> String {
    match step {
        s if s >= 1_000_000_000 => "1 s".into(),
        s if s >= 1_000_000 => format!("{} ms", s / 1_000_000),
        s if s >= 1_000 => format!("{} µs", s / 1_000),
        s => format!("{s} ns"),
    }
}

#[cfg(test)]
pub(super) fn resolution_of(nanos: u64) -> String {
    unit(resolution(nanos))
}
