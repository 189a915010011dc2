//! Rounds past the plan's `reps` until the CI is tight: a pure decision from the results
//! so far. Round `r` is decided on the measured reps of rounds before `r` only, so a
//! resumed run decides every round exactly as the interrupted one would have.

use std::collections::BTreeSet;

use crate::analysis::{analyze_with_goal, CiGoal, CiStatus};
use crate::cell::CellKey;
use crate::plan::Plan;
use crate::results::Results;

/// The run's CI goal, when it has a target.
pub(crate) fn goal(plan: &Plan) -> Option<CiGoal> {
    plan.target_ci.map(|target| CiGoal {
        target,
        max_reps: plan.max_reps,
    })
}

/// The cells (plan indices) to run in measured round `round`: every cell with a metric
/// whose CI is still wider than the target, and native in the same workload and phase
/// (its reps pair with theirs). None when the plan sets no target, the cap is reached, the
/// round is one of the plan's own, or every cell is within the target.
pub(crate) fn next_round(plan: &Plan, results: &Results, round: u32) -> Option<Vec<usize>> {
    let goal = goal(plan)?;
    if round < plan.reps || round >= goal.max_reps {
        return None;
    }
    let open = open_cells(&before(results, round), goal);
    let wanted = |cell: &CellKey| open.contains(cell) || open.iter().any(|o| o.native() == *cell);
    let cells: Vec<usize> = (0..plan.cells.len())
        .filter(|&i| wanted(&plan.cells[i].key()))
        .collect();
    let needs_more = cells.iter().any(|&i| open.contains(&plan.cells[i].key()));
    needs_more.then_some(cells)
}

/// The measured reps of rounds before `round` (the histograms do not matter here).
fn before(results: &Results, round: u32) -> Results {
    Results {
        meta: results.meta.clone(),
        reps: results
            .reps
            .iter()
            .filter(|r| !r.warmup && r.rep < round)
            .cloned()
            .collect(),
        histograms: Default::default(),
        probes: Vec::new(),
    }
}

/// Cells with a metric neither within the target nor capped.
fn open_cells(results: &Results, goal: CiGoal) -> BTreeSet<CellKey> {
    analyze_with_goal(results, Some(goal))
        .summary
        .iter()
        .filter(|row| row.ci_status == Some(CiStatus::Open))
        .map(|row| row.cell())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::analysis::test_rows::seq_row;
    use crate::plan::{Overrides, WorkloadFile};

    const FILE: &str = r#"
[run]
reps = 3
warmup = 1
targets = ["native", "bind", "tmpfs"]
target_ci = "3%"
max_reps = 6
[targets.tmpfs]
size = "64MiB"
[[workload]]
kind = "seq-read"
name = "seq"
shards = 2
shard_size = "1MiB"
"#;

    fn plan(text: &str) -> Plan {
        let file = WorkloadFile::parse(Path::new("t.toml"), text).unwrap();
        Plan::new(file, &Overrides::default()).unwrap()
    }

    /// Native steady at 100; bind pairs steadily at 0.5; tmpfs jumps between 0.5 and 1.5.
    fn results(rounds: u32) -> Results {
        let mut results = Results::default();
        for r in 0..rounds {
            let jump = if r % 2 == 0 { 50.0 } else { 150.0 };
            results.reps.push(seq_row("native", r, 100.0));
            results.reps.push(seq_row("bind", r, 50.0));
            results.reps.push(seq_row("tmpfs", r, jump));
        }
        results
    }

    fn targets(plan: &Plan, cells: &[usize]) -> Vec<String> {
        cells
            .iter()
            .map(|&i| plan.cells[i].target.to_string())
            .collect()
    }

    #[test]
    fn adds_rounds_for_wide_cells_and_their_native_until_the_cap() {
        let plan = plan(FILE);
        assert_eq!(
            next_round(&plan, &results(3), 2),
            None,
            "a round of the plan"
        );
        let cells = next_round(&plan, &results(3), 3).unwrap();
        assert_eq!(targets(&plan, &cells), ["native", "tmpfs"]);
        assert_eq!(next_round(&plan, &results(5), 5).map(|c| c.len()), Some(2));
        assert_eq!(next_round(&plan, &results(6), 6), None, "max_reps reached");
    }

    #[test]
    fn stops_when_every_cell_is_within_the_target() {
        let plan = plan(&FILE.replace(", \"tmpfs\"]", "]"));
        assert_eq!(targets(&plan, &[0, 1]), ["native", "bind"]);
        assert_eq!(next_round(&plan, &results(3), 3), None);
    }

    #[test]
    fn the_decision_sees_only_the_rounds_before() {
        // Rounds 3 and 4 recorded already (a resumed run): round 3 is decided as before.
        let plan = plan(FILE);
        assert_eq!(
            next_round(&plan, &results(5), 3),
            next_round(&plan, &results(3), 3)
        );
    }

    #[test]
    fn no_target_no_rounds() {
        let plan = plan(&FILE.replace("target_ci = \"3%\"\n", ""));
        assert_eq!(plan.max_reps, 6);
        assert_eq!(next_round(&plan, &results(3), 3), None);
    }
}
