//! The engines of a run in the report: each engine's identity in the environment table, and
//! "should my dataset live in a volume?" per engine. Charts and tables show engine × target
//! as its own column by the rows' place (`bind@vm`).

use std::fmt::Write as _;

use super::HostRun;
use crate::env::Env;
use crate::results::SummaryRow;

/// "native Linux", "native Linux + test VM", "no engine": the flavours of a run's engines.
pub(crate) fn flavours(env: &Env) -> String {
    if env.engines.is_empty() {
        return "no engine".to_string();
    }
    let mut flavours: Vec<&str> = env.engines.values().map(|e| e.flavour.as_str()).collect();
    flavours.dedup();
    flavours.join(" + ")
}

/// The environment table's rows of every engine: name, identity, version, kernel, storage.
pub(crate) fn environment_rows(md: &mut String, env: &Env) {
    if env.engines.is_empty() {
        let _ = writeln!(md, "| engine | none (native only) |");
    }
    for (name, e) in &env.engines {
        let _ = writeln!(
            md,
            "| engine `{name}` | {} — {} (API {}) at `{}` |",
            e.identity_label(),
            e.software(),
            e.api_version,
            e.docker_host
        );
        let _ = writeln!(
            md,
            "| engine `{name}` kernel | {} ({}), {} storage driver, cgroup v{}, {} CPUs |",
            e.kernel, e.arch, e.storage_driver, e.cgroup_version, e.ncpu
        );
    }
}

/// Should my dataset live in a volume? Each engine's bind targets as a multiple of its own
/// volume, from the paired per-round ratios. On a VM-backed engine a bind mount crosses the
/// VM boundary and a volume does not.
pub(crate) fn volume_table(md: &mut String, run: &HostRun) {
    let rows: Vec<&SummaryRow> = run
        .analysis
        .summary
        .iter()
        .filter(|r| r.ratio_to_volume.is_some() && super::select::compares(r))
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\nShould my dataset live in a volume? Bind as a multiple of the same engine's volume (below 1: the volume is faster; a VM-backed engine's bind mount crosses the VM boundary):\n\n| engine | kind | workload | phase | metric | bind / volume [95% CI] |\n|---|---|---|---|---|---|"
    );
    for r in rows {
        let kind = run
            .env
            .engines
            .get(r.engine.as_str())
            .and_then(|e| e.kind())
            .map_or_else(|| "?".to_string(), |k| k.to_string());
        let ci = match (r.ratio_to_volume, r.volume_ci_low, r.volume_ci_high) {
            (Some(v), Some(lo), Some(hi)) => format!("{v:.2} [{lo:.2}–{hi:.2}]"),
            _ => "-".into(),
        };
        let _ = writeln!(
            md,
            "| `{}` | {kind} | {} | {} | {} | {ci} |",
            r.engine, r.workload, r.phase, r.metric
        );
    }
}
