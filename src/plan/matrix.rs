//! The matrix: every chosen workload on every place in each of its phases, less the cells
//! that cannot run there (noted, or refused when the command line asked for exactly them).

use crate::cell::EngineName;
use crate::error::{Error, Result};
use crate::plan::file::WorkloadFile;
use crate::plan::Cell;
use crate::targets::spec::{Place, TargetSpec};
use crate::workload::party::Sides;
use crate::workload::Workload;

/// Every workload (of `only`, when given) on every target in each of its phases, less the
/// cells that cannot run, which are listed with why; when the command line named both the
/// workloads and the targets (`explicit`), such a cell is refused instead.
pub(super) fn cells(
    file: &WorkloadFile,
    places: &[Place],
    only: Option<&[String]>,
    explicit: bool,
) -> Result<(Vec<Cell>, Vec<String>)> {
    for name in only.unwrap_or_default() {
        if !file.workloads.iter().any(|w| &w.name == name) {
            return Err(Error::input(
                "--only",
                format!("{} has no workload named \"{name}\"", file.path.display()),
            ));
        }
    }
    let (mut cells, mut skipped) = (Vec::new(), Vec::new());
    let chosen = file
        .workloads
        .iter()
        .filter(|w| only.map_or(true, |names| names.contains(&w.name)));
    for w in chosen {
        for place in places {
            for phase in &w.phases {
                match cannot_run(w, &place.target) {
                    Some(why) if explicit => {
                        let what = format!("--targets {}", place.target);
                        return Err(Error::input(what, format!("workload {}: {why}", w.name)));
                    }
                    Some(why) => skipped.push(format!("{}/{place}/{phase}: {why}", w.name)),
                    None => cells.push(Cell {
                        workload: w.clone(),
                        engine: place.engine.clone(),
                        target: place.target,
                        phase: *phase,
                    }),
                }
            }
        }
    }
    if cells.is_empty() {
        return Err(Error::input(
            file.path.display().to_string(),
            "the workloads and targets chosen leave no cell to run",
        ));
    }
    Ok((cells, skipped))
}

/// Native once, on the host; every container target on each engine, engine by engine.
pub(super) fn places(targets: &[TargetSpec], engines: &[String]) -> Result<Vec<Place>> {
    if engines.is_empty() && targets.iter().any(|t| t.kind.in_container()) {
        return Err(Error::input(
            "--engine",
            "names no engine for the container targets",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = engines.iter().find(|e| !seen.insert(e.as_str())) {
        let why = format!("two engines are named `{twice}`; give each its own name");
        return Err(Error::input("--engine", why));
    }
    let native = targets
        .iter()
        .filter(|t| !t.kind.in_container())
        .map(|t| Place::new(EngineName::NONE, *t));
    let on_engines = engines.iter().flat_map(|engine| {
        targets
            .iter()
            .filter(|t| t.kind.in_container())
            .map(|t| Place::new(engine.as_str(), *t))
    });
    Ok(native.chain(on_engines).collect())
}

/// Why `w` cannot run on `target`, if it cannot.
fn cannot_run(w: &Workload, target: &TargetSpec) -> Option<String> {
    let kind = w.params.kind();
    if let Some(why) = w
        .params
        .driven()
        .and_then(|d| cannot_drive(kind, d.sides(), target))
    {
        return Some(why);
    }
    if w.params.needs_peer() && !target.kind.shareable() {
        return Some(format!(
            "{kind} needs two containers on one storage; the {} target's storage belongs to one container",
            target.kind.as_str()
        ));
    }
    let two_sided_only = w.params.duet().is_some_and(|d| !d.one_sided());
    if two_sided_only && !target.kind.has_host_side() && !target.kind.shareable() {
        return Some(format!(
            "{kind}: every probe chosen needs a second side (the host or a second container); the {} target's storage belongs to one container",
            target.kind.as_str()
        ));
    }
    if target.ro && !w.params.reads_dataset() {
        return Some(format!("{kind} writes, {target} is read-only"));
    }
    None
}

/// Why a driven kind cannot run on `target`: coherence needs the folder on the host, watch
/// the host's folder or a second container on the same storage.
fn cannot_drive(kind: &str, sides: Sides, target: &TargetSpec) -> Option<String> {
    let t = target.kind;
    match sides {
        Sides::HostToTarget | Sides::TargetToHost if !t.has_host_side() => Some(format!(
            "{kind} changes files on one side of a folder the host and the container share; the {} target has no folder on the host",
            t.as_str()
        )),
        Sides::OtherToTarget if !t.has_host_side() && !t.shareable() => Some(format!(
            "{kind} needs the host or a second container to change the watched folder; the {} target's storage belongs to one container",
            t.as_str()
        )),
        _ => None,
    }
}
