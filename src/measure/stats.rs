use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

const BOOTSTRAP_RESAMPLES: usize = 2000;

/// Statistics of the reps of one cell.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub(crate) struct SampleStats {
    pub n: usize,
    pub median: f64,
    pub mean: f64,
    pub stdev: f64,
    /// Coefficient of variation: stdev / mean.
    pub cv: f64,
    /// Bootstrap 95% confidence interval of the median.
    pub ci_low: f64,
    pub ci_high: f64,
}

pub(crate) fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 0 {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn resample_median(values: &[f64], rng: &mut ChaCha8Rng, scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend((0..values.len()).map(|_| values[rng.random_range(0..values.len())]));
    median(scratch)
}

impl SampleStats {
    /// Statistics of `values`; the bootstrap is seeded so the same input gives the same CI.
    pub(crate) fn of(values: &[f64], seed: u64) -> Self {
        let n = values.len();
        if n == 0 {
            return SampleStats {
                median: f64::NAN,
                mean: f64::NAN,
                stdev: f64::NAN,
                cv: f64::NAN,
                ci_low: f64::NAN,
                ci_high: f64::NAN,
                n,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let stdev = if n > 1 {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut scratch = Vec::with_capacity(n);
        let mut medians: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
            .map(|_| resample_median(values, &mut rng, &mut scratch))
            .collect();
        medians.sort_by(f64::total_cmp);
        SampleStats {
            n,
            median: median(values),
            mean,
            stdev,
            cv: if mean != 0.0 { stdev / mean } else { 0.0 },
            ci_low: percentile_sorted(&medians, 0.025),
            ci_high: percentile_sorted(&medians, 0.975),
        }
    }
}

/// Ratio of medians `numerator / denominator` with a bootstrap 95% CI (both samples resampled
/// independently). Returns (ratio, low, high).
pub(crate) fn bootstrap_ratio(
    numerator: &[f64],
    denominator: &[f64],
    seed: u64,
) -> (f64, f64, f64) {
    if numerator.is_empty() || denominator.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let ratio = median(numerator) / median(denominator);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut scratch = Vec::new();
    let mut ratios: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let n = resample_median(numerator, &mut rng, &mut scratch);
            let d = resample_median(denominator, &mut rng, &mut scratch);
            n / d
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    (
        ratio,
        percentile_sorted(&ratios, 0.025),
        percentile_sorted(&ratios, 0.975),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        let cases: [(&[f64], f64); 3] = [
            (&[3.0, 1.0, 2.0], 2.0),
            (&[4.0, 1.0, 3.0, 2.0], 2.5),
            (&[7.0], 7.0),
        ];
        for (values, want) in cases {
            assert_eq!(median(values), want);
        }
    }

    #[test]
    fn stats_of_known_sample() {
        let s = SampleStats::of(&[100.0, 102.0, 98.0, 101.0, 99.0], 1);
        assert_eq!(s.median, 100.0);
        assert!((s.mean - 100.0).abs() < 1e-9);
        assert!((s.stdev - 1.5811).abs() < 1e-3);
        assert!(s.cv < 0.05);
        assert!(s.ci_low <= 100.0 && s.ci_high >= 100.0);
        assert!(s.ci_low >= 98.0 && s.ci_high <= 102.0);
        assert_eq!(s, SampleStats::of(&[100.0, 102.0, 98.0, 101.0, 99.0], 1));
    }

    #[test]
    fn ratio_ci_brackets_the_ratio() {
        let (r, lo, hi) = bootstrap_ratio(&[50.0, 51.0, 49.0], &[100.0, 99.0, 101.0], 3);
        assert!((r - 0.5).abs() < 1e-9);
        assert!(lo <= r && r <= hi && lo > 0.45 && hi < 0.55);
    }
}
