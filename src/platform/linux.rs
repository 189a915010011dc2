//! Linux: posix_fadvise, O_DIRECT, syncfs, sysinfo, /proc, drop_caches and inotify.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
use rustix::fs::{fadvise, Advice};

use super::{available_cores, CacheDrop, Events, FolderEvent, FolderWatch, Heard, HostCpu};
use super::{FsKind, MountFacts, SyncMode};

pub(super) const CACHE_DROP: CacheDrop = CacheDrop {
    how: "host drop_caches before cold reps",
    needs: "needs root (it writes /proc/sys/vm/drop_caches)",
};

pub(super) fn evict(path: &Path) -> io::Result<()> {
    let file = File::open(path)?;
    fadvise(&file, 0, None, Advice::DontNeed)?;
    Ok(())
}

pub(super) fn open(path: &Path, options: &mut OpenOptions, direct: bool) -> io::Result<File> {
    if direct {
        options.custom_flags(libc::O_DIRECT);
    }
    options.open(path)
}

pub(super) fn flush_filesystem(dir: &File) -> io::Result<()> {
    Ok(rustix::fs::syncfs(dir)?)
}

/// Linux's fsync already flushes the drive's cache: both modes are fsync.
pub(super) fn sync_file(file: &File, _mode: SyncMode) -> io::Result<()> {
    Ok(rustix::fs::fsync(file)?)
}

pub(super) fn os_release() -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    text.lines().find_map(|l| {
        l.strip_prefix("PRETTY_NAME=")
            .map(|v| v.trim_matches('"').to_string())
    })
}

pub(super) fn boot_id() -> Option<String> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(id.trim().to_string()).filter(|id| !id.is_empty())
}

pub(super) fn memory_bytes() -> u64 {
    let info = rustix::system::sysinfo();
    (info.totalram as u64).saturating_mul(info.mem_unit as u64)
}

pub(super) fn cpu() -> HostCpu {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    HostCpu {
        model: cpu_model(&cpuinfo),
        cores: available_cores(),
        performance_cores: None,
        efficiency_cores: None,
    }
}

/// The first `model name` (x86) or `Model` (arm boards) line of /proc/cpuinfo.
fn cpu_model(cpuinfo: &str) -> String {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name") || l.starts_with("Model"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

pub(super) fn mount_of(path: &Path) -> io::Result<MountFacts> {
    let text = std::fs::read_to_string("/proc/self/mountinfo")?;
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut facts = MountFacts::from_mountinfo(&text, &canonical).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("no mount in /proc/self/mountinfo holds {}", path.display()),
        )
    })?;
    // f_type is a signed word on some architectures; the magic is its low 32 bits.
    let magic = rustix::fs::statfs(&canonical)
        .ok()
        .map(|st| st.f_type as u32);
    facts.fs_kind = Some(FsKind::detect(&facts.fs_type, magic));
    Ok(facts)
}

/// Linux filesystems tell case apart, but for a few that fold it (and ext4/f2fs folders
/// marked casefold, which statx cannot show): asked by the filesystem's kind.
pub(super) fn case_sensitive(dir: &Path) -> Option<bool> {
    let facts = mount_of(dir).ok()?;
    match facts.fs_type.as_str() {
        "vfat" | "msdos" | "exfat" | "ntfs3" | "cifs" | "smb3" => Some(false),
        _ if facts.kind() == FsKind::Other => None,
        _ => Some(true),
    }
}

pub(super) fn drop_all_caches() -> io::Result<()> {
    rustix::fs::sync();
    std::fs::write("/proc/sys/vm/drop_caches", b"3\n")
}

pub(super) fn watch_folder(
    dir: &Path,
    heard: Heard,
    clock: fn() -> u64,
) -> io::Result<FolderWatch> {
    let fd = inotify::init(CreateFlags::CLOEXEC)?;
    let flags = WatchFlags::CREATE | WatchFlags::MODIFY | WatchFlags::MOVED_TO;
    inotify::add_watch(&fd, dir, flags | WatchFlags::DELETE)?;
    std::thread::spawn(move || listen(fd, heard, clock));
    Ok(FolderWatch { keep: None })
}

/// Read events until the descriptor fails, and keep why. Each is stamped as soon as it is
/// read: never before it arrived (a stamp taken when the descriptor turned readable could
/// precede an event read later in the same drain, even one of the next change).
fn listen(fd: OwnedFd, heard: Heard, clock: fn() -> u64) {
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 16 << 10];
    let mut reader = inotify::Reader::new(&fd, &mut buf);
    loop {
        match reader.next() {
            Ok(event) => {
                let at = clock();
                note(&heard, event.events(), event.file_name(), at);
            }
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => {
                Events::fail(&heard, format!("reading inotify events failed: {e}"));
                return;
            }
        }
    }
}

/// Keep one event of a kind watched for, under its name; note an overflowed queue.
fn note(heard: &Heard, flags: ReadFlags, name: Option<&std::ffi::CStr>, at: u64) {
    if flags.contains(ReadFlags::QUEUE_OVERFLOW) {
        Events::fail(
            heard,
            "the inotify queue overflowed: events were dropped".into(),
        );
    }
    let kind = [
        (ReadFlags::CREATE, FolderEvent::Create),
        (ReadFlags::MODIFY, FolderEvent::Modify),
        (ReadFlags::MOVED_TO, FolderEvent::MovedTo),
        (ReadFlags::DELETE, FolderEvent::Delete),
    ]
    .into_iter()
    .find(|(f, _)| flags.contains(*f));
    if let (Some((_, kind)), Some(name)) = (kind, name) {
        Events::note(heard, kind, name.to_string_lossy().into_owned(), at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_model_is_the_first_model_line() {
        let cases = [
            (
                "processor\t: 0\nmodel name\t: AMD EPYC 7B13\n",
                "AMD EPYC 7B13",
            ),
            (
                "Hardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B\n",
                "Raspberry Pi 4 Model B",
            ),
            ("processor\t: 0\n", ""),
        ];
        for (text, model) in cases {
            assert_eq!(cpu_model(text), model);
        }
    }

    #[test]
    fn this_host_has_memory_cores_and_a_known_data_filesystem() {
        assert!(memory_bytes() > 0);
        assert!(cpu().cores >= 1);
        let dir = tempfile::tempdir().unwrap();
        assert!(mount_of(dir.path()).is_ok());
        assert_eq!(case_sensitive(dir.path()), Some(true));
    }
}
