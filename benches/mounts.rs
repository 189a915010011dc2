//! `cargo bench`: the default matrix (workloads/quick.toml × native, bind, volume, tmpfs,
//! cold and warm) measured by mountbench's own loop — a warm-up round, then rounds that
//! interleave every cell, then more rounds for the cells whose ratio CI is still wider than
//! the target, up to the file's `max_reps` — then one criterion benchmark per cell named
//! `workload/target/phase` that replays the reps just measured (so criterion's baselines
//! and comparisons work, and its sampling adds no measuring time), and at the end one table
//! with the ratios, their CIs, whether each reached the target, and the results folder.
//!
//! `cargo bench -- small-files/tmpfs` measures the cells whose name contains the filter
//! (and native, their baseline); `cargo bench -- --save-baseline before` as usual.
//! MOUNTBENCH_WORKLOAD and MOUNTBENCH_TARGETS (comma separated) change the matrix,
//! MOUNTBENCH_TARGET_CI ("3%", or "none" for a fixed rep count) and MOUNTBENCH_MAX_REPS
//! the precision goal.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use mountbench::datadir::DataDir;
use mountbench::engine::Engine;
use mountbench::plan::{Cell, Overrides, Plan, WorkloadFile};
use mountbench::results::Results;
use mountbench::run::{self, RunOptions, RunSummary};
use mountbench::targets::agent_binary::AgentBinaries;
use mountbench::targets::spec::TargetSpec;
use mountbench::workload::Phase;

/// criterion's warm-up: one call that sleeps this long, so that its estimate of an
/// iteration makes every sample replay two reps (one would print a sample-time warning).
const WARM_UP_SLEEP: Duration = Duration::from_millis(20);

/// Options criterion takes a value after; anything else not starting with `-` is a filter.
const VALUED: [&str; 16] = [
    "--save-baseline",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--profile-time",
    "--output-format",
    "--color",
    "--plotting-backend",
    "--format",
];

fn env_or<T: std::str::FromStr>(name: &str) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    let text = std::env::var(name).ok()?;
    Some(
        text.parse()
            .unwrap_or_else(|e| panic!("{name}={text}: {e}")),
    )
}

fn targets(file: &WorkloadFile) -> Vec<TargetSpec> {
    let mut targets: Vec<TargetSpec> = match std::env::var("MOUNTBENCH_TARGETS") {
        Ok(list) => list
            .split(',')
            .map(|t| {
                t.parse()
                    .unwrap_or_else(|e| panic!("MOUNTBENCH_TARGETS: {e}"))
            })
            .collect(),
        Err(_) => file.run.targets.clone(),
    };
    if targets.iter().any(|t| t.kind.in_container()) {
        if let Err(e) = Engine::connect_default() {
            eprintln!("\n*** mountbench: NO DOCKER ENGINE — benchmarking the native target only ***\n*** {e} ***\n");
            targets.retain(|t| !t.kind.in_container());
        }
    }
    targets
}

fn plan(filter: Option<&str>) -> Plan {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = std::env::var_os("MOUNTBENCH_WORKLOAD")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("workloads/quick.toml"));
    let file = WorkloadFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut file_goal = file.run.target_ci;
    if std::env::var("MOUNTBENCH_TARGET_CI").is_ok_and(|v| v == "none") {
        file_goal = None;
    } else if let Some(target) = env_or("MOUNTBENCH_TARGET_CI") {
        file_goal = Some(target);
    }
    let overrides = Overrides {
        targets: Some(targets(&file)),
        target_ci: file_goal,
        max_reps: env_or("MOUNTBENCH_MAX_REPS"),
        ..Default::default()
    };
    let mut plan = Plan::new(file, &overrides).unwrap_or_else(|e| panic!("{e}"));
    if let Some(filter) = filter {
        keep_matching(&mut plan, filter);
    }
    plan
}

/// The cells whose name contains `filter`, and native in their workload and phase.
fn keep_matching(plan: &mut Plan, filter: &str) {
    let chosen: Vec<Cell> = plan
        .cells
        .iter()
        .filter(|c| c.id().contains(filter))
        .cloned()
        .collect();
    assert!(!chosen.is_empty(), "no cell's name contains \"{filter}\"");
    plan.cells.retain(|c| {
        chosen.iter().any(|k| {
            k.workload.name == c.workload.name
                && k.phase == c.phase
                && (k.target == c.target || c.target.to_string() == "native")
        })
    });
}

/// The positional argument of `cargo bench -- FILTER`, if any.
fn filter() -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if VALUED.contains(&arg.as_str()) {
            args.next();
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}

/// The host's binary and, for an engine of another architecture (every Mac engine), the one
/// MOUNTBENCH_AGENT_BINARY names or the cross script left in target/agent/.
fn agents() -> AgentBinaries {
    let host = PathBuf::from(env!("CARGO_BIN_EXE_mountbench"));
    AgentBinaries::for_exe(host, &[]).unwrap_or_else(|e| {
        eprintln!("mountbench: error: {e}");
        std::process::exit(2)
    })
}

fn measure(plan: Plan) -> RunSummary {
    let options = RunOptions {
        out: None,
        data_dir: DataDir::default_path(),
        engines: Vec::new(),
        agents: agents(),
        drop_caches: false,
        progress: true,
        cancel: Default::default(),
        keep_free: None,
    };
    run::run(plan, options).unwrap_or_else(|e| panic!("{e}"))
}

fn mounts(c: &mut Criterion) {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("mountbench: measuring only under `cargo bench`");
        return;
    }
    // criterion draws its own plots with plotters: give it the bundled font.
    mountbench::report::draw::register_fonts();
    let plan = plan(filter().as_deref());
    let cells = plan.cells.clone();
    let started = Instant::now();
    let summary = measure(plan);
    let measuring = started.elapsed();
    let report =
        mountbench::report::render_dirs(std::slice::from_ref(&summary.out_dir), &summary.out_dir);
    let results = Results::load(&summary.out_dir).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("\nmountbench: criterion below replays each cell's measured reps (2 a sample): its time is one rep's timed section, as the agent measured it.\n");
    replay(c, &cells, &results);
    println!("\n{}", mountbench::report::table::render(&summary.analysis));
    for f in &summary.failed_reps {
        println!("failed: {f}");
    }
    if let Err(e) = report {
        println!("mountbench: the report could not be rendered: {e}");
    }
    let dir = std::fs::canonicalize(&summary.out_dir).unwrap_or(summary.out_dir.clone());
    println!(
        "measuring took {:.1} s (without compiling); results, charts and report.md in {}",
        measuring.as_secs_f64(),
        dir.display()
    );
}

/// One criterion benchmark per cell, fed the seconds of its measured reps.
fn replay(c: &mut Criterion, cells: &[Cell], results: &Results) {
    for cell in cells {
        let seconds = rep_seconds(cell, results);
        if seconds.is_empty() {
            continue;
        }
        let samples = (seconds.len() / 2).max(10);
        let mut group = c.benchmark_group(&cell.workload.name);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(samples)
            .warm_up_time(Duration::from_nanos(1))
            .measurement_time(WARM_UP_SLEEP * 2 * samples as u32)
            .throughput(Throughput::Bytes(bytes_per_rep(&cell.workload, cell.phase)));
        let (mut next, mut warmed) = (0usize, false);
        let id = BenchmarkId::new(cell.target.to_string(), cell.phase);
        group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                if !std::mem::replace(&mut warmed, true) {
                    std::thread::sleep(WARM_UP_SLEEP);
                }
                (0..iters)
                    .map(|_| {
                        next += 1;
                        seconds[(next - 1) % seconds.len()]
                    })
                    .sum()
            })
        });
        group.finish();
    }
}

/// The timed seconds of a cell's measured, successful reps (its headline metric).
fn rep_seconds(cell: &Cell, results: &Results) -> Vec<Duration> {
    let key = cell.key();
    let headline = cell.workload.params.metrics()[0];
    results
        .reps
        .iter()
        .filter(|r| !r.warmup && r.ok && r.metric == headline && r.cell() == key)
        .map(|r| Duration::from_secs_f64(r.seconds))
        .collect()
}

criterion_group!(benches, mounts);
criterion_main!(benches);

/// Bytes one rep moves for its headline metric: the dataset read once, or one checkpoint.
fn bytes_per_rep(workload: &mountbench::workload::Workload, phase: Phase) -> u64 {
    use mountbench::workload::dataset::DatasetSpec;
    use mountbench::workload::Params;
    let pass = match &workload.params {
        Params::Checkpoint(c) => c.size.0,
        _ => DatasetSpec::of(workload)
            .map(|d| d.sizes().iter().sum())
            .unwrap_or(0),
    };
    pass * workload.passes(phase) as u64
}
