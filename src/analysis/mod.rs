//! Analysis: per-cell statistics, ratios to native and latency percentiles, derived only
//! from what the result files hold.

mod goal;
mod paired;
#[cfg(test)]
pub(crate) mod test_rows;

use std::collections::BTreeMap;

pub use goal::CiGoal;
pub(crate) use goal::{half_width, CiStatus, Judged};
pub(crate) use paired::{ratio, ByRound, RatioEstimate};

use crate::cell::{MetricKey, TargetKind, TargetSpec};
use crate::measure::stats::median;
use crate::measure::{LatencySummary, SampleStats};
use crate::results::{LatencyRow, RepRow, Results, SummaryRow, SCHEMA};
use crate::workload::cold::CacheCheck;
use crate::workload::kinds::train_epoch::AU_PASS;

/// A cell whose coefficient of variation exceeds this is flagged noisy.
pub(crate) const NOISY_CV: f64 = 0.05;

pub struct Analysis {
    pub summary: Vec<SummaryRow>,
    pub latency: Vec<LatencyRow>,
}

/// The measured (not warm-up) rows of each metric of each cell.
type Groups<'a> = BTreeMap<MetricKey, Vec<&'a RepRow>>;

/// The statistics of every cell, without a precision goal.
pub fn analyze(results: &Results) -> Analysis {
    analyze_with_goal(results, None)
}

/// The statistics of every cell; with a goal, each row also says whether its CI reached it.
pub fn analyze_with_goal(results: &Results, goal: Option<CiGoal>) -> Analysis {
    let mut groups: Groups = BTreeMap::new();
    for row in results.reps.iter().filter(|r| !r.warmup) {
        groups.entry(row.key()).or_default().push(row);
    }
    let summary = groups
        .iter()
        .map(|(key, rows)| {
            let mut row = summarize(results, &groups, key, rows);
            let goal = goal.filter(|_| !key.metric.is_boundary());
            judge(&mut row, goal, judged(&groups, key), rows.len());
            row
        })
        .collect();
    Analysis {
        summary,
        latency: latency_rows(results),
    }
}

/// One field of the successful rows.
fn ok_values(rows: &[&RepRow], f: impl Fn(&RepRow) -> f64) -> Vec<f64> {
    rows.iter().filter(|r| r.ok).map(|r| f(r)).collect()
}

/// One field, where set, of the successful rows.
fn ok_some(rows: &[&RepRow], f: impl Fn(&RepRow) -> Option<f64>) -> Vec<f64> {
    rows.iter().filter(|r| r.ok).filter_map(|r| f(r)).collect()
}

/// The baseline every other target is compared with.
/// The rows' values by round (rep), None where the rep failed; ratios follow the metric's
/// own unit (ops/s where no bytes move).
fn by_round(key: &MetricKey, rows: &[&RepRow]) -> ByRound {
    let value = |r: &RepRow| {
        if key.metric.moves_bytes() {
            r.mib_s
        } else {
            r.ops_s
        }
    };
    rows.iter()
        .map(|r| (r.rep, r.ok.then(|| value(r))))
        .collect()
}

/// The ratio to native's value of the same metric, workload and phase, paired by round
/// where every round is complete (native's own ratio is exactly 1).
fn ratio_to_native(groups: &Groups, key: &MetricKey, rows: &[&RepRow]) -> Option<RatioEstimate> {
    if key.metric.is_boundary() {
        return None;
    }
    let native = groups.get(&key.native())?;
    ratio(&by_round(key, rows), &by_round(key, native), key.seed() ^ 2)
}

/// What the goal judges a row on: native is the others' baseline when any other target
/// measured the same metric; a target without native is judged on its own median.
fn judged(groups: &Groups, key: &MetricKey) -> Judged {
    let baseline = key.native();
    let compared = groups
        .keys()
        .any(|k| !k.cell.target.is_native() && k.native() == baseline);
    let is_native = key.cell.target.is_native();
    match (is_native, compared, groups.contains_key(&baseline)) {
        (true, true, _) => Judged::Baseline,
        (true, false, _) | (false, _, false) => Judged::Median,
        (false, _, true) => Judged::Ratio,
    }
}

/// The ratio to the same engine's volume (`bind` of `volume`, `bind:ro` of `volume:ro`),
/// paired by round: should the dataset live in a volume?
fn ratio_to_volume(groups: &Groups, key: &MetricKey, rows: &[&RepRow]) -> Option<RatioEstimate> {
    if key.metric.is_boundary() {
        return None;
    }
    let volume = groups.get(&key.on(volume_of(key.cell.target)?))?;
    ratio(&by_round(key, rows), &by_round(key, volume), key.seed() ^ 4)
}

/// The row's CI half-width and, with a goal, where it stands after `rounds` measured reps.
fn judge(row: &mut SummaryRow, goal: Option<CiGoal>, judged: Judged, rounds: usize) {
    let width = half_width(row, judged);
    row.ci_half_width = width;
    row.ci_target = goal.map(|g| g.target);
    row.ci_status = goal.map(|g| g.status(width, rounds));
}

/// The volume a bind target is compared with on its own engine: does the dataset belong in a
/// volume rather than a bind mount?
fn volume_of(target: TargetSpec) -> Option<TargetSpec> {
    (target.kind == TargetKind::Bind).then_some(TargetSpec {
        kind: TargetKind::Volume,
        ..target
    })
}

fn summarize(results: &Results, groups: &Groups, key: &MetricKey, rows: &[&RepRow]) -> SummaryRow {
    let first = rows[0];
    let mib = ok_values(rows, |r| r.mib_s);
    let s = SampleStats::of(&mib, key.seed());
    let o = SampleStats::of(&ok_values(rows, |r| r.ops_s), key.seed() ^ 1);
    let headline = if key.metric.moves_bytes() { &s } else { &o };
    let au = ok_some(rows, |r| r.au);
    let au = (!au.is_empty()).then(|| SampleStats::of(&au, key.seed() ^ 3));
    let ratio = ratio_to_native(groups, key, rows);
    let volume = ratio_to_volume(groups, key, rows);
    let op = key.metric.main_op();
    let lat = results
        .histograms
        .get(&key.cell)
        .and_then(|h| h.get(op))
        .map(LatencySummary::of);
    let residency = ok_some(rows, |r| r.residency);
    let overhead = ok_some(rows, |r| r.overhead_s);
    SummaryRow {
        schema: SCHEMA,
        run_id: first.run_id.clone(),
        host: first.host.clone(),
        os: first.os.clone(),
        engine: key.cell.engine.clone(),
        engine_label: first.engine_label.clone(),
        workload: key.cell.workload.clone(),
        kind: first.kind.clone(),
        target: key.cell.target,
        phase: key.cell.phase,
        metric: key.metric,
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
        ratio_to_native: ratio.map(|r| r.ratio),
        ratio_ci_low: ratio.map(|r| r.lo),
        ratio_ci_high: ratio.map(|r| r.hi),
        ratio_method: ratio.map(|r| r.method),
        ci_half_width: None,
        ci_target: None,
        ci_status: None,
        cache_check: rows
            .iter()
            .filter(|r| r.ok)
            .filter_map(|r| r.cache_check)
            .max(),
        not_evicted: not_evicted(rows),
        residency: (!residency.is_empty()).then(|| median(&residency)),
        overhead_s: (!overhead.is_empty()).then(|| median(&overhead)),
        op,
        p50_us: lat.map(|l| l.p50_us),
        p90_us: lat.map(|l| l.p90_us),
        p99_us: lat.map(|l| l.p99_us),
        p999_us: lat.map(|l| l.p999_us),
        max_us: lat.map(|l| l.max_us),
        au: au.as_ref().map(|a| a.median),
        au_ci_low: au.as_ref().map(|a| a.ci_low),
        au_ci_high: au.as_ref().map(|a| a.ci_high),
        au_pass: au.as_ref().map(|a| a.median >= AU_PASS),
        ratio_to_volume: volume.map(|r| r.ratio),
        volume_ci_low: volume.map(|r| r.lo),
        volume_ci_high: volume.map(|r| r.hi),
    }
}

/// Cold cells: the successful reps whose data stayed cached.
fn not_evicted(rows: &[&RepRow]) -> Option<usize> {
    let checked: Vec<CacheCheck> = rows
        .iter()
        .filter(|r| r.ok)
        .filter_map(|r| r.cache_check)
        .collect();
    (!checked.is_empty()).then(|| {
        checked
            .iter()
            .filter(|c| **c == CacheCheck::NotEvicted)
            .count()
    })
}

/// Percentiles of every op of every cell, merged over the cell's measured reps.
fn latency_rows(results: &Results) -> Vec<LatencyRow> {
    let mut latency = Vec::new();
    for (cell, hists) in &results.histograms {
        let first = results.reps.iter().find(|r| r.cell() == *cell);
        let host = first.map_or_else(|| results.meta.host.clone(), |m| m.host.clone());
        let engine_label = first.map_or_else(
            || results.meta.engine_label(&cell.engine),
            |m| m.engine_label.clone(),
        );
        for (op, h) in hists.iter() {
            let l = LatencySummary::of(h);
            latency.push(LatencyRow {
                schema: SCHEMA,
                run_id: results.meta.run_id.clone(),
                host: host.clone(),
                os: results.meta.os.clone(),
                engine: cell.engine.clone(),
                engine_label: engine_label.clone(),
                workload: cell.workload.clone(),
                target: cell.target,
                phase: cell.phase,
                op,
                count: l.count,
                p50_us: l.p50_us,
                p90_us: l.p90_us,
                p99_us: l.p99_us,
                p999_us: l.p999_us,
                max_us: l.max_us,
            });
        }
    }
    latency
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{RatioMethod, RunMeta};

    fn row(target: &str, rep: u32, mib_s: f64, ok: bool) -> RepRow {
        RepRow {
            warmup: rep == 0,
            residency: Some(1.0),
            overhead_s: Some(0.01),
            ok,
            ..test_rows::seq_row(target, rep, mib_s)
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
        let bind = a
            .summary
            .iter()
            .find(|s| s.target.kind == TargetKind::Bind)
            .unwrap();
        assert_eq!((bind.reps, bind.failed), (2, 1));
        assert_eq!(bind.median_mib_s, 50.0);
        assert!((bind.ratio_to_native.unwrap() - 0.5).abs() < 1e-9);
        let native = a.summary.iter().find(|s| s.target.is_native()).unwrap();
        assert_eq!(native.median_mib_s, 100.0);
        assert!(!native.noisy);
        assert_eq!(native.ratio_to_native, Some(1.0));
    }

    #[test]
    fn ratios_pair_by_round_and_rows_are_judged_against_the_goal() {
        let mut results = Results::new(RunMeta::default());
        // The machine drifts by 2x over the rounds; bind is always 0.5x native, tmpfs
        // swings, and the volume has no native partner in another workload.
        for (rep, speed) in [(1, 100.0), (2, 60.0), (3, 200.0), (4, 140.0)] {
            results.reps.push(row("native", rep, speed, true));
            results.reps.push(row("bind", rep, speed / 2.0, true));
            let swing = if rep % 2 == 0 { 1.5 } else { 0.5 };
            results.reps.push(row("tmpfs", rep, speed * swing, true));
        }
        let goal = CiGoal {
            target: crate::percent::Percent::parse("3%").unwrap(),
            max_reps: 4,
        };
        let a = analyze_with_goal(&results, Some(goal));
        let get = |t: &str| {
            a.summary
                .iter()
                .find(|s| s.target.to_string() == t)
                .unwrap()
        };
        let bind = get("bind");
        assert_eq!(bind.ratio_method, Some(RatioMethod::Paired));
        assert_eq!(
            (bind.ratio_to_native, bind.ratio_ci_low, bind.ratio_ci_high),
            (Some(0.5), Some(0.5), Some(0.5))
        );
        assert_eq!(
            (bind.ci_half_width, bind.ci_status),
            (Some(0.0), Some(CiStatus::Reached))
        );
        assert!(bind.noisy, "its own median still drifts");
        let tmpfs = get("tmpfs");
        assert!(tmpfs.ci_half_width.unwrap() > 0.03);
        assert_eq!(tmpfs.ci_status, Some(CiStatus::Capped));
        let native = get("native");
        assert_eq!(
            (native.ci_half_width, native.ci_status),
            (Some(0.0), Some(CiStatus::Reached))
        );
        assert_eq!(native.ci_target.map(|t| t.to_string()), Some("3%".into()));
        assert!(analyze(&results)
            .summary
            .iter()
            .all(|s| s.ci_status.is_none()));
    }
}
