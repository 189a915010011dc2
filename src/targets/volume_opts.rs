//! The volume-opts target's driver options as an engine takes them. Podman before 4.8 reads
//! `size=` (and `inodes=`) in a local volume's `o` as a project quota on its volume folder and
//! refuses it where that filesystem has none, even for a tmpfs. A tmpfs size is then given to
//! the kernel as `nr_blocks` (pages) instead, which mounts the same filesystem; what cannot be
//! said another way leaves the target unserved, with why.

use std::collections::BTreeMap;

use crate::engine::identity::dialect::Dialect;
use crate::engine::identity::kind::EngineKind;
use crate::engine::identity::EngineFacts;

/// The volume-opts target's options for the engine of `facts`, or why it cannot make them.
pub(crate) fn for_facts(
    opts: &BTreeMap<String, String>,
    facts: &EngineFacts,
) -> Result<BTreeMap<String, String>, String> {
    // The engine's kernel is the host's only when local native; elsewhere (a VM) the usual
    // 4 KiB of x86_64 and of the aarch64 kernels such VMs run.
    let page_size = match facts.kind() {
        Some(EngineKind::LocalNative) => rustix::param::page_size() as u64,
        Some(EngineKind::VmBacked | EngineKind::Remote) | None => 4096,
    };
    for_engine(opts, facts.dialect(), page_size)
}

/// The options to create the volume with on an engine speaking `dialect`, or why that engine
/// cannot make this volume. `page_size` is the engine kernel's page size.
pub(crate) fn for_engine(
    opts: &BTreeMap<String, String>,
    dialect: Dialect,
    page_size: u64,
) -> Result<BTreeMap<String, String>, String> {
    let Some(o) = opts.get("o") else {
        return Ok(opts.clone());
    };
    if dialect.tmpfs_volume_takes_size() || !o.split(',').any(|part| quota_key(part).is_some()) {
        return Ok(opts.clone());
    }
    let engine = dialect.software("");
    let engine = engine.trim();
    if opts.get("type").map(String::as_str) != Some("tmpfs") {
        return Err(format!(
            "{engine} (before 4.8) reads size= and inodes= in a volume's o as a project quota, which its volume folder's filesystem may lack; set [targets.volume-opts] driver_opts without them"
        ));
    }
    let parts: Result<Vec<String>, String> = o
        .split(',')
        .map(|part| match quota_key(part) {
            Some(("size", value)) => tmpfs_bytes(value)
                .map(|bytes| format!("nr_blocks={}", bytes.div_ceil(page_size.max(1))))
                .ok_or_else(|| {
                    format!("{engine} (before 4.8) refuses size= on a tmpfs volume, and size={value} has no page count to give as nr_blocks instead (give it in bytes, k, m or g)")
                }),
            Some((key, _)) => Err(format!(
                "{engine} (before 4.8) refuses {key}= on a tmpfs volume (tmpfs counts inodes with nr_inodes=)"
            )),
            None => Ok(part.to_string()),
        })
        .collect();
    let mut translated = opts.clone();
    translated.insert("o".into(), parts?.join(","));
    Ok(translated)
}

/// `size=…` or `inodes=…` (the options Podman takes for a quota), as (key, value).
fn quota_key(part: &str) -> Option<(&'static str, &str)> {
    let (key, value) = part.trim().split_once('=')?;
    match key.trim().to_lowercase().as_str() {
        "size" => Some(("size", value.trim())),
        "inodes" => Some(("inodes", value.trim())),
        _ => None,
    }
}

/// A tmpfs `size=` in bytes: a number with an optional k, m, g, t, p or e (powers of 1024,
/// as the kernel reads them); `None` for a share of memory ("50%") or nonsense.
fn tmpfs_bytes(value: &str) -> Option<u64> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, suffix) = value.split_at(split);
    let number: u64 = digits.parse().ok()?;
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        "p" => 50,
        "e" => 60,
        _ => return None,
    };
    number.checked_mul(1u64 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::identity::dialect::Version;

    fn opts(o: &str, typ: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("type".to_string(), typ.to_string()),
            ("device".to_string(), typ.to_string()),
            ("o".to_string(), o.to_string()),
        ])
    }

    #[test]
    fn old_podman_gets_tmpfs_sizes_in_pages() {
        let old = Dialect::Podman(Some(Version::new(4, 3, 1)));
        let new = Dialect::Podman(Some(Version::new(4, 8, 0)));
        // (o, type, engine, the o sent or the start of why not)
        #[rustfmt::skip]
        let cases = [
            ("size=1g", "tmpfs", old, Ok("nr_blocks=262144")),
            ("size=64m,uid=0", "tmpfs", old, Ok("nr_blocks=16384,uid=0")),
            ("mode=1777,SIZE=1000", "tmpfs", old, Ok("mode=1777,nr_blocks=1")),
            ("nr_blocks=10", "tmpfs", old, Ok("nr_blocks=10")),
            ("size=1g", "tmpfs", new, Ok("size=1g")),
            ("size=1g", "tmpfs", Dialect::Docker, Ok("size=1g")),
            ("size=50%", "tmpfs", old, Err("Podman 4.3.1 (before 4.8) refuses size= on a tmpfs volume, and size=50%")),
            ("inodes=100", "tmpfs", old, Err("Podman 4.3.1 (before 4.8) refuses inodes=")),
            ("size=1g", "ext4", old, Err("Podman 4.3.1 (before 4.8) reads size=")),
            ("size=1g", "tmpfs", Dialect::Podman(None), Ok("nr_blocks=262144")),
        ];
        for (o, typ, dialect, want) in cases {
            let got = for_engine(&opts(o, typ), dialect, 4096);
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got["o"], want, "{o} {dialect:?}"),
                (Err(why), Err(want)) => assert!(why.starts_with(want), "{o}: {why}"),
                (got, want) => panic!("{o} {dialect:?}: {got:?}, wanted {want:?}"),
            }
        }
        let bare = BTreeMap::from([("type".to_string(), "tmpfs".to_string())]);
        assert_eq!(for_engine(&bare, old, 4096), Ok(bare.clone()));
    }

    #[test]
    fn reads_tmpfs_sizes_as_the_kernel_does() {
        assert_eq!(tmpfs_bytes("4096"), Some(4096));
        assert_eq!(tmpfs_bytes("2K"), Some(2048));
        assert_eq!(tmpfs_bytes("1g"), Some(1 << 30));
        assert_eq!(tmpfs_bytes("50%"), None);
        assert_eq!(tmpfs_bytes("1.5g"), None);
        assert_eq!(tmpfs_bytes("99999999e"), None);
    }
}
