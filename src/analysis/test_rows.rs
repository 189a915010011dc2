//! Rep rows for the tests of the analysis and of the stages that read it.

use crate::metric::Metric;
use crate::results::{RepRow, SCHEMA};

/// A measured seq-read rep row on `target` (native on no engine, else `default`), for tests.
pub(crate) fn seq_row(target: &str, rep: u32, mib_s: f64) -> RepRow {
    RepRow {
        schema: SCHEMA,
        run_id: "r".into(),
        host: "h".into(),
        os: "Linux".into(),
        engine: if target == "native" { "" } else { "default" }.into(),
        engine_label: "none".into(),
        workload: "seq".into(),
        kind: "seq-read".into(),
        target: target.into(),
        phase: "warm".into(),
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
