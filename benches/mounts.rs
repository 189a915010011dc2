//! `cargo bench`: the default matrix (workloads/quick.toml × native, bind, volume, tmpfs)
//! through criterion, one benchmark per cell named `workload/target/phase`, each iteration
//! one rep whose time is measured inside the agent. The run's own results folder
//! (CSV/JSON/charts/report.md) is written too.
//!
//! Filters and baselines work as usual: `cargo bench -- small-files/tmpfs`,
//! `cargo bench -- --save-baseline before`. MOUNTBENCH_WORKLOAD and MOUNTBENCH_TARGETS
//! (comma separated) change the matrix.

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use mountbench::datadir::DataDir;
use mountbench::plan::WorkloadFile;
use mountbench::plan::{Overrides, Plan, Step};
use mountbench::run::{RunOptions, Session};
use mountbench::targets::engine::Engine;
use mountbench::targets::spec::TargetSpec;
use mountbench::workload::Phase;

fn plan() -> Plan {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = std::env::var_os("MOUNTBENCH_WORKLOAD")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("workloads/quick.toml"));
    let file = WorkloadFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
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
    let overrides = Overrides {
        targets: Some(targets),
        ..Default::default()
    };
    Plan::new(file, &overrides).unwrap_or_else(|e| panic!("{e}"))
}

fn mounts(c: &mut Criterion) {
    // criterion draws its own plots with plotters: give it the bundled font.
    mountbench::report::draw::register_fonts();
    let plan = plan();
    let cells = plan.cells.clone();
    let options = RunOptions {
        out: None,
        data_dir: DataDir::default_path(),
        engines: Vec::new(),
        agent_exe: PathBuf::from(env!("CARGO_BIN_EXE_mountbench")),
        drop_caches: false,
        progress: false,
        cancel: Default::default(),
        keep_free: None,
    };
    let session = RefCell::new(Session::open(plan, options).unwrap_or_else(|e| panic!("{e}")));
    let mut workloads: Vec<String> = Vec::new();
    for cell in &cells {
        if !workloads.contains(&cell.workload.name) {
            workloads.push(cell.workload.name.clone());
        }
    }
    for name in workloads {
        let mut group = c.benchmark_group(&name);
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for (index, cell) in cells
            .iter()
            .enumerate()
            .filter(|(_, c)| c.workload.name == name)
        {
            group.throughput(Throughput::Bytes(bytes_per_rep(&cell.workload, cell.phase)));
            let mut reps = 0u32;
            group.bench_function(BenchmarkId::new(cell.target.to_string(), cell.phase), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        // criterion always warms up first: the cell's first rep is recorded as our warm-up.
                        let step = Step {
                            cell: index,
                            rep: reps.saturating_sub(1),
                            warmup: reps == 0,
                        };
                        reps += 1;
                        let outcome = session
                            .borrow_mut()
                            .run_step(step)
                            .unwrap_or_else(|e| panic!("{e}"));
                        if let Some(error) = outcome.error {
                            panic!("{}: rep failed: {error}", cell.id());
                        }
                        total += Duration::from_secs_f64(outcome.seconds);
                    }
                    total
                })
            });
        }
        group.finish();
    }
    let summary = session
        .into_inner()
        .finish()
        .unwrap_or_else(|e| panic!("{e}"));
    if summary.out_dir.exists() {
        match mountbench::report::render_dirs(
            std::slice::from_ref(&summary.out_dir),
            &summary.out_dir,
        ) {
            Ok(report) => eprintln!(
                "mountbench: results and report in {}",
                report.parent().unwrap_or(&summary.out_dir).display()
            ),
            Err(e) => eprintln!("mountbench: report failed: {e}"),
        }
    }
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
