//! Whether a cold rep really started cold: the residency the agent measured right before
//! the clock against the 5% a cold rep may keep cached.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::workload::dataset::{set_phase, Dataset};
use crate::workload::Phase;

/// The most of the data a cold rep may find in the page cache.
pub(crate) const COLD_MAX_RESIDENCY: f64 = 0.05;

/// Evictions a cold rep tries before it measures with what is left.
pub(crate) const EVICT_TRIES: u32 = 3;

/// What the cache check of a cold rep found (warm reps have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheCheck {
    /// At most 5% of the data was cached when the clock started.
    Evicted,
    /// The residency could not be measured (FUSE, virtiofs, 9p: mincore cannot see the
    /// cache): the rep may have read cached data.
    Unverified,
    /// More than 5% stayed cached after every eviction (a tmpfs, or pages the kernel would
    /// not drop): the rep read partly from memory.
    NotEvicted,
}

impl CacheCheck {
    /// The check of a rep in `phase` that measured `residency` (None: unknown).
    pub(crate) fn of(phase: Phase, residency: Option<f64>) -> Option<CacheCheck> {
        match (phase, residency) {
            (Phase::Warm, _) => None,
            (Phase::Cold, None) => Some(CacheCheck::Unverified),
            (Phase::Cold, Some(r)) if r <= COLD_MAX_RESIDENCY => Some(CacheCheck::Evicted),
            (Phase::Cold, Some(_)) => Some(CacheCheck::NotEvicted),
        }
    }
}

/// Set the dataset's cache phase; a cold dataset that keeps more than 5% cached is flushed
/// and evicted again, up to `EVICT_TRIES` times. Returns the residency the rep starts with,
/// None where mincore cannot see the cache (nothing to retry on).
pub(crate) fn set_phase_checked(dataset: &Dataset, phase: Phase) -> Result<Option<f64>> {
    let mut residency = set_phase(dataset, phase)?;
    for _ in 1..EVICT_TRIES {
        let evicted = residency.map_or(true, |r| r <= COLD_MAX_RESIDENCY);
        if phase == Phase::Warm || evicted {
            break;
        }
        rustix::fs::sync();
        residency = set_phase(dataset, phase)?;
    }
    Ok(residency)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cold_reps_are_checked_against_five_percent() {
        let cases = [
            (Phase::Warm, Some(1.0), None),
            (Phase::Warm, None, None),
            (Phase::Cold, Some(0.0), Some(CacheCheck::Evicted)),
            (Phase::Cold, Some(0.05), Some(CacheCheck::Evicted)),
            (Phase::Cold, Some(0.06), Some(CacheCheck::NotEvicted)),
            (Phase::Cold, None, Some(CacheCheck::Unverified)),
        ];
        for (phase, residency, want) in cases {
            assert_eq!(
                CacheCheck::of(phase, residency),
                want,
                "{phase} {residency:?}"
            );
        }
        assert!(
            CacheCheck::NotEvicted > CacheCheck::Unverified,
            "worst last"
        );
    }
}
