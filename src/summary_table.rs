//! The terminal summary after a run: medians, CIs and ratios per cell, with their flags,
//! each engine's bind against its volume, and the CPU and cache context.

use mountbench::analysis::Analysis;
use mountbench::env::Env;
use mountbench::report::context;
use mountbench::results::SummaryRow;

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

pub fn print_table(analysis: &Analysis, env: Option<&Env>) {
    println!(
        "{:<14} {:<12} {:<5} {:<11} {:>10} {:>21} {:>11} {:>6} {:>15}",
        "workload", "target", "phase", "metric", "MiB/s", "95% CI", "ops/s", "CV", "× native"
    );
    for s in &analysis.summary {
        let target = mountbench::cell::place(&s.engine, &s.target);
        let ratio = match (s.ratio_to_native, s.ratio_ci_low, s.ratio_ci_high) {
            (Some(r), Some(lo), Some(hi)) => format!("{r:.2} [{lo:.2}-{hi:.2}]"),
            _ => "-".into(),
        };
        // Metadata storms move no bytes: their rate is ops/s alone.
        let (mib_s, ci) = if s.moves_bytes() {
            (
                format!("{:.1}", s.median_mib_s),
                format!("[{:.1}, {:.1}]", s.ci_low_mib_s, s.ci_high_mib_s),
            )
        } else {
            ("-".into(), "-".into())
        };
        let unverified = env.is_some_and(|e| context::residency_unverified(&e.targets, &s.target));
        println!(
            "{:<14} {:<12} {:<5} {:<11} {:>10} {:>21} {:>11.0} {:>5.1}% {:>15}{}",
            s.workload,
            target,
            s.phase,
            s.metric.name(),
            mib_s,
            ci,
            s.median_ops_s,
            s.cv * 100.0,
            ratio,
            flags(s, unverified),
        );
    }
}

/// What follows a row: noisy, its cache phase unverified, failed reps, AU.
fn flags(s: &SummaryRow, unverified: bool) -> String {
    let mut flags = String::new();
    if s.noisy {
        flags.push_str(" noisy");
    }
    if unverified {
        flags.push_str(" unverified");
    }
    if s.failed > 0 {
        flags.push_str(&format!(" {} failed", s.failed));
    }
    if let (Some(au), Some(lo), Some(hi)) = (s.au, s.au_ci_low, s.au_ci_high) {
        let pass = au >= mountbench::workload::kinds::train_epoch::AU_PASS;
        flags.push_str(&format!(
            " AU {:.1}% [{:.1}-{:.1}]{}",
            au * 100.0,
            lo * 100.0,
            hi * 100.0,
            if pass { "" } else { " <90%" }
        ));
    }
    flags
}

/// Should the dataset live in a volume? Each engine's bind as a multiple of its own volume.
pub fn print_bind_vs_volume(analysis: &Analysis) {
    for s in &analysis.summary {
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
