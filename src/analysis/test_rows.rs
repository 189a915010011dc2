//! Rep rows for the tests of the analysis and of the stages that read it.

use crate::cell::{EngineName, Phase, TargetSpec};
use crate::metric::Metric;
use crate::results::{RepRow, SCHEMA};

/// A measured seq-read rep row on `target` (native on no engine, else `default`), for tests.
pub(crate) fn seq_row(target: &str, rep: u32, mib_s: f64) -> RepRow {
    let target: TargetSpec = target.parse().expect("a target name");
    RepRow {
        schema: SCHEMA,
        run_id: "r".into(),
        host: "h".into(),
        os: "Linux".into(),
        engine: match target.is_native() {
            true => EngineName::NONE,
            false => EngineName::default_engine(),
        },
        engine_label: "none".into(),
        workload: "seq".into(),
        kind: "seq-read".into(),
        target,
        phase: Phase::Warm,
        metric: Metric::Read,
        rep,
        warmup: false,
        bytes: 1 << 20,
        ops: 1,
        seconds: 1.0 / mib_s,
        mib_s,
        ops_s: mib_s,
        p50_us: None,
        p99_us: None,
        residency: None,
        overhead_s: None,
        ok: true,
        error: String::new(),
        au: None,
        cache_check: None,
    }
}
