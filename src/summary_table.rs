//! The terminal summary after a run: medians, CIs and ratios per cell, with their flags,
//! each engine's bind against its volume, and the CPU and cache context.

use mountbench::analysis::Analysis;
use mountbench::env::Env;
use mountbench::report::context;

/// Below the table: a CPU too slow for ratios to native to be storage alone, and the
/// targets whose cache phases are unverified.
pub fn print_context(env: &Env) {
    if let Some(w) = context::slow_cpu_warning(&env.targets) {
        println!("warning: {w}");
    }
    if let Some(n) = context::unverified_note(&env.targets) {
        println!("note: {n}");
    }
}

/// Medians, CIs, CVs, ratios to native with the CI goal's status, and every row's flags.
pub fn print_table(analysis: &Analysis) {
    print!("{}", mountbench::report::table::render(analysis));
}

pub fn print_bind_vs_volume(analysis: &Analysis) {
    for s in analysis.summary.iter().filter(|s| !s.metric.is_boundary()) {
        if let (Some(r), Some(lo), Some(hi)) =
            (s.ratio_to_volume, s.volume_ci_low, s.volume_ci_high)
        {
            println!(
                "bind/volume on engine {}: {} {} {} {r:.2} [{lo:.2}-{hi:.2}]",
                s.engine, s.workload, s.phase, s.metric
            );
        }
    }
}

/// The boundary cells (coherence, watch): counts and latencies, not rates.
pub fn print_boundary(out_dir: &std::path::Path) {
    match mountbench::report::boundary_lines(out_dir) {
        Ok(lines) => {
            for line in lines {
                println!("boundary: {line}");
            }
        }
        Err(e) => eprintln!("mountbench: the boundary cells could not be read: {e}"),
    }
}
