//! One file per chart, each building a figure model from loaded runs; `all` lists them in
//! the order report.md shows them.

mod au;
mod bars;
mod boundary;
mod checkpoint;
mod data_wait;
mod hosts_au;
mod hosts_cdf;
mod hosts_ratio;
mod latency;
mod lines;
mod ratio;
mod semantics;
mod small_files;
mod throughput;
mod volume;

use super::figure::Figure;
use super::HostRun;

/// Every chart for these runs: per host, then across hosts when there are several.
pub(crate) fn all(runs: &[HostRun]) -> Vec<Figure> {
    let mut figures = Vec::new();
    for run in runs {
        if run.analysis.summary.is_empty() {
            continue;
        }
        figures.extend(ratio::figure(run));
        figures.extend(volume::figure(run));
        figures.extend(throughput::figure(run));
        figures.extend(small_files::figure(run));
        figures.extend(checkpoint::figure(run));
        figures.extend(au::figure(run));
        figures.extend(data_wait::figure(run));
        figures.extend(latency::figure(run));
        figures.extend(boundary::figure(run));
        figures.extend(semantics::figure(run));
    }
    if runs.len() > 1 {
        figures.extend(hosts_ratio::figure(runs));
        figures.extend(hosts_au::figure(runs));
        figures.extend(hosts_cdf::figure(runs));
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

const AU_CAPTION: &str = "AU = emulated compute time / step time; bars: median over reps, whiskers: bootstrap 95% CI; line: the MLPerf Storage pass mark (90%)";

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
