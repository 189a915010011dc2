//! Memory: a tmpfs's pages cannot be reclaimed; they count against their container's memory
//! limit and the machine's memory, next to the page cache a warm rep's dataset needs.

use super::need::{Needs, Storage};
use super::space::{human, KeepFree};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::targets::spec::{Store, TargetSpec};

/// Memory the agent needs in its container besides tmpfs pages.
pub(crate) const AGENT_HEADROOM: u64 = 256 << 20;

/// Whether the volume-opts target's volume is a tmpfs (its own filesystem, in memory).
pub(crate) fn tmpfs_volume(plan: &Plan) -> bool {
    let opts = &plan.file.targets.volume_opts.driver_opts;
    opts.get("type").is_some_and(|t| t == "tmpfs")
}

/// What a tmpfs holds besides the bytes the run writes into it: a tenth more, at least
/// 32 MiB, for small files rounded up to whole pages, directories and inodes, and the
/// checkpoint file being replaced while its predecessor is still there.
pub(crate) const TMPFS_MARGIN_MIN: u64 = 32 << 20;
pub(crate) const TMPFS_MARGIN_DIVISOR: u64 = 10;

/// The margin on `bytes` written to a tmpfs.
pub(crate) fn tmpfs_margin(bytes: u64) -> u64 {
    (bytes / TMPFS_MARGIN_DIVISOR).max(TMPFS_MARGIN_MIN)
}

/// The memory a target's tmpfs takes, and what sets it; None without a tmpfs. Its pages are
/// what the run writes there (datasets, checkpoints, scratch files at the run's scale) plus
/// the margin; the tmpfs target's size limit only bounds them (its free space is checked
/// against the same bytes in `tmpfs_entries`).
fn tmpfs_memory(plan: &Plan, needs: &Needs, target: TargetSpec) -> Option<(u64, String)> {
    let written = || needs.total(Storage::Target(target), &|_| false).bytes;
    let with_margin = |bytes: u64| bytes.saturating_add(tmpfs_margin(bytes));
    let describe = |bytes: u64| {
        format!(
            "the {} the run writes there plus a margin of {}",
            human(bytes),
            human(tmpfs_margin(bytes))
        )
    };
    match target.kind.store() {
        Store::Tmpfs => {
            let size = plan.file.targets.tmpfs.size;
            let bytes = written();
            let pages = with_margin(bytes);
            if pages >= size.0 {
                return Some((size.0, format!("[targets.tmpfs] size {size}")));
            }
            Some((pages, describe(bytes)))
        }
        Store::Volume { driver_opts: true } if tmpfs_volume(plan) => {
            let bytes = written();
            Some((with_margin(bytes), describe(bytes)))
        }
        Store::Volume { .. } | Store::HostDir | Store::Layer => None,
    }
}

fn place(needs: &Needs, targets: &[TargetSpec]) -> String {
    let main = targets
        .iter()
        .map(|t| needs.total(Storage::Target(*t), &|_| false))
        .max_by_key(|t| t.bytes)
        .map(|t| t.main)
        .unwrap_or_default();
    let names: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
    format!("workload \"{main}\" on {}", names.join(", "))
}

/// Each tmpfs and the agent within its container's memory limit.
pub(crate) fn check_containers(plan: &Plan, needs: &Needs) -> Result<()> {
    let limit = plan.file.targets.container.memory;
    for &target in &plan.targets {
        let Some((bytes, what)) = tmpfs_memory(plan, needs, target) else {
            continue;
        };
        if bytes.saturating_add(AGENT_HEADROOM) > limit.0 {
            return Err(Error::input(
                place(needs, &[target]),
                format!(
                    "needs {} of memory for tmpfs pages ({what}) plus {} for the agent; the container memory limit is {limit} ([targets.container] memory in {}) and tmpfs pages count against it: it cannot hold that; nothing was written",
                    human(bytes),
                    human(AGENT_HEADROOM),
                    plan.file.path.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Every tmpfs of the run (all alive until it ends) next to the page cache of the largest
/// dataset a warm rep reads elsewhere, within `memory` (the engine's, or the host's) less
/// what stays free. A dataset larger than half the memory cannot be kept warm anyway (see
/// `dataset::settle`) and needs no page cache here.
pub(crate) fn check_machine(plan: &Plan, needs: &Needs, memory: u64, what: &str) -> Result<()> {
    let mut tmpfs = 0u64;
    let mut in_memory = Vec::new();
    let mut whats = Vec::new();
    for &target in &plan.targets {
        if let Some((bytes, what)) = tmpfs_memory(plan, needs, target) {
            tmpfs = tmpfs.saturating_add(bytes);
            in_memory.push(target);
            whats.push(format!("{target}: {what}"));
        }
    }
    if in_memory.is_empty() {
        return Ok(());
    }
    let cache = needs
        .storages()
        .filter(|s| !matches!(s, Storage::Target(t) if in_memory.contains(t)))
        .map(|s| Needs::warm_dataset(plan, s))
        .filter(|bytes| *bytes <= memory / 2)
        .max()
        .unwrap_or(0);
    let kept = KeepFree::Default.of(memory);
    if tmpfs.saturating_add(cache).saturating_add(kept) <= memory {
        return Ok(());
    }
    Err(Error::input(
        place(needs, &in_memory),
        format!(
            "needs {} of memory for tmpfs pages ({}) and {} of page cache for warm reps; {what} has {} of memory and keeps {} free: it cannot hold that; nothing was written",
            human(tmpfs),
            whats.join("; "),
            human(cache),
            human(memory),
            human(kept)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Overrides, WorkloadFile};
    use std::path::Path;

    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;

    /// A plan writing `shards` × 512 MiB into each of `targets`.
    fn plan(shards: u32, tmpfs: &str, memory: &str, targets: &str) -> Plan {
        let text = format!(
            r#"
[run]
targets = [{targets}]
[targets.tmpfs]
size = "{tmpfs}"
[targets.container]
memory = "{memory}"
[targets.volume-opts]
driver_opts = {{ type = "tmpfs", device = "tmpfs", o = "size=4g" }}
[[workload]]
kind = "seq-read"
name = "seq"
shards = {shards}
shard_size = "512MiB"
phases = ["warm"]
"#
        );
        let file = WorkloadFile::parse(Path::new("t.toml"), &text).unwrap();
        Plan::new(file, &Overrides::default()).unwrap()
    }

    struct Case {
        shards: u32,
        tmpfs: &'static str,
        memory: &'static str,
        targets: &'static str,
        machine: u64,
        container_ok: bool,
        machine_ok: bool,
    }

    #[rustfmt::skip]
    fn cases() -> Vec<Case> {
        let case = |shards, tmpfs, memory, targets, machine, container_ok, machine_ok| Case {
            shards, tmpfs, memory, targets, machine, container_ok, machine_ok,
        };
        let (nt, t, vo, nv) = (r#""native", "tmpfs""#, r#""tmpfs""#, r#""volume-opts""#, r#""native", "volume""#);
        vec![
            // 2 GiB written, as large as the tmpfs: its size counts.
            case(4, "2GiB", "4GiB", nt, 16 * GIB, true, true),
            // 2 GiB + 204.8 MiB margin + 256 MiB agent within 4 GiB (its 4 GiB size would not be).
            case(4, "4GiB", "4GiB", t, 16 * GIB, true, true),
            case(4, "2GiB", "2GiB", vo, 16 * GIB, false, true),
            case(4, "2GiB", "4GiB", vo, 16 * GIB, true, true),
            // 2 GiB of tmpfs + 2 GiB of native's warm page cache + 1 GiB kept free.
            case(4, "2GiB", "4GiB", nt, 5 * GIB, true, true),
            case(4, "2GiB", "4GiB", nt, 4 * GIB, true, false),
            // Native's 2 GiB is more than half of 3 GiB: it is not kept warm, needs no cache.
            case(4, "2GiB", "4GiB", nt, 3 * GIB, true, true),
            case(4, "2GiB", "4GiB", nt, 5 * GIB / 2, true, false),
            case(4, "2GiB", "4GiB", nv, GIB, true, true),
            // A tmpfs limit far above what is written: the bytes count, not the limit.
            // 512 MiB written + 51.2 MiB margin + 1 GiB kept < 1.9 GiB (a 2 GiB VM).
            case(1, "8GiB", "16GiB", t, 1946 * MIB, true, true),
            case(1, "8GiB", "1GiB", t, 16 * GIB, true, true),
            // ... but still within the memory: 1.5 GiB + 154 MiB + 1 GiB > 2.5 GiB.
            case(3, "8GiB", "16GiB", t, 5 * GIB / 2, true, false),
            case(3, "8GiB", "16GiB", t, 3 * GIB, true, true),
            // ... and within the container's limit: 1.5 GiB + 154 MiB + 256 MiB > 1.75 GiB.
            case(3, "8GiB", "1792MiB", t, 16 * GIB, false, true),
        ]
    }

    #[test]
    fn tmpfs_pages_and_warm_datasets_against_limits_and_memory() {
        for c in cases() {
            let plan = plan(c.shards, c.tmpfs, c.memory, c.targets);
            let needs = Needs::of(&plan);
            let label = format!(
                "{} × 512MiB, {} {} {} {}",
                c.shards, c.tmpfs, c.memory, c.targets, c.machine
            );
            let container = check_containers(&plan, &needs);
            assert_eq!(container.is_ok(), c.container_ok, "{label}: {container:?}");
            let whole = check_machine(&plan, &needs, c.machine, "the engine");
            assert_eq!(whole.is_ok(), c.machine_ok, "{label}: {whole:?}");
            for e in [container.err(), whole.err()].into_iter().flatten() {
                let text = e.to_string();
                assert!(text.starts_with("workload \"seq\" on "), "{text}");
                assert!(text.contains("cannot hold"), "{text}");
            }
        }
    }

    #[test]
    fn the_message_names_the_bytes_and_the_margin_or_the_limit() {
        // (shards, tmpfs size, wanted in the engine's refusal)
        let cases = [
            (3, "8GiB", "1.6GiB of memory for tmpfs pages (tmpfs: the 1.5GiB the run writes there plus a margin of 153.6MiB)"),
            (4, "2GiB", "2.0GiB of memory for tmpfs pages (tmpfs: [targets.tmpfs] size 2GiB)"),
            (1, "8GiB", "563.2MiB of memory"),
        ];
        for (shards, tmpfs, want) in cases {
            let plan = plan(shards, tmpfs, "16GiB", r#""tmpfs""#);
            let needs = Needs::of(&plan);
            let text = check_machine(&plan, &needs, GIB, "engine vm")
                .unwrap_err()
                .to_string();
            assert!(text.contains(want), "{want:?} not in {text}");
        }
    }

    #[test]
    fn the_margin_is_a_tenth_at_least_32_mib() {
        for (bytes, margin) in [(0, 32 * MIB), (100 * MIB, 32 * MIB), (GIB, GIB / 10)] {
            assert_eq!(tmpfs_margin(bytes), margin, "{bytes}");
        }
    }

    /// quick.toml's default targets on a 2 GiB VM engine (the test VM's `--mem 2G` guest
    /// reports 2,060,406,784 bytes):
    /// refused at full scale (its 1.2 GiB of tmpfs pages and 1 GiB kept free do not fit),
    /// accepted at the scales a software CPU needs.
    #[test]
    fn quick_toml_on_a_2_gib_engine() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/quick.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let machine = 2_060_406_784;
        for (scale, fits) in [
            (None, false),
            (Some(0.5), false),
            (Some(0.25), true),
            (Some(0.1), true),
        ] {
            let file = WorkloadFile::parse(&path, &text).unwrap();
            let overrides = Overrides {
                scale,
                ..Overrides::default()
            };
            let plan = Plan::new(file, &overrides).unwrap();
            let needs = Needs::of(&plan);
            let got = check_machine(&plan, &needs, machine, "engine vm");
            eprintln!("quick.toml at scale {scale:?}: {got:?}");
            assert_eq!(got.is_ok(), fits, "scale {scale:?}: {got:?}");
            check_containers(&plan, &needs).unwrap();
        }
    }
}
