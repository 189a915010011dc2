//! What a checkpoint's fsync meant, where the host has two kinds (macOS): the ratios compare
//! with a plain fsync, and the native save with F_FULLFSYNC is quoted beside it.

use std::fmt::Write as _;

use crate::metric::Metric;
use crate::results::SummaryRow;

use super::select::is_native;

/// One line per (workload, phase) whose native save was also timed with F_FULLFSYNC.
pub(crate) fn note(md: &mut String, rows: &[SummaryRow]) {
    let native = |metric: Metric, of: &SummaryRow| {
        rows.iter().find(|r| {
            is_native(r) && r.metric == metric && r.workload == of.workload && r.phase == of.phase
        })
    };
    let lines: Vec<String> = rows
        .iter()
        .filter(|r| is_native(r) && r.metric == Metric::SaveFullFsync && r.reps > 0)
        .filter_map(|full| {
            let plain = native(Metric::Save, full)?;
            Some(format!(
                "{} {}: {:.1} MiB/s with fsync, {:.1} MiB/s with F_FULLFSYNC ({:.2}×)",
                full.workload,
                full.phase,
                plain.median_mib_s,
                full.median_mib_s,
                full.median_mib_s / plain.median_mib_s
            ))
        })
        .collect();
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "> **Durability on this host:** native saves are timed with plain `fsync`, as Python's `os.fsync` makes them: the data may still sit in the drive's cache, and every ratio compares with that. `save-full-fsync` adds the `F_FULLFSYNC` that flushes the drive's cache, as databases and Rust's `sync_all` do. A container save near it means the engine turns the guest's fsync into a full flush. Native: {}.\n",
        lines.join("; ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(target: &str, metric: Metric, mib_s: f64) -> SummaryRow {
        let mut row = crate::report::select::tests::row(target, metric.name(), 5);
        row.workload = "ckpt".into();
        row.median_mib_s = mib_s;
        row
    }

    #[test]
    fn a_mac_host_quotes_both_saves_and_linux_says_nothing() {
        let mac = [
            row("native", Metric::Save, 2000.0),
            row("native", Metric::SaveFullFsync, 500.0),
            row("bind", Metric::Save, 100.0),
        ];
        let mut md = String::new();
        note(&mut md, &mac);
        assert!(
            md.contains("ckpt warm: 2000.0 MiB/s with fsync, 500.0 MiB/s with F_FULLFSYNC (0.25×)"),
            "{md}"
        );
        let mut linux = String::new();
        note(&mut linux, &mac[..1]);
        assert!(linux.is_empty());
    }
}
