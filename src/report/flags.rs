//! What a reader must know before trusting a summary row, in words: the same flags in
//! report.md, the terminal table and `cargo bench`'s table.

use crate::results::{CiStatus, RatioMethod, SummaryRow};
use crate::workload::cold::CacheCheck;

/// One warning about a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Flag {
    /// CV above 5%.
    Noisy,
    /// Reps that failed.
    Failed(usize),
    /// The ratio compares medians: some round lacks a successful rep on one side.
    Unpaired,
    /// The CI is still wider than the target after `max_reps` reps.
    Capped,
    /// The CI is wider than the target and the run stopped before its cap.
    Open,
    /// Cold reps whose data stayed cached (more than 5%).
    NotEvicted(usize),
    /// Cold reps whose residency could not be measured.
    CacheUnverified,
}

impl Flag {
    pub(crate) fn text(&self) -> String {
        match self {
            Flag::Noisy => "noisy".into(),
            Flag::Failed(n) => format!("{n} failed"),
            Flag::Unpaired => "unpaired".into(),
            Flag::Capped => "CI > target at max reps".into(),
            Flag::Open => "CI > target (unfinished)".into(),
            Flag::NotEvicted(n) => format!("not evicted in {n} rep(s)"),
            Flag::CacheUnverified => "cold unverified".into(),
        }
    }

    /// Whether the flag says the figure may be wrong, not just imprecise.
    pub(crate) fn grave(&self) -> bool {
        matches!(self, Flag::Failed(_) | Flag::NotEvicted(_) | Flag::Capped)
    }
}

pub(crate) fn flags(row: &SummaryRow) -> Vec<Flag> {
    let mut flags = Vec::new();
    if row.noisy {
        flags.push(Flag::Noisy);
    }
    if row.failed > 0 {
        flags.push(Flag::Failed(row.failed));
    }
    if row.ratio_method == Some(RatioMethod::Unpaired) {
        flags.push(Flag::Unpaired);
    }
    match row.ci_status {
        Some(CiStatus::Capped) => flags.push(Flag::Capped),
        Some(CiStatus::Open) => flags.push(Flag::Open),
        Some(CiStatus::Reached) | None => {}
    }
    match row.cache_check {
        Some(CacheCheck::NotEvicted) => {
            flags.push(Flag::NotEvicted(row.not_evicted.unwrap_or_default()))
        }
        Some(CacheCheck::Unverified) => flags.push(Flag::CacheUnverified),
        Some(CacheCheck::Evicted) | None => {}
    }
    flags
}

/// The flags as words, comma separated ("" when none).
pub(crate) fn flag_text(row: &SummaryRow) -> String {
    flags(row)
        .iter()
        .map(Flag::text)
        .collect::<Vec<_>>()
        .join(", ")
}
