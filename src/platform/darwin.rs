//! What macOS gives, parsed: `statfs` fields (as `getmntinfo` lists them too) and `sysctl`
//! values. Pure, so the Mac's parsing is tested on Linux; the calls are in macos.rs.

use super::{FsKind, HostCpu, MountFacts};

/// `statfs` `f_flags` bits (XNU bsd/sys/mount.h) and the option each stands for; "rw" when
/// MNT_RDONLY is clear.
const MOUNT_FLAGS: [(u32, &str); 9] = [
    (0x0000_0002, "sync"),
    (0x0000_0004, "noexec"),
    (0x0000_0008, "nosuid"),
    (0x0000_0010, "nodev"),
    (0x0000_1000, "local"),
    (0x0000_4000, "root"),
    (0x0080_0000, "journaled"),
    (0x1000_0000, "noatime"),
    (0x4000_0000, "snapshot"),
];
const MNT_RDONLY: u32 = 0x0000_0001;

/// A NUL-terminated name in a fixed `c_char` array (`f_fstypename`, `f_mntonname`).
pub fn fixed_name(chars: impl IntoIterator<Item = u8>) -> String {
    let bytes: Vec<u8> = chars.into_iter().take_while(|b| *b != 0).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// "ro" or "rw", then every other flag set, in mount(8)'s words.
pub fn mount_options(flags: u32) -> String {
    let access = if flags & MNT_RDONLY != 0 { "ro" } else { "rw" };
    std::iter::once(access)
        .chain(
            MOUNT_FLAGS
                .iter()
                .filter(|(bit, _)| flags & bit != 0)
                .map(|(_, name)| *name),
        )
        .collect::<Vec<_>>()
        .join(",")
}

/// The mount a path's `statfs` describes. `f_type` is not stable across macOS releases:
/// the kind comes from `f_fstypename` alone.
pub fn mount_facts(on: &str, from: &str, fs_type: &str, flags: u32) -> MountFacts {
    MountFacts {
        mount_point: on.to_string(),
        fs_type: fs_type.to_string(),
        source: from.to_string(),
        options: mount_options(flags),
        fs_kind: Some(FsKind::detect(fs_type, None)),
    }
}

/// A sysctl integer as the kernel returns it: 4 or 8 native-endian bytes.
pub fn sysctl_int(bytes: &[u8]) -> Option<u64> {
    match bytes.len() {
        4 => Some(u32::from_ne_bytes(bytes.try_into().ok()?) as u64),
        8 => Some(u64::from_ne_bytes(bytes.try_into().ok()?)),
        _ => None,
    }
}

/// A sysctl string: its bytes up to the first NUL.
pub fn sysctl_string(bytes: &[u8]) -> String {
    fixed_name(bytes.iter().copied()).trim().to_string()
}

/// The CPU from `machdep.cpu.brand_string` and the `hw.perflevelN.{name,logicalcpu}` pairs
/// (Apple silicon: perflevel0 "Performance", perflevel1 "Efficiency"; Intel Macs have none).
pub fn host_cpu(brand: &str, cores: usize, levels: &[(String, u64)]) -> HostCpu {
    let count = |want: &str| {
        levels
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(want))
            .map(|(_, n)| *n as usize)
    };
    HostCpu {
        model: brand.to_string(),
        cores,
        performance_cores: count("Performance"),
        efficiency_cores: count("Efficiency"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statfs_fields_make_mount_facts() {
        // (f_mntonname, f_mntfromname, f_fstypename, f_flags, options, kind, mincore sees it)
        let cases = [
            (
                "/System/Volumes/Data",
                "/dev/disk3s5",
                "apfs",
                0x0480_5000u32 | 0x0000_1000,
                "rw,local,root,journaled",
                FsKind::Apfs,
                true,
            ),
            (
                "/",
                "/dev/disk3s1s1",
                "apfs",
                0x4880_5001,
                "ro,local,root,journaled,snapshot",
                FsKind::Apfs,
                true,
            ),
            (
                "/Volumes/Old",
                "/dev/disk4s2",
                "hfs",
                0x0080_1018,
                "rw,nosuid,nodev,local,journaled",
                FsKind::Hfs,
                true,
            ),
            (
                "/Volumes/share",
                "//me@nas/share",
                "smbfs",
                0x0000_0018,
                "rw,nosuid,nodev",
                FsKind::Smb,
                false,
            ),
            (
                "/Volumes/nfs",
                "nas:/export",
                "nfs",
                0x0000_0018,
                "rw,nosuid,nodev",
                FsKind::Nfs,
                true,
            ),
            (
                "/Volumes/fuse",
                "sshfs@host",
                "macfuse",
                0x0000_0018,
                "rw,nosuid,nodev",
                FsKind::Fuse,
                false,
            ),
            (
                "/dev",
                "devfs",
                "devfs",
                0x0000_0010,
                "rw,nodev",
                FsKind::Other,
                false,
            ),
        ];
        for (on, from, fs, flags, options, kind, visible) in cases {
            let m = mount_facts(on, from, fs, flags);
            assert_eq!(m.mount_point, on);
            assert_eq!(m.source, from);
            assert_eq!(m.options, options, "{on}");
            assert_eq!(m.kind(), kind, "{on}");
            assert_eq!(m.page_cache_visible(), visible, "{on}");
        }
    }

    #[test]
    fn fixed_names_stop_at_the_first_nul() {
        assert_eq!(fixed_name(*b"apfs\0\0\0\0garbage"), "apfs");
        assert_eq!(fixed_name(*b"nfs"), "nfs");
        assert_eq!(fixed_name([0u8; 16]), "");
    }

    #[test]
    fn sysctl_values_parse() {
        let memsize = (24u64 << 30).to_ne_bytes();
        assert_eq!(sysctl_int(&memsize), Some(24 << 30));
        assert_eq!(sysctl_int(&8u32.to_ne_bytes()), Some(8));
        assert_eq!(sysctl_int(&[1, 2, 3]), None);
        assert_eq!(sysctl_string(b"Apple M3 Pro\0"), "Apple M3 Pro");
        assert_eq!(
            sysctl_string(b"  Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz \0x"),
            "Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz"
        );
    }

    #[test]
    fn apple_silicon_has_p_and_e_cores_and_intel_neither() {
        let levels = [
            ("Performance".to_string(), 6),
            ("Efficiency".to_string(), 6),
        ];
        let m3 = host_cpu("Apple M3 Pro", 12, &levels);
        assert_eq!(
            (m3.performance_cores, m3.efficiency_cores),
            (Some(6), Some(6))
        );
        assert_eq!(m3.model, "Apple M3 Pro");
        let intel = host_cpu("Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz", 16, &[]);
        assert_eq!(
            (intel.performance_cores, intel.efficiency_cores),
            (None, None)
        );
        assert_eq!(intel.cores, 16);
    }
}
