//! The kind of filesystem a path lives on, and whether `mincore` can see its page cache.
//!
//! mincore answers for the pages of a file mapping. On FUSE (virtiofs, gRPC-FUSE,
//! fuse-overlayfs, sshfs), 9p and Docker Desktop's fakeowner the cache a read warms is not
//! the one mincore sees (FUSE drops a file's pages on open unless the server keeps them,
//! 9p with cache=mmap caches only mappings, the host side caches behind the VM boundary),
//! so a warm dataset reads 0%: there residency is unknown, never 0%.

use serde::{Deserialize, Serialize};

/// Filesystem kinds, from the mount's type name and the statfs magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FsKind {
    Ext,
    Xfs,
    Btrfs,
    F2fs,
    Bcachefs,
    /// macOS: APFS, and HFS+ on older volumes.
    Apfs,
    Hfs,
    Tmpfs,
    Ramfs,
    Overlay,
    Nfs,
    /// ZFS caches in its ARC, not the page cache.
    Zfs,
    Smb,
    Fuse,
    Virtiofs,
    NineP,
    /// Docker Desktop's ownership-faking layer over its file sharing.
    Fakeowner,
    /// A filesystem this table does not know: nothing vouches for mincore on it.
    Other,
}

/// statfs `f_type` magic numbers (linux/magic.h). 9p reports the *server's* filesystem
/// type here (v9fs_statfs copies it), and virtiofs reports FUSE's: the mount's type name
/// decides first.
const MAGICS: [(u32, FsKind); 15] = [
    (0xEF53, FsKind::Ext),
    (0x5846_5342, FsKind::Xfs),
    (0x9123_683E, FsKind::Btrfs),
    (0xF2F5_2010, FsKind::F2fs),
    (0xCA45_1A4E, FsKind::Bcachefs),
    (0x0102_1994, FsKind::Tmpfs),
    (0x8584_58F6, FsKind::Ramfs),
    (0x794C_7630, FsKind::Overlay),
    (0x6969, FsKind::Nfs),
    (0x2FC1_2FC1, FsKind::Zfs),
    (0x517B, FsKind::Smb),
    (0xFF53_4D42, FsKind::Smb),
    (0xFE53_4D42, FsKind::Smb),
    (0x6573_5546, FsKind::Fuse),
    (0x0102_1997, FsKind::NineP),
];

impl FsKind {
    /// From a mount's type name: Linux's /proc/self/mountinfo (`fuse.sshfs`, `9p`, `ext4`…)
    /// or macOS's `f_fstypename` (`apfs`, `smbfs`, `macfuse`…).
    pub fn from_name(name: &str) -> Option<FsKind> {
        let kind = match name {
            "ext2" | "ext3" | "ext4" => FsKind::Ext,
            "xfs" => FsKind::Xfs,
            "btrfs" => FsKind::Btrfs,
            "f2fs" => FsKind::F2fs,
            "bcachefs" => FsKind::Bcachefs,
            "apfs" => FsKind::Apfs,
            "hfs" => FsKind::Hfs,
            "tmpfs" => FsKind::Tmpfs,
            "ramfs" => FsKind::Ramfs,
            "overlay" => FsKind::Overlay,
            "nfs" | "nfs4" => FsKind::Nfs,
            "zfs" => FsKind::Zfs,
            "cifs" | "smb3" | "smbfs" => FsKind::Smb,
            "virtiofs" => FsKind::Virtiofs,
            "9p" => FsKind::NineP,
            "fakeowner" => FsKind::Fakeowner,
            "fuse" | "fuseblk" | "grpcfuse" | "macfuse" | "osxfuse" | "fuse-t" => FsKind::Fuse,
            n if n.starts_with("fuse.") => FsKind::Fuse,
            _ => return None,
        };
        Some(kind)
    }

    /// From a statfs magic number.
    pub fn from_magic(magic: u32) -> Option<FsKind> {
        MAGICS.iter().find(|(m, _)| *m == magic).map(|(_, k)| *k)
    }

    /// From both: a blind answer from either wins (never claim a cache mincore cannot
    /// see), then the name, then the magic, else `Other`.
    pub fn detect(name: &str, magic: Option<u32>) -> FsKind {
        let by_name = FsKind::from_name(name);
        let by_magic = magic.and_then(FsKind::from_magic);
        let blind = [by_name, by_magic]
            .into_iter()
            .flatten()
            .find(|k| !k.page_cache_visible());
        blind.or(by_name).or(by_magic).unwrap_or(FsKind::Other)
    }

    /// Whether mincore on a file of this filesystem sees the cache its reads fill.
    pub fn page_cache_visible(self) -> bool {
        match self {
            FsKind::Ext
            | FsKind::Xfs
            | FsKind::Btrfs
            | FsKind::F2fs
            | FsKind::Bcachefs
            | FsKind::Apfs
            | FsKind::Hfs
            | FsKind::Tmpfs
            | FsKind::Ramfs
            | FsKind::Overlay
            | FsKind::Nfs => true,
            FsKind::Zfs
            | FsKind::Smb
            | FsKind::Fuse
            | FsKind::Virtiofs
            | FsKind::NineP
            | FsKind::Fakeowner
            | FsKind::Other => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_whether_mincore_sees_their_cache() {
        // (mountinfo type, statfs magic, kind, page cache visible)
        let cases: [(&str, Option<u32>, FsKind, bool); 19] = [
            ("ext4", Some(0xEF53), FsKind::Ext, true),
            ("xfs", Some(0x5846_5342), FsKind::Xfs, true),
            ("btrfs", Some(0x9123_683E), FsKind::Btrfs, true),
            ("tmpfs", Some(0x0102_1994), FsKind::Tmpfs, true),
            ("overlay", Some(0x794C_7630), FsKind::Overlay, true),
            ("nfs4", Some(0x6969), FsKind::Nfs, true),
            ("zfs", Some(0x2FC1_2FC1), FsKind::Zfs, false),
            // virtiofs reports FUSE_SUPER_MAGIC from statfs.
            ("virtiofs", Some(0x6573_5546), FsKind::Virtiofs, false),
            // 9p reports the host's filesystem type from statfs: the name decides.
            ("9p", Some(0xEF53), FsKind::NineP, false),
            ("9p", Some(0x0102_1997), FsKind::NineP, false),
            ("fakeowner", Some(0x6573_5546), FsKind::Fakeowner, false),
            ("fakeowner", None, FsKind::Fakeowner, false),
            ("fuse.grpcfuse", Some(0x6573_5546), FsKind::Fuse, false),
            (
                "fuse.fuse-overlayfs",
                Some(0x6573_5546),
                FsKind::Fuse,
                false,
            ),
            ("fuse.sshfs", None, FsKind::Fuse, false),
            // An unknown name: the magic decides, and a FUSE magic wins over any name.
            ("shiftfs", Some(0xEF53), FsKind::Ext, true),
            ("ext4", Some(0x6573_5546), FsKind::Fuse, false),
            ("mystery", Some(0x1234), FsKind::Other, false),
            ("mystery", None, FsKind::Other, false),
        ];
        for (name, magic, kind, visible) in cases {
            let got = FsKind::detect(name, magic);
            assert_eq!(got, kind, "{name} {magic:x?}");
            assert_eq!(got.page_cache_visible(), visible, "{name} {magic:x?}");
        }
    }

    #[test]
    fn every_magic_maps_back_to_its_kind() {
        for (magic, kind) in MAGICS {
            assert_eq!(FsKind::from_magic(magic), Some(kind));
        }
        assert_eq!(FsKind::from_magic(0), None);
    }

    #[test]
    fn kinds_serialize_kebab_case() {
        let json = serde_json::to_string(&[FsKind::NineP, FsKind::Virtiofs]).unwrap();
        assert_eq!(json, r#"["nine-p","virtiofs"]"#);
    }
}
