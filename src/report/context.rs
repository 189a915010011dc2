//! The context a target's figures need: the speed of the CPU its agent ran on against the
//! host's (a fixed CPU kernel), and whether its cache phase could be verified (mincore sees
//! no page cache on FUSE, virtiofs, 9p). Read from env.json; used by report.md and the
//! terminal summary.

use std::fmt::Write as _;

use crate::cell::{Phase, Place};
use crate::env::{Env, TargetFacts};
use crate::measure::calibrate::{RUNS, SLOW_CPU};

/// Whether mincore could not see the page cache of the mount at `place` (`bind@vm`: that
/// engine's bind, not another's): its cache phases are unverified and its residency unknown.
pub(crate) fn residency_unverified(targets: &[TargetFacts], place: &str) -> bool {
    targets
        .iter()
        .find(|t| t.place() == place)
        .and_then(|t| t.mount.as_ref())
        .is_some_and(|m| !m.page_cache_visible())
}

/// The targets whose CPU ran below `SLOW_CPU`× the host's, with their speed.
pub(crate) fn slow_cpus(targets: &[TargetFacts]) -> Vec<(String, f64)> {
    targets
        .iter()
        .filter_map(|t| {
            let cpu = t.cpu.as_ref().filter(|c| c.slow())?;
            Some((t.place(), cpu.speed))
        })
        .collect()
}

/// The targets whose residency is unknown, with their filesystem type.
pub(crate) fn blind_mounts(targets: &[TargetFacts]) -> Vec<(String, &str)> {
    targets
        .iter()
        .filter_map(|t| {
            let mount = t.mount.as_ref().filter(|m| !m.page_cache_visible())?;
            Some((t.place(), mount.fs_type.as_str()))
        })
        .collect()
}

/// One sentence on the targets whose CPU is emulated or throttled, if any.
pub fn slow_cpu_warning(targets: &[TargetFacts]) -> Option<String> {
    let slow = slow_cpus(targets);
    if slow.is_empty() {
        return None;
    }
    let list = join(slow.iter().map(|(t, speed)| format!("{t} ({speed:.2}×)")));
    Some(format!(
        "the CPU where {list} ran is below {SLOW_CPU}× the host's: emulated or throttled. Ratios to native include that slowdown, not only storage."
    ))
}

/// One sentence on the targets whose cache phases are unverified, if any.
pub fn unverified_note(targets: &[TargetFacts]) -> Option<String> {
    let blind = blind_mounts(targets);
    if blind.is_empty() {
        return None;
    }
    let list = join(blind.iter().map(|(t, fs)| format!("{t} ({fs})")));
    Some(format!(
        "page cache residency is unknown on {list}: mincore cannot see that filesystem's cache, so cold and warm are unverified there."
    ))
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// The warning and the note, as report.md quotes, right before the ratios.
pub(crate) fn warnings(md: &mut String, env: &Env) {
    if let Some(w) = slow_cpu_warning(&env.targets) {
        let _ = writeln!(md, "> **Warning:** {w}\n");
    }
    if let Some(n) = unverified_note(&env.targets) {
        let _ = writeln!(md, "> **Unverified cache:** {n}\n");
    }
}

/// One line per target: the CPU kernel's time there and its speed against the host.
pub(crate) fn cpu_lines(md: &mut String, targets: &[TargetFacts]) {
    let calibrated: Vec<_> = targets
        .iter()
        .filter_map(|t| Some((t, t.cpu.as_ref()?)))
        .collect();
    if calibrated.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "CPU speed where each target's agent ran (a fixed CPU kernel, best of {RUNS}; host {}; speed = host time / target time):\n",
        seconds(calibrated[0].1.host_seconds)
    );
    for (t, cpu) in calibrated {
        let verdict = if cpu.slow() {
            format!("**{:.2}× the host: emulated or throttled**", cpu.speed)
        } else {
            format!("{:.2}× the host", cpu.speed)
        };
        let place = t.place();
        let _ = writeln!(md, "- `{place}`: {}, {verdict}", seconds(cpu.seconds));
    }
    md.push('\n');
}

/// One line per `volume-from-image` target: the engine's copy of the image into its fresh
/// volume at first use, timed on its own (not in any rep's figures).
pub(crate) fn copy_lines(md: &mut String, targets: &[TargetFacts]) {
    for t in targets {
        if let Some(copy) = &t.copy {
            let place = t.place();
            let _ = writeln!(md, "Copy at first use on `{place}`: {}.\n", copy.describe());
        }
    }
}

/// The mounts table's cells: CPU speed and how residency was seen.
pub(crate) fn cpu_cell(t: &TargetFacts) -> String {
    t.cpu
        .as_ref()
        .map(|c| format!("{:.2}×", c.speed))
        .unwrap_or_else(|| "?".into())
}

pub(crate) fn cache_cell(t: &TargetFacts) -> &'static str {
    match &t.mount {
        Some(m) if m.page_cache_visible() => "mincore",
        Some(_) => "unknown",
        None => "?",
    }
}

/// A summary row's phase, marked where the cache state could not be verified.
pub(crate) fn phase_label(env: &Env, place: &Place, phase: Phase) -> String {
    if residency_unverified(&env.targets, &place.to_string()) {
        format!("{phase} (unverified)")
    } else {
        phase.to_string()
    }
}

/// A summary row's cached share: unknown where mincore is blind, never 0%.
pub(crate) fn cached_label(env: &Env, place: &Place, residency: Option<f64>) -> String {
    if residency_unverified(&env.targets, &place.to_string()) {
        return "unknown".into();
    }
    residency
        .map(|r| format!("{:.0}%", r * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.1} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::CpuFacts;
    use crate::workload::MountFacts;

    fn target(name: &str, fs_type: &str, cpu_seconds: f64) -> TargetFacts {
        let mount = MountFacts {
            fs_type: fs_type.into(),
            ..MountFacts::default()
        };
        TargetFacts {
            target: name.into(),
            root: "/mb".into(),
            mount: Some(mount),
            container: None,
            image: None,
            volume: None,
            cpu: CpuFacts::new(cpu_seconds, 0.1),
            copy: None,
            engine: String::new(),
        }
    }

    #[test]
    fn a_vm_engines_bind_is_unverified_and_its_slow_cpu_named() {
        let targets = [
            target("native", "ext4", 0.1),
            target("bind", "virtiofs", 1.6),
            target("volume", "ext4", 1.5),
            target("tmpfs", "tmpfs", 0.19),
        ];
        let unverified: Vec<_> = ["native", "bind", "volume", "tmpfs", "missing"]
            .iter()
            .map(|t| residency_unverified(&targets, t))
            .collect();
        assert_eq!(unverified, [false, true, false, false, false]);
        assert_eq!(blind_mounts(&targets), [("bind".to_string(), "virtiofs")]);
        let slow: Vec<_> = slow_cpus(&targets).into_iter().map(|(t, _)| t).collect();
        assert_eq!(slow, ["bind", "volume"]);
        let warning = slow_cpu_warning(&targets).unwrap();
        assert!(
            warning.contains("bind (0.06×), volume (0.07×)"),
            "{warning}"
        );
        assert!(warning.contains("emulated or throttled"), "{warning}");
        let note = unverified_note(&targets).unwrap();
        assert!(note.contains("bind (virtiofs)"), "{note}");
    }

    #[test]
    fn each_engines_target_is_found_by_its_place() {
        let on = |engine: &str, fs_type: &str, cpu_seconds: f64| TargetFacts {
            engine: engine.into(),
            ..target("bind", fs_type, cpu_seconds)
        };
        let targets = [on("default", "ext4", 0.1), on("vm", "virtiofs", 1.6)];
        let unverified: Vec<_> = ["bind", "bind@vm", "bind@default"]
            .iter()
            .map(|p| residency_unverified(&targets, p))
            .collect();
        assert_eq!(unverified, [false, true, false]);
        let mut md = String::new();
        cpu_lines(&mut md, &targets);
        assert!(md.contains("- `bind`: 100.0 ms, 1.00×"), "{md}");
        assert!(md.contains("- `bind@vm`: 1.60 s, **0.06×"), "{md}");
    }

    #[test]
    fn the_copy_at_first_use_has_its_own_line() {
        let mut targets = vec![target("volume-from-image", "ext4", 0.1)];
        targets[0].engine = "default".into();
        let mut md = String::new();
        copy_lines(&mut md, &targets);
        assert!(md.is_empty());
        targets[0].copy = Some(crate::env::CopyFacts {
            seconds: 0.5,
            bytes: 64 << 20,
            files: 10,
            with_copy_seconds: 0.8,
            baseline_seconds: 0.3,
        });
        copy_lines(&mut md, &targets);
        assert!(md.contains("`volume-from-image`"), "{md}");
        assert!(md.contains("64.0 MiB (10 files)"), "{md}");
        assert!(md.contains("in 0.50 s (128 MiB/s)"), "{md}");
    }

    #[test]
    fn a_local_engine_needs_no_warning() {
        let targets = [target("native", "ext4", 0.1), target("bind", "ext4", 0.1)];
        assert_eq!(slow_cpu_warning(&targets), None);
        assert_eq!(unverified_note(&targets), None);
        assert_eq!(cache_cell(&targets[1]), "mincore");
        assert_eq!(cpu_cell(&targets[1]), "1.00×");
    }
}
