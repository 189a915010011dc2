//! The mount holding a path, from /proc/self/mountinfo: what the agent sees inside.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The mount holding a path.
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
}
