//! Lines from latency histograms: a few percentiles, or the whole CDF.

use hdrhistogram::Histogram;

const PERCENTILES: [(f64, &str); 4] = [(0.5, "p50"), (0.9, "p90"), (0.99, "p99"), (0.999, "p99.9")];

/// The percentile panels' categories.
pub(super) fn percentile_names() -> Vec<String> {
    PERCENTILES.iter().map(|p| p.1.to_string()).collect()
}

/// (category index, µs) at each of PERCENTILES.
pub(super) fn percentile_points(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    PERCENTILES
        .iter()
        .enumerate()
        .map(|(i, (q, _))| (i as f64, h.value_at_quantile(*q) as f64 / 1000.0))
        .collect()
}

/// (µs, fraction of ops at or below it), two steps per halving of the remaining ops.
pub(super) fn cdf_points(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    h.iter_quantiles(2)
        .map(|v| {
            (
                v.value_iterated_to() as f64 / 1000.0,
                v.quantile_iterated_to(),
            )
        })
        .collect()
}
