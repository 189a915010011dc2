//! The mount holding a path: its point, type, kind, source and options (Linux reads them
//! from /proc/self/mountinfo, macOS from statfs), as the agent sees them inside.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::FsKind;
use crate::error::{Error, Result};

/// The mount holding a path.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MountFacts {
    pub mount_point: String,
    pub fs_type: String,
    pub source: String,
    pub options: String,
    /// The filesystem's kind, from its type name and (where the agent looked) its statfs
    /// magic number; absent from files written before it was recorded.
    #[serde(default)]
    pub fs_kind: Option<FsKind>,
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
        super::mount_of(path).map_err(|e| Error::io(path, e))
    }

    /// The filesystem's kind: as recorded, else from its type name alone.
    pub fn kind(&self) -> FsKind {
        self.fs_kind
            .unwrap_or_else(|| FsKind::detect(&self.fs_type, None))
    }

    /// Whether mincore can see this mount's page cache (residency is unknown where not).
    pub fn page_cache_visible(&self) -> bool {
        self.kind().page_cache_visible()
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
        fs_kind: Some(FsKind::detect(fs_type, None)),
    })
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
        assert!(tmpfs.page_cache_visible());
        let shared = MountFacts::from_mountinfo(MOUNTINFO, Path::new("/my dir/f")).unwrap();
        assert_eq!(shared.fs_kind, Some(FsKind::Virtiofs));
        assert!(!shared.page_cache_visible());
    }

    #[test]
    fn a_mount_recorded_without_its_kind_is_judged_by_its_type_name() {
        let old = r#"{"mount_point": "/mb", "fs_type": "9p", "source": "s", "options": "rw"}"#;
        let m: MountFacts = serde_json::from_str(old).unwrap();
        assert_eq!((m.fs_kind, m.kind()), (None, FsKind::NineP));
        assert!(!m.page_cache_visible());
    }

    #[test]
    fn the_agent_records_the_kind_of_a_real_folder() {
        let dir = tempfile::tempdir().unwrap();
        let m = MountFacts::of(dir.path()).unwrap();
        assert!(m.fs_kind.is_some(), "{m:?}");
    }
}
