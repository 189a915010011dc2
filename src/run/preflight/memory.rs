//! Memory: a tmpfs's pages cannot be reclaimed; they count against their container's memory
//! limit and the machine's memory, next to the page cache a warm rep's dataset needs.

use super::need::{Needs, Storage};
use super::space::{human, KeepFree};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::targets::spec::{TargetKind, TargetSpec};

/// Memory the agent needs in its container besides tmpfs pages.
pub const AGENT_HEADROOM: u64 = 256 << 20;

/// Whether the volume-opts target's volume is a tmpfs (its own filesystem, in memory).
pub fn tmpfs_volume(plan: &Plan) -> bool {
    let opts = &plan.file.targets.volume_opts.driver_opts;
    opts.get("type").is_some_and(|t| t == "tmpfs")
}

/// The memory a target's tmpfs takes, and what sets it; None without a tmpfs.
fn tmpfs_memory(plan: &Plan, needs: &Needs, target: TargetSpec) -> Option<(u64, String)> {
    match target.kind {
        TargetKind::Tmpfs => {
            let size = plan.file.targets.tmpfs.size;
            Some((size.0, format!("[targets.tmpfs] size {size}")))
        }
        TargetKind::VolumeOpts if tmpfs_volume(plan) => {
            let total = needs.total(Storage::Target(target), &|_| false);
            Some((
                total.bytes,
                "what the plan writes to its tmpfs volume".into(),
            ))
        }
        TargetKind::VolumeOpts
        | TargetKind::Native
        | TargetKind::Bind
        | TargetKind::Volume
        | TargetKind::Layer
        | TargetKind::Image
        | TargetKind::VolumeFromImage => None,
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
pub fn check_containers(plan: &Plan, needs: &Needs) -> Result<()> {
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
pub fn check_machine(plan: &Plan, needs: &Needs, memory: u64, what: &str) -> Result<()> {
    let mut tmpfs = 0u64;
    let mut in_memory = Vec::new();
    for &target in &plan.targets {
        if let Some((bytes, _)) = tmpfs_memory(plan, needs, target) {
            tmpfs = tmpfs.saturating_add(bytes);
            in_memory.push(target);
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
            "needs {} of memory for tmpfs pages and {} of page cache for warm reps; {what} has {} of memory and keeps {} free: it cannot hold that; nothing was written",
            human(tmpfs),
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

    fn plan(tmpfs: &str, memory: &str, volume: &str, targets: &str) -> Plan {
        let text = format!(
            r#"
[run]
targets = [{targets}]
[targets.tmpfs]
size = "{tmpfs}"
[targets.container]
memory = "{memory}"
[targets.volume-opts]
driver_opts = {{ type = "tmpfs", device = "tmpfs", o = "size={volume}" }}
[[workload]]
kind = "seq-read"
name = "seq"
shards = 4
shard_size = "512MiB"
phases = ["warm"]
"#
        );
        let file = WorkloadFile::parse(Path::new("t.toml"), &text).unwrap();
        Plan::new(file, &Overrides::default()).unwrap()
    }

    #[test]
    fn tmpfs_pages_and_warm_datasets_against_limits_and_memory() {
        // (tmpfs size, container memory, targets, machine memory, container ok, machine ok)
        let cases = [
            ("2GiB", "4GiB", r#""native", "tmpfs""#, 16 * GIB, true, true),
            ("4GiB", "4GiB", r#""tmpfs""#, 16 * GIB, false, true),
            ("2GiB", "2GiB", r#""volume-opts""#, 16 * GIB, false, true),
            ("2GiB", "4GiB", r#""volume-opts""#, 16 * GIB, true, true),
            ("2GiB", "4GiB", r#""native", "tmpfs""#, 5 * GIB, true, true),
            ("2GiB", "4GiB", r#""native", "tmpfs""#, 4 * GIB, true, false),
            ("2GiB", "4GiB", r#""native", "tmpfs""#, 3 * GIB, true, true),
            (
                "2GiB",
                "4GiB",
                r#""native", "tmpfs""#,
                5 * GIB / 2,
                true,
                false,
            ),
            ("2GiB", "4GiB", r#""native", "volume""#, GIB, true, true),
        ];
        for (tmpfs, memory, targets, machine, container_ok, machine_ok) in cases {
            let plan = plan(tmpfs, memory, "4g", targets);
            let needs = Needs::of(&plan);
            let label = format!("{tmpfs} {memory} {targets} {machine}");
            let container = check_containers(&plan, &needs);
            assert_eq!(container.is_ok(), container_ok, "{label}: {container:?}");
            let whole = check_machine(&plan, &needs, machine, "the engine");
            assert_eq!(whole.is_ok(), machine_ok, "{label}: {whole:?}");
            for e in [container.err(), whole.err()].into_iter().flatten() {
                let text = e.to_string();
                assert!(text.starts_with("workload \"seq\" on "), "{text}");
                assert!(text.contains("cannot hold"), "{text}");
            }
        }
    }
}
