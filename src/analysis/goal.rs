//! The precision a run aims for (`[run] target_ci`, `--target-ci`): the half-width of a
//! row's 95% CI relative to its figure — the ratio to native where the row has one to
//! another target, else its own median — and whether the row reached it or stopped at
//! `max_reps`.

use crate::percent::Percent;
pub(crate) use crate::results::CiStatus;
use crate::results::SummaryRow;

/// Rounds go on until every row's CI half-width is at most `target` of its figure, up to
/// `max_reps` measured reps per cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CiGoal {
    pub target: Percent,
    pub max_reps: u32,
}

/// What a row's precision is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Judged {
    /// The ratio to native (a target with a native baseline).
    Ratio,
    /// The row's own median (native itself when nothing is compared with it is not judged;
    /// a run without native judges each median).
    Median,
    /// Not judged: native, the baseline of other targets (its ratio to itself is 1).
    Baseline,
}

/// The half-width of the row's 95% CI relative to the figure it judges; None when it has
/// no finite CI.
pub(crate) fn half_width(row: &SummaryRow, judged: Judged) -> Option<f64> {
    let (value, lo, hi) = match judged {
        Judged::Ratio => (row.ratio_to_native?, row.ratio_ci_low?, row.ratio_ci_high?),
        Judged::Median if row.moves_bytes() => {
            (row.median_mib_s, row.ci_low_mib_s, row.ci_high_mib_s)
        }
        Judged::Median => (row.median_ops_s, row.ci_low_ops_s, row.ci_high_ops_s),
        Judged::Baseline => return Some(0.0),
    };
    let width = (hi - lo) / 2.0 / value.abs();
    Some(width).filter(|w| w.is_finite())
}

impl CiGoal {
    /// Where a row stands after `rounds` measured reps (successful or failed) of its cell.
    pub(crate) fn status(&self, half_width: Option<f64>, rounds: usize) -> CiStatus {
        match half_width {
            Some(w) if w <= self.target.fraction() => CiStatus::Reached,
            _ if rounds >= self.max_reps as usize => CiStatus::Capped,
            _ => CiStatus::Open,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ratio: Option<(f64, f64, f64)>) -> SummaryRow {
        let mut row: SummaryRow = serde_json::from_value(serde_json::json!({
            "schema": 1, "run_id": "r", "host": "h", "os": "Linux", "engine": "none",
            "workload": "w", "kind": "seq-read", "target": "bind", "phase": "warm",
            "metric": "read", "reps": 5, "failed": 0,
            "median_mib_s": 100.0, "mean_mib_s": 100.0, "stdev_mib_s": 1.0,
            "ci_low_mib_s": 90.0, "ci_high_mib_s": 110.0,
            "median_ops_s": 10.0, "ci_low_ops_s": 9.0, "ci_high_ops_s": 11.0,
            "cv": 0.01, "noisy": false, "ratio_to_native": null, "ratio_ci_low": null,
            "ratio_ci_high": null, "residency": null, "overhead_s": null, "op": "read",
            "p50_us": null, "p90_us": null, "p99_us": null, "p999_us": null, "max_us": null,
        }))
        .unwrap();
        if let Some((r, lo, hi)) = ratio {
            (row.ratio_to_native, row.ratio_ci_low, row.ratio_ci_high) =
                (Some(r), Some(lo), Some(hi));
        }
        row
    }

    #[test]
    fn half_widths_are_relative_to_the_judged_figure() {
        let r = row(Some((0.5, 0.49, 0.52)));
        let w = half_width(&r, Judged::Ratio).unwrap();
        assert!((w - 0.03).abs() < 1e-12, "{w}");
        assert!((half_width(&r, Judged::Median).unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(half_width(&r, Judged::Baseline), Some(0.0));
        assert_eq!(half_width(&row(None), Judged::Ratio), None);
    }

    #[test]
    fn reached_capped_or_open() {
        let goal = CiGoal {
            target: Percent::parse("3%").unwrap(),
            max_reps: 10,
        };
        let cases = [
            (Some(0.02), 5, CiStatus::Reached),
            (Some(0.03), 10, CiStatus::Reached),
            (Some(0.04), 9, CiStatus::Open),
            (Some(0.04), 10, CiStatus::Capped),
            (None, 3, CiStatus::Open),
            (None, 12, CiStatus::Capped),
        ];
        for (width, rounds, want) in cases {
            assert_eq!(goal.status(width, rounds), want, "{width:?} after {rounds}");
        }
    }
}
