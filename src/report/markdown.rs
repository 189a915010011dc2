//! report.md: per host the environment, the medians with CIs, ratios to native, noisy flags,
//! and the charts. One function per table or list; each appends to the text.

use std::fmt::Write as _;
use std::path::Path;

use super::draw::Rendered;
use super::flags::{flags, Flag};
use super::HostRun;
use super::{context, select};
use crate::env::Env;
use crate::results::SummaryRow;

/// Where the charts are, relative to report.md.
struct Charts<'a> {
    all: &'a [Rendered],
    out: &'a Path,
}

impl Charts<'_> {
    fn rel(&self, path: &Path) -> String {
        path.strip_prefix(self.out)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

fn num(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

pub(crate) fn render(runs: &[HostRun], charts: &[Rendered], out: &Path) -> String {
    let charts = Charts { all: charts, out };
    let mut md = String::new();
    intro(&mut md, runs);
    if runs.len() > 1 {
        across_hosts(&mut md, &charts);
    }
    for run in runs {
        host_section(&mut md, run, &charts);
    }
    md
}

fn intro(md: &mut String, runs: &[HostRun]) {
    let _ = writeln!(md, "# mountbench report\n");
    let _ = writeln!(
        md,
        "{} run(s): {}.\n\nMedians over measured reps (warm-ups discarded) with bootstrap 95% confidence intervals. `× native` is the median of the per-round ratios to the same host's native baseline (rep k of every cell runs in round k), with a bootstrap 95% CI; *unpaired* marks a ratio of medians where a round lacks a successful rep on one side. Cells with a coefficient of variation above 5% are marked **noisy**; with a CI target, rows still wider than it at the rep cap are marked **CI > target at max reps**; cold reps that found more than 5% of their data cached are marked **not evicted**, those whose cache could not be measured *cold unverified*.\n",
        runs.len(),
        runs.iter().map(|r| format!("`{}`", r.label())).collect::<Vec<_>>().join(", ")
    );
}

fn across_hosts(md: &mut String, charts: &Charts) {
    let _ = writeln!(md, "## Across hosts\n");
    for c in charts.all.iter().filter(|c| c.name.starts_with("hosts-")) {
        let _ = writeln!(md, "![{}]({})\n", c.title, charts.rel(&c.png));
    }
}

fn host_section(md: &mut String, run: &HostRun, charts: &Charts) {
    let env = &run.env;
    let _ = writeln!(md, "## {}\n", run.label());
    let _ = writeln!(
        md,
        "Run `{}` from `{}`, started {}, mountbench {}.\n",
        env.run_id,
        run.dir.display(),
        env.started,
        env.mountbench_version
    );
    environment_table(md, run);
    mounts_table(md, run);
    context::cpu_lines(md, &env.targets);
    context::copy_lines(md, &env.targets);
    context::warnings(md, env);
    super::durability::note(md, &run.analysis.summary);
    summary_table(md, run);
    super::engines::volume_table(md, run);
    super::ratio_table::render(md, run);
    au_table(md, run);
    boundary_section(md, run, charts);
    super::semantics::render(md, run);
    section_chart(md, charts, &super::figures::semantics_chart(run));
    failed_reps(md, run);
    md.push('\n');
    host_charts(md, run, charts);
}

/// Coherence and watch: per engine their counts and latencies, then their chart.
fn boundary_section(md: &mut String, run: &HostRun, charts: &Charts) {
    super::boundary_table::render(md, run, &run.boundary);
    section_chart(md, charts, &super::figures::boundary_chart(run));
}

/// The chart named `name`, if drawn, with its SVG link.
fn section_chart(md: &mut String, charts: &Charts, name: &str) {
    for c in charts.all.iter().filter(|c| c.name == name) {
        let _ = writeln!(
            md,
            "![{}]({})\n\n[SVG]({})\n",
            c.title,
            charts.rel(&c.png),
            charts.rel(&c.svg)
        );
    }
}

/// Host, engine, workload file and reps.
fn environment_table(md: &mut String, run: &HostRun) {
    let env = &run.env;
    let h = &env.host;
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(
        md,
        "| host | {} — {} {} {} |",
        h.hostname, h.os, h.kernel, h.arch
    );
    let _ = writeln!(
        md,
        "| CPU | {}, {:.1} GiB RAM |",
        h.cpu_line(),
        h.memory_bytes as f64 / (1u64 << 30) as f64
    );
    if let Some(m) = &h.data_mount {
        let _ = writeln!(
            md,
            "| data dir | `{}` on {} (`{}`){} |",
            h.data_dir,
            m.fs_type,
            m.options,
            h.case_note()
        );
    }
    super::engines::environment_rows(md, env);
    let _ = writeln!(
        md,
        "| workload file | `{}` (xxh3 {}) |",
        env.workload_file.path, env.workload_file.hash
    );
    let drop_caches = match (env.drop_caches, env.host.os.as_str()) {
        (false, _) => "",
        (true, os) if os.starts_with("Darwin") => ", host purge before cold reps",
        (true, _) => ", host drop_caches before cold reps",
    };
    let goal = match (env.target_ci, env.max_reps) {
        (Some(t), Some(max)) => {
            format!(", more rounds (up to {max}) while a ratio CI half-width exceeds {t}")
        }
        (Some(t), None) => format!(", more rounds while a ratio CI half-width exceeds {t}"),
        (None, _) => String::new(),
    };
    let _ = writeln!(
        md,
        "| reps | {} measured + {} warm-up per cell{goal}, seed {}{drop_caches} |\n",
        env.reps, env.warmup, env.seed
    );
}

/// Each target's mount as the agent saw it, how its cache residency was seen and the speed
/// of its CPU against the host's.
fn mounts_table(md: &mut String, run: &HostRun) {
    if run.env.targets.is_empty() {
        return;
    }
    let _ = writeln!(md, "Mounts as the agent saw them:\n\n| target | mount point | fs type | source | options | residency | CPU × host |\n|---|---|---|---|---|---|---:|");
    for t in &run.env.targets {
        let (cache, cpu) = (context::cache_cell(t), context::cpu_cell(t));
        match &t.mount {
            Some(m) => {
                let _ = writeln!(
                    md,
                    "| {} | `{}` | {} | `{}` | `{}` | {cache} | {cpu} |",
                    t.place(),
                    m.mount_point,
                    m.fs_type,
                    m.source,
                    m.options
                );
            }
            None => {
                let place = t.place();
                let _ = writeln!(md, "| {place} | `{}` | ? | | | {cache} | {cpu} |", t.root);
            }
        }
    }
    md.push('\n');
}

/// One line per summary row: rates, CI, CV, ratio to native, cache residency, flags.
fn summary_table(md: &mut String, run: &HostRun) {
    let rows: Vec<&SummaryRow> = run
        .analysis
        .summary
        .iter()
        .filter(|s| select::compares(s))
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(md, "| workload | target | phase | metric | median MiB/s | 95% CI | ops/s | CV | × native [95% CI] | cached | reps | |\n|---|---|---|---|---:|---|---:|---:|---|---:|---:|---|");
    for s in rows {
        summary_line(md, s, &run.env);
    }
}

fn summary_line(md: &mut String, s: &SummaryRow, env: &Env) {
    let ratio = match (s.ratio_to_native, s.ratio_ci_low, s.ratio_ci_high) {
        (Some(r), Some(lo), Some(hi)) => format!("{r:.2} [{lo:.2}–{hi:.2}]"),
        _ => "-".into(),
    };
    // Metadata storms move no bytes: their rate is ops/s alone.
    let (mib_s, ci) = if select::shows_mib_s(s) {
        (
            num(s.median_mib_s),
            format!("{}–{}", num(s.ci_low_mib_s), num(s.ci_high_mib_s)),
        )
    } else {
        ("-".into(), "-".into())
    };
    let flags: Vec<String> = flags(s)
        .iter()
        .map(|f| match f.grave() || *f == Flag::Noisy {
            true => format!("**{}**", f.text()),
            false => f.text(),
        })
        .collect();
    let metric = s.metric.name();
    let place = s.place();
    let _ = writeln!(
        md,
        "| {} | {} | {} | {metric} | {mib_s} | {ci} | {} | {:.1}% | {ratio} | {} | {} | {} |",
        s.workload,
        place,
        context::phase_label(env, &place, s.phase),
        num(s.median_ops_s),
        s.cv * 100.0,
        context::cached_label(env, &place, s.residency),
        s.reps,
        flags.join(" ")
    );
}

/// train-epoch: accelerator utilisation and data wait per cell, against the 90% pass mark.
fn au_table(md: &mut String, run: &HostRun) {
    let trained = select::trained(&run.analysis.summary);
    if trained.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\nAccelerator utilisation (AU = compute / step time; MLPerf Storage passes at ≥ 90%):\n\n| workload | target | phase | AU | 95% CI | samples/s | data wait p50 / p99 µs | ≥ 90% |\n|---|---|---|---:|---|---:|---|---|"
    );
    let pct = |v: Option<f64>| v.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_default();
    for s in trained {
        let wait = match (s.p50_us, s.p99_us) {
            (Some(a), Some(b)) => format!("{} / {}", num(a), num(b)),
            _ => "-".into(),
        };
        let pass = if s.au_pass == Some(true) {
            "yes"
        } else {
            "**no**"
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {}–{} | {} | {wait} | {pass} |",
            s.workload,
            s.place(),
            s.phase,
            pct(s.au),
            pct(s.au_ci_low),
            pct(s.au_ci_high),
            num(s.median_ops_s),
        );
    }
}

/// The first 20 failed reps with their error.
fn failed_reps(md: &mut String, run: &HostRun) {
    let failures: Vec<_> = run.results.reps.iter().filter(|r| !r.ok).collect();
    if failures.is_empty() {
        return;
    }
    let _ = writeln!(md, "\nFailed reps:\n");
    for f in failures.iter().take(20) {
        let _ = writeln!(
            md,
            "- {}/{}/{} rep {}: {}",
            f.workload,
            f.place(),
            f.phase,
            f.rep,
            f.error
        );
    }
}

/// This host's charts: those whose title names it.
fn host_charts(md: &mut String, run: &HostRun, charts: &Charts) {
    let label = run.label();
    let boundary = super::figures::boundary_chart(run);
    let semantics = super::figures::semantics_chart(run);
    let own = charts.all.iter().filter(|c| {
        !c.name.starts_with("hosts-")
            && c.name != boundary
            && c.name != semantics
            && c.title.contains(&label)
    });
    for c in own {
        let _ = writeln!(
            md,
            "![{}]({})\n\n[SVG]({})\n",
            c.title,
            charts.rel(&c.png),
            charts.rel(&c.svg)
        );
    }
}
