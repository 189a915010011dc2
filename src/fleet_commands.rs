//! The binary's edge of fleet runs: `run --swarm` and `clean --swarm`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use mountbench::cancel::CancelToken;
use mountbench::fleet::task::TaskPlan;
use mountbench::fleet::{self, FleetOut, FleetRequest, FleetSummary};
use mountbench::plan::WorkloadFile;
use mountbench::report::fleet::FleetNode;
use mountbench::targets::agent_binary::AgentBinaries;
use mountbench::targets::spec::TargetKind;
use mountbench::Error;

use crate::cli::RunArgs;

/// `run --swarm` (a fleet run) or `run --k8s-manifests` (its manifests printed).
pub fn run(args: RunArgs, agents: AgentBinaries, cancel: CancelToken) -> Result<i32> {
    let file = WorkloadFile::load(&args.workload)?;
    let mut targets = args.targets.unwrap_or_else(|| file.run.targets.clone());
    if targets.iter().any(|t| t.kind == TargetKind::Native) {
        targets.retain(|t| t.kind != TargetKind::Native);
        eprintln!("mountbench: native left out: a container cannot be native; bind is each node's baseline");
    }
    let Some(data_dir) = args.data_dir else {
        return Err(Error::Input {
            place: "--data-dir".into(),
            reason: "a fleet run needs the data dir on every node (an absolute path that exists on each; or MOUNTBENCH_DATA)".into(),
        }
        .into());
    };
    let task = TaskPlan {
        run_id: mountbench::run::new_run_id(),
        workload_path: file.path.clone(),
        workload_text: file.text.clone(),
        targets,
        reps: args.reps,
        warmup: args.warmup,
        seed: args.seed,
        only: args.only,
        scale: args.scale,
        target_ci: args.target_ci,
        max_reps: args.max_reps,
        keep_free: args.keep_free,
    };
    if args.k8s_manifests {
        return k8s(
            &task,
            &file,
            &args.nodes,
            &data_dir,
            args.agent_image.as_deref(),
        );
    }
    let manager = fleet::manager_address(args.swarm.as_deref().unwrap_or_default())?;
    let out = match args.out {
        Some(dir) => FleetOut::Named(dir),
        None => FleetOut::Results(PathBuf::from("results")),
    };
    let request = FleetRequest {
        manager,
        filters: args.nodes,
        task,
        node_data_dir: data_dir,
        out,
        image: args.agent_image,
        agents,
        cancel,
    };
    let quiet = args.quiet;
    let mut say = |line: &str| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    let summary = fleet::run(request, &mut say)?;
    finish(&summary)
}

/// Each node's report, the fleet's, what failed; the exit code.
fn finish(summary: &FleetSummary) -> Result<i32> {
    if summary.interrupted {
        eprintln!(
            "mountbench: interrupted; the fleet job {} and its tasks' volumes were removed",
            summary.run_id
        );
        return Ok(130);
    }
    let nodes: Vec<FleetNode> = summary
        .nodes
        .iter()
        .map(|n| FleetNode {
            hostname: n.hostname.clone(),
            dir: n.dir.clone(),
            failure: n.failure.clone(),
            failed_reps: n.failed_reps,
        })
        .collect();
    for n in &nodes {
        if let Some(dir) = &n.dir {
            if let Err(e) = mountbench::report::render_dirs(std::slice::from_ref(dir), dir) {
                eprintln!(
                    "mountbench: {}: the report could not be rendered: {e}",
                    n.hostname
                );
            }
        }
        match (&n.failure, &n.dir) {
            (None, Some(dir)) => println!(
                "{}: ok, {} failed rep(s), {}",
                n.hostname,
                n.failed_reps,
                dir.display()
            ),
            (None, None) => println!("{}: ok, no results", n.hostname),
            (Some(why), _) => println!("{}: FAILED: {why}", n.hostname),
        }
    }
    for left in &summary.left_out {
        println!("left out: {left}");
    }
    std::fs::create_dir_all(&summary.fleet_dir)?;
    let report = mountbench::report::fleet::render(&nodes, &summary.fleet_dir)?;
    write_fleet_json(summary)?;
    println!("fleet report: {}", report.display());
    println!("wall time: {:.1} s", summary.seconds);
    for n in &summary.not_applied {
        println!("hardening: {n}");
    }
    let failed = summary
        .nodes
        .iter()
        .any(|n| n.failure.is_some() || n.failed_reps > 0);
    Ok(i32::from(failed))
}

/// fleet.json beside the fleet's report: every node's fate, for scripts.
fn write_fleet_json(summary: &FleetSummary) -> Result<()> {
    let nodes: Vec<serde_json::Value> = summary
        .nodes
        .iter()
        .map(|n| {
            serde_json::json!({
                "hostname": n.hostname,
                "node_id": n.node_id,
                "status": if n.failure.is_some() { "failed" } else { "ok" },
                "failure": n.failure,
                "failed_reps": n.failed_reps,
                "dir": n.dir,
            })
        })
        .collect();
    let json = serde_json::json!({
        "run_id": summary.run_id,
        "seconds": summary.seconds,
        "nodes": nodes,
        "left_out": summary.left_out,
        "hardening_not_applied": summary.not_applied,
    });
    let path = summary.fleet_dir.join("fleet.json");
    mountbench::atomic::write_atomic(&path, serde_json::to_string_pretty(&json)?.as_bytes())?;
    Ok(())
}

pub fn clean(swarm: &str, run: Option<&str>) -> Result<i32> {
    let removed = fleet::clean(&fleet::manager_address(swarm)?, run)?;
    for name in &removed {
        println!("removed fleet job {name}");
    }
    println!("{} fleet job(s) removed", removed.len());
    Ok(0)
}

/// `agent fleet-task`: a node's whole matrix inside its task, results framed on stdout.
pub fn task(spec: &str) -> Result<()> {
    let task: TaskPlan = serde_json::from_str(spec).context("bad fleet task plan")?;
    let cancel = CancelToken::new();
    let on_signal = cancel.clone();
    let _ = ctrlc::set_handler(move || on_signal.cancel());
    mountbench::fleet::task::run_task(&task, cancel)?;
    Ok(())
}

/// The Kubernetes manifests of the fleet run, as JSON on stdout; nothing is contacted.
fn k8s(
    task: &TaskPlan,
    file: &WorkloadFile,
    filters: &[mountbench::fleet::nodes::NodeFilter],
    data_dir: &std::path::Path,
    image: Option<&str>,
) -> Result<i32> {
    let input = |place: &str, reason: &str| Error::Input {
        place: place.into(),
        reason: reason.into(),
    };
    let image = image.ok_or_else(|| {
        input(
            "--k8s-manifests",
            "needs --agent-image, an image of the agent every node can pull",
        )
    })?;
    let dir = data_dir
        .to_str()
        .filter(|d| d.starts_with('/'))
        .ok_or_else(|| {
            input(
                "--data-dir",
                "a fleet run needs an absolute path that exists on every node",
            )
        })?;
    let request = mountbench::fleet::kubernetes::K8sRequest {
        task,
        settings: &file.targets,
        filters,
        node_data_dir: dir,
        image,
    };
    let manifests = mountbench::fleet::kubernetes::manifests(&request)?;
    let text = serde_json::to_string_pretty(&manifests)?;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(0),
    }
}
