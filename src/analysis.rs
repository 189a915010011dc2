//! Analysis: per-cell statistics, ratios to native and latency percentiles, derived only
//! from what the result files hold.

use std::collections::BTreeMap;

use crate::measure::stats::median;
use crate::measure::{bootstrap_ratio, LatencySummary, Op, SampleStats};
use crate::results::{CellKey, LatencyRow, RepRow, Results, SummaryRow, SCHEMA};
use crate::workload::kinds::train_epoch::AU_PASS;

/// A cell whose coefficient of variation exceeds this is flagged noisy.
pub const NOISY_CV: f64 = 0.05;

pub struct Analysis {
    pub summary: Vec<SummaryRow>,
    pub latency: Vec<LatencyRow>,
}

type MetricKey = (String, String, String, String); // workload, target, phase, metric

fn seed_of(key: &MetricKey) -> u64 {
    let text = format!("{}/{}/{}/{}", key.0, key.1, key.2, key.3);
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

pub fn analyze(results: &Results) -> Analysis {
    let mut groups: BTreeMap<MetricKey, Vec<&RepRow>> = BTreeMap::new();
    for row in results.reps.iter().filter(|r| !r.warmup) {
        let key = (
            row.workload.clone(),
            row.target.clone(),
            row.phase.clone(),
            row.metric.clone(),
        );
        groups.entry(key).or_default().push(row);
    }
    let ok_values = |rows: &[&RepRow], f: fn(&RepRow) -> f64| -> Vec<f64> {
        rows.iter().filter(|r| r.ok).map(|r| f(r)).collect()
    };
    let mut summary = Vec::new();
    for (key, rows) in &groups {
        let first = rows[0];
        let mib = ok_values(rows, |r| r.mib_s);
        let ops = ok_values(rows, |r| r.ops_s);
        let s = SampleStats::of(&mib, seed_of(key));
        let o = SampleStats::of(&ops, seed_of(key) ^ 1);
        // Noise and ratios follow the metric's own unit: ops/s where no bytes move.
        let by_ops = rows.iter().all(|r| r.bytes == 0);
        let value: fn(&RepRow) -> f64 = if by_ops { |r| r.ops_s } else { |r| r.mib_s };
        let headline = if by_ops { &o } else { &s };
        let au: Vec<f64> = rows.iter().filter(|r| r.ok).filter_map(|r| r.au).collect();
        let au_stats = (!au.is_empty()).then(|| SampleStats::of(&au, seed_of(key) ^ 3));
        let native_key = (
            key.0.clone(),
            "native".to_string(),
            key.2.clone(),
            key.3.clone(),
        );
        let ratio = groups
            .get(&native_key)
            .map(|native| {
                bootstrap_ratio(
                    &ok_values(rows, value),
                    &ok_values(native, value),
                    seed_of(key) ^ 2,
                )
            })
            .filter(|(r, _, _)| r.is_finite());
        let cell = CellKey {
            workload: key.0.clone(),
            target: key.1.clone(),
            phase: key.2.clone(),
        };
        let op = main_op(&key.3);
        let lat = results
            .histograms
            .get(&cell)
            .and_then(|h| op.and_then(|op| h.get(op)))
            .map(LatencySummary::of);
        let residency: Vec<f64> = rows
            .iter()
            .filter(|r| r.ok)
            .filter_map(|r| r.residency)
            .collect();
        let overhead: Vec<f64> = rows
            .iter()
            .filter(|r| r.ok)
            .filter_map(|r| r.overhead_s)
            .collect();
        summary.push(SummaryRow {
            schema: SCHEMA,
            run_id: first.run_id.clone(),
            host: first.host.clone(),
            os: first.os.clone(),
            engine: first.engine.clone(),
            workload: key.0.clone(),
            kind: first.kind.clone(),
            target: key.1.clone(),
            phase: key.2.clone(),
            metric: key.3.clone(),
            reps: mib.len(),
            failed: rows.len() - mib.len(),
            median_mib_s: s.median,
            mean_mib_s: s.mean,
            stdev_mib_s: s.stdev,
            ci_low_mib_s: s.ci_low,
            ci_high_mib_s: s.ci_high,
            median_ops_s: o.median,
            ci_low_ops_s: o.ci_low,
            ci_high_ops_s: o.ci_high,
            cv: headline.cv,
            noisy: headline.cv > NOISY_CV,
            ratio_to_native: ratio.map(|r| r.0),
            ratio_ci_low: ratio.map(|r| r.1),
            ratio_ci_high: ratio.map(|r| r.2),
            residency: (!residency.is_empty()).then(|| median(&residency)),
            overhead_s: (!overhead.is_empty()).then(|| median(&overhead)),
            op: op.map(|o| o.as_str().to_string()).unwrap_or_default(),
            p50_us: lat.map(|l| l.p50_us),
            p90_us: lat.map(|l| l.p90_us),
            p99_us: lat.map(|l| l.p99_us),
            p999_us: lat.map(|l| l.p999_us),
            max_us: lat.map(|l| l.max_us),
            au: au_stats.as_ref().map(|a| a.median),
            au_ci_low: au_stats.as_ref().map(|a| a.ci_low),
            au_ci_high: au_stats.as_ref().map(|a| a.ci_high),
            au_pass: au_stats.as_ref().map(|a| a.median >= AU_PASS),
        });
    }
    let mut latency = Vec::new();
    for (cell, hists) in &results.histograms {
        let meta = results.reps.iter().find(|r| {
            r.workload == cell.workload && r.target == cell.target && r.phase == cell.phase
        });
        for (op, h) in hists.iter() {
            let l = LatencySummary::of(h);
            latency.push(LatencyRow {
                schema: SCHEMA,
                run_id: results.meta.run_id.clone(),
                host: meta
                    .map(|m| m.host.clone())
                    .unwrap_or_else(|| results.meta.host.clone()),
                os: results.meta.os.clone(),
                engine: results.meta.engine.clone(),
                workload: cell.workload.clone(),
                target: cell.target.clone(),
                phase: cell.phase.clone(),
                op: op.as_str().to_string(),
                count: l.count,
                p50_us: l.p50_us,
                p90_us: l.p90_us,
                p99_us: l.p99_us,
                p999_us: l.p999_us,
                max_us: l.max_us,
            });
        }
    }
    Analysis { summary, latency }
}

/// The op whose latency stands for a metric.
pub fn main_op(metric: &str) -> Option<Op> {
    match metric {
        "read" => Some(Op::Read),
        "scan" => Some(Op::File),
        "save" | "write-fsync" | "write" => Some(Op::Write),
        "restore" => Some(Op::Restore),
        "epoch" => Some(Op::Wait),
        "create" => Some(Op::Create),
        "stat" => Some(Op::Stat),
        "rename" => Some(Op::Rename),
        "unlink" => Some(Op::Unlink),
        "backup" => Some(Op::Archive),
        "extract" => Some(Op::Extract),
        "visible" => Some(Op::Visible),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::RunMeta;

    fn row(target: &str, rep: u32, mib_s: f64, ok: bool) -> RepRow {
        RepRow {
            schema: SCHEMA,
            run_id: "r".into(),
            host: "h".into(),
            os: "Linux".into(),
            engine: "none".into(),
            workload: "seq".into(),
            kind: "seq-read".into(),
            target: target.into(),
            phase: "warm".into(),
            metric: "read".into(),
            rep,
            warmup: rep == 0,
            bytes: 1 << 20,
            ops: 1,
            seconds: 1.0 / mib_s,
            mib_s,
            ops_s: mib_s,
            p50_us: None,
            p99_us: None,
            residency: Some(1.0),
            overhead_s: Some(0.01),
            ok,
            error: String::new(),
            au: None,
        }
    }

    #[test]
    fn warmups_are_dropped_failures_counted_ratio_computed() {
        let mut results = Results::new(RunMeta::default());
        results.reps = vec![
            row("native", 0, 1.0, true),
            row("native", 1, 100.0, true),
            row("native", 2, 101.0, true),
            row("native", 3, 99.0, true),
            row("bind", 0, 1.0, true),
            row("bind", 1, 50.0, true),
            row("bind", 2, 0.0, false),
            row("bind", 3, 50.0, true),
        ];
        let a = analyze(&results);
        let bind = a.summary.iter().find(|s| s.target == "bind").unwrap();
        assert_eq!((bind.reps, bind.failed), (2, 1));
        assert_eq!(bind.median_mib_s, 50.0);
        assert!((bind.ratio_to_native.unwrap() - 0.5).abs() < 1e-9);
        let native = a.summary.iter().find(|s| s.target == "native").unwrap();
        assert_eq!(native.median_mib_s, 100.0);
        assert!(!native.noisy);
        assert_eq!(native.ratio_to_native, Some(1.0));
    }
}
