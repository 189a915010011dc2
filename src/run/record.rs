//! What a step did, as result rows: pure functions of the run's meta, the cell, the step and
//! the agent's answer (or the error in its place).

use crate::agent::RepResult;
use crate::error::{Error, Result};
use crate::measure::{LatencySummary, OpHistograms};
use crate::metric::Metric;
use crate::plan::{Cell, Step};
use crate::results::verdicts::{ProbeRow, RowPlace};
use crate::results::{RepRow, RunMeta, SCHEMA};
use crate::workload::cold::CacheCheck;
use crate::workload::MetricResult;

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    pub ok: bool,
    pub error: Option<String>,
    /// Seconds of the headline metric, as measured inside the agent.
    pub seconds: f64,
    pub bytes: u64,
    pub mib_s: f64,
    /// What a boundary rep counted ("40 seen, 0 stale, 0 lost"), shown instead of a rate.
    pub counts: Option<String>,
}

/// A step's rows (one per metric), its histograms when it succeeded, and its outcome.
pub(crate) struct Recorded {
    pub(crate) rows: Vec<RepRow>,
    pub(crate) histograms: Option<OpHistograms>,
    pub(crate) outcome: StepOutcome,
    /// What each semantics probe saw, for a measured (not warm-up) rep.
    pub(crate) probes: Vec<ProbeRow>,
}

/// The agent's result and the seconds spent outside its own timing.
pub(crate) type Answer = Result<(RepResult, f64)>;

pub(crate) fn record(meta: &RunMeta, cell: &Cell, step: Step, answer: Answer) -> Recorded {
    let base = |metric| base_row(meta, cell, step, metric);
    match decode(answer) {
        Ok((result, overhead, histograms)) => {
            let rows: Vec<RepRow> = result
                .metrics
                .iter()
                .map(|m| {
                    let row = measured_row(base(m.metric), &result, m, overhead, &histograms);
                    RepRow {
                        cache_check: CacheCheck::of(cell.phase, row.residency),
                        ..row
                    }
                })
                .collect();
            let head = &rows[0];
            let outcome = StepOutcome {
                ok: true,
                error: None,
                seconds: head.seconds,
                bytes: head.bytes,
                mib_s: head.mib_s,
                counts: counts(&rows),
            };
            let probes = probe_rows(meta, cell, step, &result);
            Recorded {
                rows,
                histograms: Some(histograms),
                outcome,
                probes,
            }
        }
        Err(e) => failed(base, cell, e.to_string()),
    }
}

/// The answer with its histograms read; an answer without metrics is a failure.
fn decode(answer: Answer) -> Result<(RepResult, f64, OpHistograms)> {
    let (result, overhead) = answer?;
    if result.metrics.is_empty() {
        return Err(Error::Protocol("the answer has no metrics".into()));
    }
    let histograms = OpHistograms::decode(&result.histograms).map_err(Error::Protocol)?;
    Ok((result, overhead, histograms))
}

fn measured_row(
    base: RepRow,
    result: &RepResult,
    m: &MetricResult,
    overhead: f64,
    histograms: &OpHistograms,
) -> RepRow {
    let latency = histograms.get(m.metric.main_op()).map(LatencySummary::of);
    RepRow {
        bytes: m.bytes,
        ops: m.ops,
        seconds: m.seconds,
        mib_s: m.bytes as f64 / (1 << 20) as f64 / m.seconds,
        ops_s: m.ops as f64 / m.seconds,
        p50_us: latency.map(|l| l.p50_us),
        p99_us: latency.map(|l| l.p99_us),
        residency: result.residency,
        overhead_s: Some(overhead),
        ok: true,
        au: m.au,
        ..base
    }
}

/// One failed row per metric the workload reports, each carrying the error.
fn failed(base: impl Fn(Metric) -> RepRow, cell: &Cell, message: String) -> Recorded {
    let rows = cell
        .workload
        .params
        .metrics()
        .iter()
        .map(|&metric| RepRow {
            error: message.clone(),
            ..base(metric)
        })
        .collect();
    Recorded {
        rows,
        histograms: None,
        probes: Vec::new(),
        outcome: StepOutcome {
            ok: false,
            error: Some(message),
            seconds: 0.0,
            bytes: 0,
            mib_s: 0.0,
            counts: None,
        },
    }
}

/// One semantics.csv row per probe the rep ran; none for a warm-up.
fn probe_rows(meta: &RunMeta, cell: &Cell, step: Step, result: &RepResult) -> Vec<ProbeRow> {
    if step.warmup {
        return Vec::new();
    }
    let at = RowPlace {
        meta,
        engine: &cell.engine,
        workload: &cell.workload.name,
        target: cell.target,
        rep: step.rep,
    };
    result.probes.iter().map(|o| ProbeRow::of(&at, o)).collect()
}

/// "40 seen, 0 stale, 0 lost" for a boundary rep's rows; None for rates.
fn counts(rows: &[RepRow]) -> Option<String> {
    if !rows.iter().all(|r| r.metric.is_boundary()) {
        return None;
    }
    let parts: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.ops, r.metric))
        .collect();
    Some(parts.join(", "))
}

fn base_row(meta: &RunMeta, cell: &Cell, step: Step, metric: Metric) -> RepRow {
    RepRow {
        schema: SCHEMA,
        run_id: meta.run_id.clone(),
        host: meta.host.clone(),
        os: meta.os.clone(),
        engine: cell.engine.clone(),
        engine_label: meta.engine_label(&cell.engine),
        workload: cell.workload.name.clone(),
        kind: cell.workload.params.kind().to_string(),
        target: cell.target,
        phase: cell.phase,
        metric,
        rep: step.rep,
        warmup: step.warmup,
        bytes: 0,
        ops: 0,
        seconds: 0.0,
        mib_s: 0.0,
        ops_s: 0.0,
        p50_us: None,
        p99_us: None,
        residency: None,
        overhead_s: None,
        ok: false,
        error: String::new(),
        au: None,
        cache_check: None,
    }
}

/// "workload/target/phase rep N: error", once per failed rep (it has one row per metric).
pub(crate) fn failed_reps(reps: &[RepRow]) -> Vec<String> {
    let mut failed: Vec<String> = reps
        .iter()
        .filter(|r| !r.ok)
        .map(|r| {
            let kind = if r.warmup { "warm-up" } else { "rep" };
            format!(
                "{}/{}/{} {kind} {}: {}",
                r.workload,
                r.place(),
                r.phase,
                r.rep,
                r.error
            )
        })
        .collect();
    failed.dedup();
    failed
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::agent::RepResult;
    use crate::measure::Op;
    use crate::plan::WorkloadFile;
    use crate::plan::{Overrides, Plan};

    const CHECKPOINT: &str = r#"
[run]
targets = ["tmpfs"]
[targets.tmpfs]
size = "64MiB"
[[workload]]
kind = "checkpoint"
name = "ckpt"
size = "4MiB"
chunk_size = "1MiB"
"#;

    fn cell() -> Cell {
        let file = WorkloadFile::parse(Path::new("t.toml"), CHECKPOINT).unwrap();
        Plan::new(file, &Overrides::default()).unwrap().cells[0].clone()
    }

    fn meta() -> RunMeta {
        RunMeta {
            run_id: "r1".into(),
            host: "h".into(),
            os: "Linux".into(),
            engine_labels: Default::default(),
        }
    }

    const STEP: Step = Step {
        cell: 0,
        rep: 2,
        warmup: false,
    };

    #[test]
    fn an_answer_makes_one_row_per_metric_with_rates_and_latency() {
        let mut histograms = OpHistograms::default();
        histograms.record(Op::Write, 2_000);
        let result: RepResult = serde_json::from_value(serde_json::json!({
            "metrics": [
                {"metric": "save", "bytes": 4 << 20, "ops": 4, "seconds": 2.0},
                {"metric": "restore", "bytes": 4 << 20, "ops": 4, "seconds": 1.0},
            ],
            "histograms": histograms.encode(),
            "residency": 0.5,
            "agent_seconds": 3.0,
        }))
        .unwrap();
        let recorded = record(&meta(), &cell(), STEP, Ok((result, 0.25)));
        let [save, restore] = &recorded.rows[..] else {
            panic!("{:?}", recorded.rows)
        };
        assert_eq!(
            (save.metric, save.mib_s, save.ops_s),
            (Metric::Save, 2.0, 2.0)
        );
        assert!(save.p50_us.is_some(), "write latency stands for save");
        assert_eq!(restore.p50_us, None, "no restore histogram");
        assert!(save.ok && save.error.is_empty());
        assert_eq!(
            (save.rep, save.overhead_s, save.residency),
            (2, Some(0.25), Some(0.5))
        );
        assert_eq!(
            (save.run_id.as_str(), save.target.to_string().as_str()),
            ("r1", "tmpfs")
        );
        assert!(recorded.histograms.is_some());
        let o = recorded.outcome;
        assert_eq!(
            (o.ok, o.seconds, o.bytes, o.mib_s),
            (true, 2.0, 4 << 20, 2.0)
        );
    }

    #[test]
    fn an_error_makes_a_failed_row_for_every_metric_of_the_workload() {
        let answer = Err(Error::Agent("exit 1: boom".into()));
        let recorded = record(&meta(), &cell(), STEP, answer);
        let metrics: Vec<_> = recorded.rows.iter().map(|r| r.metric.name()).collect();
        assert_eq!(metrics, ["save", "write-fsync", "restore"]);
        assert!(recorded
            .rows
            .iter()
            .all(|r| !r.ok && r.error == "agent: exit 1: boom"));
        assert!(recorded.histograms.is_none());
        assert_eq!(
            recorded.outcome.error.as_deref(),
            Some("agent: exit 1: boom")
        );
        assert_eq!(
            failed_reps(&recorded.rows),
            ["ckpt/tmpfs/warm rep 2: agent: exit 1: boom"]
        );
    }

    #[test]
    fn an_answer_without_metrics_is_a_failed_rep() {
        let result: RepResult = serde_json::from_value(serde_json::json!({
            "metrics": [], "histograms": {}, "residency": null, "agent_seconds": 0.1,
        }))
        .unwrap();
        let recorded = record(&meta(), &cell(), STEP, Ok((result, 0.0)));
        assert!(!recorded.outcome.ok);
        assert_eq!(recorded.rows.len(), 3);
    }
}
