//! One file per kind of chart (ratios, rates, AU, latency, checkpoint, boundary, semantics),
//! each building figure models from loaded runs; `all` lists them in the order report.md
//! shows them.

mod au;
mod bars;
mod boundary;
mod checkpoint;
mod latency;
mod ratios;
mod semantics;
mod throughput;

use super::figure::Figure;
use super::HostRun;

/// Every chart for these runs: per host, then across hosts when there are several.
pub(crate) fn all(runs: &[HostRun]) -> Vec<Figure> {
    let mut figures = Vec::new();
    for run in runs {
        if run.analysis.summary.is_empty() {
            continue;
        }
        figures.extend(ratios::figure(run));
        figures.extend(ratios::volume_figure(run));
        figures.extend(throughput::figure(run));
        figures.extend(throughput::small_files_figure(run));
        figures.extend(checkpoint::figure(run));
        figures.extend(au::figure(run));
        figures.extend(latency::data_wait_figure(run));
        figures.extend(latency::figure(run));
        figures.extend(boundary::figure(run));
        figures.extend(semantics::figure(run));
    }
    if runs.len() > 1 {
        figures.extend(ratios::hosts_figure(runs));
        figures.extend(au::hosts_figure(runs));
        figures.extend(latency::hosts_figure(runs));
    }
    figures
}

/// The file name of a run's boundary chart, which report.md shows in its boundary section.
pub(crate) fn boundary_chart(run: &HostRun) -> String {
    name(run, boundary::WHAT)
}

/// The file name of a run's semantics chart, which report.md shows in its section.
pub(crate) fn semantics_chart(run: &HostRun) -> String {
    name(run, semantics::WHAT)
}

/// Most panels a figure shows; the grid past three rows grows the figure.
const MAX_PANELS: usize = 9;

const NOISY_NOTE: &str = "bars: median of reps, whiskers: bootstrap 95% CI of the median";

/// A per-host figure's file name: the host name as a slug, then `what`.
fn name(run: &HostRun, what: &str) -> String {
    format!("{}-{what}", slug(&run.name()))
}

fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// A per-host figure's title: `what`, then the host and its engines.
fn title(what: &str, run: &HostRun) -> String {
    let engines = &run.env.engines;
    let engine = match engines.len() {
        0 => "no container engine".to_string(),
        1 => engines
            .values()
            .map(|e| {
                format!(
                    "{} {} ({} storage driver)",
                    e.flavour, e.server_version, e.storage_driver
                )
            })
            .collect(),
        _ => engines
            .iter()
            .map(|(name, e)| format!("{name}: {} {}", e.flavour, e.server_version))
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!("{what} — {} — {engine}", run.label())
}
