//! The ratio of a cell to native on the same metric. Rep k of every cell runs in round k,
//! so a target and native measured in the same round share whatever the machine was doing
//! then: the published ratio is the median of the per-round ratios, with a percentile
//! bootstrap CI of that median. Only when a round the target ran lacks one side (a failed
//! rep) are the two samples compared unpaired (ratio of medians, each resampled on its own),
//! and the row says so.

use std::collections::BTreeMap;

use crate::measure::{bootstrap_ratio, SampleStats};
pub(crate) use crate::results::RatioMethod;

/// A ratio to native with its bootstrap 95% CI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RatioEstimate {
    pub ratio: f64,
    pub lo: f64,
    pub hi: f64,
    pub method: RatioMethod,
}

/// One cell's measured reps by round: the value of a successful rep, None for a failed one.
pub(crate) type ByRound = BTreeMap<u32, Option<f64>>;

/// The ratio `target / native` over the rounds the target ran; None without a successful
/// rep on either side.
pub(crate) fn ratio(target: &ByRound, native: &ByRound, seed: u64) -> Option<RatioEstimate> {
    let pairs: Option<Vec<f64>> = target
        .iter()
        .map(|(round, t)| Some(t.as_ref()? / native.get(round)?.as_ref()?))
        .collect();
    let estimate = match pairs.filter(|p| !p.is_empty()) {
        Some(ratios) => {
            let s = SampleStats::of(&ratios, seed);
            RatioEstimate {
                ratio: s.median,
                lo: s.ci_low,
                hi: s.ci_high,
                method: RatioMethod::Paired,
            }
        }
        None => unpaired(target, native, seed)?,
    };
    Some(estimate).filter(|e| e.ratio.is_finite() && e.lo.is_finite() && e.hi.is_finite())
}

/// Ratio of medians: the target's successful reps against native's in the same rounds.
fn unpaired(target: &ByRound, native: &ByRound, seed: u64) -> Option<RatioEstimate> {
    let numerator: Vec<f64> = target.values().flatten().copied().collect();
    let denominator: Vec<f64> = native
        .iter()
        .filter(|(round, _)| target.contains_key(round))
        .filter_map(|(_, v)| *v)
        .collect();
    if numerator.is_empty() || denominator.is_empty() {
        return None;
    }
    let (ratio, lo, hi) = bootstrap_ratio(&numerator, &denominator, seed);
    Some(RatioEstimate {
        ratio,
        lo,
        hi,
        method: RatioMethod::Unpaired,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounds(values: &[Option<f64>]) -> ByRound {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u32, *v))
            .collect()
    }

    #[test]
    fn drift_shared_by_a_round_cancels_out() {
        // The machine slows down by up to 2x from round to round; the target is always
        // half as fast as native in the same round.
        let native = rounds(&[Some(100.0), Some(50.0), Some(80.0), Some(60.0), Some(90.0)]);
        let target = rounds(&[Some(50.0), Some(25.0), Some(40.0), Some(30.0), Some(45.0)]);
        let e = ratio(&target, &native, 1).unwrap();
        assert_eq!(e.method, RatioMethod::Paired);
        assert!((e.ratio - 0.5).abs() < 1e-12);
        assert!(
            (e.lo - 0.5).abs() < 1e-12 && (e.hi - 0.5).abs() < 1e-12,
            "{e:?}"
        );
        // Unpaired, the same numbers give a wide CI.
        let (_, lo, hi) = bootstrap_ratio(
            &target.values().flatten().copied().collect::<Vec<_>>(),
            &native.values().flatten().copied().collect::<Vec<_>>(),
            1,
        );
        assert!(hi - lo > 0.3, "[{lo}, {hi}]");
    }

    #[test]
    fn a_failed_rep_on_either_side_makes_it_unpaired() {
        let native = rounds(&[Some(100.0), None, Some(100.0), Some(100.0)]);
        let target = rounds(&[Some(50.0), Some(50.0), Some(50.0), Some(50.0)]);
        let e = ratio(&target, &native, 1).unwrap();
        assert_eq!(e.method, RatioMethod::Unpaired);
        assert!((e.ratio - 0.5).abs() < 1e-12);
        let failed_target = rounds(&[Some(50.0), None, Some(50.0)]);
        let full_native = rounds(&[Some(100.0), Some(100.0), Some(100.0)]);
        let e = ratio(&failed_target, &full_native, 1).unwrap();
        assert_eq!(e.method, RatioMethod::Unpaired);
    }

    #[test]
    fn native_rounds_the_target_did_not_run_are_left_out() {
        // Native ran two extra rounds for another target; they neither pair nor count.
        let native = rounds(&[Some(100.0), Some(100.0), Some(1.0), Some(1.0)]);
        let target = rounds(&[Some(50.0), Some(50.0)]);
        let e = ratio(&target, &native, 1).unwrap();
        assert_eq!((e.method, e.ratio), (RatioMethod::Paired, 0.5));
    }

    #[test]
    fn nothing_to_compare_gives_no_ratio() {
        let native = rounds(&[None, None]);
        let target = rounds(&[Some(50.0), Some(50.0)]);
        assert!(ratio(&target, &native, 1).is_none());
        assert!(ratio(&ByRound::new(), &native, 1).is_none());
        let zero = rounds(&[Some(0.0), Some(0.0)]);
        assert!(ratio(&target, &zero, 1).is_none(), "division by zero");
    }
}
