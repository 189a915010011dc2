//! Probes of names and links: case, Unicode normalisation, hard links, symlinks, and tar's
//! way of creating a file (mode 0000, then write, then chmod).

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use rustix::fs::{Mode, OFlags, CWD};

use super::files::{errno_only, listing, write_file};
use super::{at, finish, step, Outcome};

/// Create `Case`, then `case` exclusively: two files, or one name folding the other.
pub fn case(dir: &Path) -> Outcome {
    finish((|| {
        step("create Case", write_file(&at(dir, "Case"), b"upper"))?;
        let lower = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(at(dir, "case"));
        let facts = match lower {
            Ok(mut f) => {
                step("write case", f.write_all(b"lower"))?;
                let names = step("readdir", listing(dir))?;
                format!("Case and case are {} files", names.len())
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                "case finds Case: one file, names fold case".to_string()
            }
            Err(e) => return Err(Outcome::failed("create case", &e)),
        };
        Ok(Outcome::saw(facts, ""))
    })())
}

const NFC: &str = "caf\u{e9}";
const NFD: &str = "cafe\u{301}";

/// Create an NFC name, list it back, and look it up by its NFD form.
pub fn nfc(dir: &Path) -> Outcome {
    finish((|| {
        step("create NFC name", write_file(&at(dir, NFC), b"nfc"))?;
        let names = step("readdir", listing(dir))?;
        let listed = match (
            names.iter().any(|n| n == NFC),
            names.iter().any(|n| n == NFD),
        ) {
            (true, _) => "NFC name listed back as NFC",
            (false, true) => "NFC name listed back as NFD",
            (false, false) => "NFC name not listed back",
        };
        let lookup = match fs::symlink_metadata(at(dir, NFD)) {
            Ok(_) => "the NFD form finds it",
            Err(e) if e.kind() == ErrorKind::NotFound => "the NFD form is another name",
            Err(e) => return Err(Outcome::failed("lstat NFD name", &e)),
        };
        Ok(Outcome::saw(format!("{listed}, {lookup}"), ""))
    })())
}

/// `link()`: one inode under two names, counted by `nlink`, a write seen through both.
pub fn hard_link(dir: &Path) -> Outcome {
    finish((|| {
        let (a, b) = (at(dir, "a"), at(dir, "b"));
        step("create", write_file(&a, b"first"))?;
        step("link", fs::hard_link(&a, &b))?;
        step("write through link", write_file(&b, b"second"))?;
        let (ma, mb) = (
            step("stat a", fs::metadata(&a))?,
            step("stat b", fs::metadata(&b))?,
        );
        let seen = step("read a", fs::read(&a))?;
        let inode = match ma.ino() == mb.ino() {
            true => "one inode",
            false => "two inodes",
        };
        let shared = match seen == b"second" {
            true => "a write through one name seen through the other",
            false => "a write through one name not seen through the other",
        };
        let facts = format!("{inode}, nlink {}, {shared}", ma.nlink());
        Ok(Outcome::saw(facts, ""))
    })())
}

/// A symlink read and followed; a dangling one kept, read, and failing to follow.
pub fn symlink(dir: &Path) -> Outcome {
    finish((|| {
        step("create target", write_file(&at(dir, "target"), b"content"))?;
        let link = at(dir, "link");
        step("symlink", std::os::unix::fs::symlink("target", &link))?;
        let read = step("readlink", fs::read_link(&link))?;
        let through = step("read through symlink", fs::read(&link))?;
        let dangling = at(dir, "dangling");
        step(
            "dangling symlink",
            std::os::unix::fs::symlink("missing", &dangling),
        )?;
        let dread = step("readlink dangling", fs::read_link(&dangling))?;
        let dlstat = step("lstat dangling", fs::symlink_metadata(&dangling))?;
        let follow = match fs::metadata(&dangling) {
            Ok(_) => "stat follows it to a file".to_string(),
            Err(e) => format!("stat {}", errno_only(&e)),
        };
        let facts = format!(
            "readlink {}, read through {}; dangling: readlink {}, lstat {}, {follow}",
            ok(read == Path::new("target")),
            ok(through == b"content"),
            ok(dread == Path::new("missing")),
            match dlstat.file_type().is_symlink() {
                true => "a symlink",
                false => "not a symlink",
            },
        );
        Ok(Outcome::saw(facts, ""))
    })())
}

/// tar's pattern: `openat(O_CREAT|O_EXCL|O_WRONLY, 0000)`, write through that descriptor,
/// then `fchmod` to the archive's mode.
pub fn openat_mode0(dir: &Path) -> Outcome {
    finish((|| {
        let path = at(dir, "from-tar");
        let flags = OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(CWD, &path, flags, Mode::empty());
        let fd = step("openat mode 0000", fd.map_err(std::io::Error::from))?;
        let mut file = File::from(fd);
        let created = step("fstat", file.metadata())?.permissions().mode() & 0o7777;
        step("write", file.write_all(b"member"))?;
        let chmod = fs::Permissions::from_mode(0o644);
        step("fchmod 0644", file.set_permissions(chmod))?;
        drop(file);
        let back = step("read back", fs::read(&path))?;
        let mode = step("stat", fs::metadata(&path))?.permissions().mode() & 0o7777;
        let facts = format!(
            "created with mode {created:04o}, written, fchmod to {mode:04o}, content {}",
            ok(back == b"member")
        );
        Ok(Outcome::saw(facts, ""))
    })())
}

fn ok(good: bool) -> &'static str {
    match good {
        true => "ok",
        false => "wrong",
    }
}
