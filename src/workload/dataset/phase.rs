//! A dataset's cache phase: evicted (cold) or read once (warm), and the share of its pages
//! the page cache holds, where mincore can see it.

use crate::error::{Error, Result};
use crate::workload::cache;
use crate::workload::dataset::Dataset;
use crate::workload::Phase;

/// Files whose residency is checked with mincore before a rep; beyond this an evenly spaced
/// sample is checked.
const RESIDENCY_SAMPLE: usize = 4096;

/// Evict (cold) or read once (warm), then measure what fraction is cached: None where
/// mincore cannot see the filesystem's cache (FUSE, virtiofs, 9p), so neither the eviction
/// nor the warming is verified there.
pub(crate) fn set_phase(dataset: &Dataset, phase: Phase) -> Result<Option<f64>> {
    let mut buf = cache::AlignedBuffer::new(1 << 20);
    for i in 0..dataset.sizes.len() {
        let path = dataset.path(i);
        let done = match phase {
            Phase::Cold => cache::evict(&path),
            Phase::Warm => cache::warm(&path, &mut buf).map(|_| ()),
        };
        done.map_err(|e| Error::io(&path, e))?;
    }
    residency(dataset)
}

/// The fraction of the dataset's pages in the page cache (of a sample of its files); None
/// where mincore cannot see that cache.
pub(crate) fn residency(dataset: &Dataset) -> Result<Option<f64>> {
    if !cache::page_cache_visible(&dataset.dir) {
        return Ok(None);
    }
    let n = dataset.sizes.len();
    let step = n.div_ceil(RESIDENCY_SAMPLE).max(1);
    let (mut resident, mut total) = (0u64, 0u64);
    for i in (0..n).step_by(step) {
        let path = dataset.path(i);
        let (r, t) = cache::residency(&path).map_err(|e| Error::io(&path, e))?;
        resident += r;
        total += t;
    }
    Ok(Some(if total == 0 {
        0.0
    } else {
        resident as f64 / total as f64
    }))
}

/// Give every target's warm reps a page cache filled the same way: evicted, then read back
/// front to back. Warm reads of a dataset just written, one cached since long ago and one
/// just read back differ by up to 20% here (the folios and physical pages the cache holds),
/// which would otherwise show up as a difference between targets. A dataset larger than
/// half the memory is left alone: its warm reps cannot be warm anyway.
pub(crate) fn settle(dataset: &Dataset) -> Result<()> {
    if dataset.total_bytes() > crate::platform::memory_bytes() / 2 {
        return Ok(());
    }
    set_phase(dataset, Phase::Cold)?;
    set_phase(dataset, Phase::Warm)?;
    Ok(())
}
