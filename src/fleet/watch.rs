//! Watching a fleet job until every chosen node's task has ended, its node has left, or the
//! run is cancelled; each node's fate decided from the manager's view alone.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::cancel::CancelToken;
use crate::engine::swarm::job::{NodeInfo, TaskInfo, TaskState};
use crate::error::{Error, Result};

/// How often the manager is asked.
const POLL: Duration = Duration::from_secs(1);
/// A node with no task this long after the job was made gets none.
const NO_TASK_AFTER: Duration = Duration::from_secs(60);

/// What the manager said of one node's task, in the end.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// The task ran to its end (exit 0): its logs hold the results.
    Complete { task: String },
    /// The task ended otherwise: its logs may hold part of the results.
    Ended { task: String, why: String },
    /// The node left the swarm (or stopped answering) before its task ended.
    Lost { why: String },
}

/// What the watch needs from the manager; the Swarm client, or a script in tests.
pub trait Manager {
    fn tasks(&mut self) -> Result<Vec<TaskInfo>>;
    fn nodes(&mut self) -> Result<Vec<NodeInfo>>;
}

/// A refusal that means the user's input was bad, not the node: the bind source (the data
/// dir) is missing on a node.
pub fn bad_input(task: &TaskInfo) -> Option<String> {
    let m = &task.message;
    (m.contains("bind source path does not exist") || m.contains("invalid mount config"))
        .then(|| m.clone())
}

/// Watch until every node in `nodes` (by id) has a fate; None when cancelled first.
/// `note` hears every change of a node's task state.
pub fn watch(
    manager: &mut dyn Manager,
    nodes: &[NodeInfo],
    cancel: &CancelToken,
    note: &mut dyn FnMut(&NodeInfo, &str),
) -> Result<Option<BTreeMap<String, Fate>>> {
    let started = Instant::now();
    let mut fates: BTreeMap<String, Fate> = BTreeMap::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    loop {
        if cancel.is_cancelled() {
            return Ok(None);
        }
        let tasks = manager.tasks()?;
        let states = manager.nodes()?;
        for node in nodes {
            if fates.contains_key(&node.id) {
                continue;
            }
            let task = tasks.iter().find(|t| t.node_id == node.id);
            if let Some(task) = task {
                if let Some(why) = bad_input(task) {
                    return Err(Error::input(format!("node {}", node.hostname), why));
                }
                // Waiting states (new, pending, preparing…) pass in a moment: not worth a line.
                let changed = seen.get(&node.id) != Some(&task.state_name);
                if changed && task.state != TaskState::Waiting {
                    seen.insert(node.id.clone(), task.state_name.clone());
                    note(node, &describe(task));
                }
            }
            if let Some(fate) = fate(node, task, &states, started.elapsed()) {
                if let Fate::Lost { why } = &fate {
                    note(node, why);
                }
                fates.insert(node.id.clone(), fate);
            }
        }
        if fates.len() == nodes.len() {
            return Ok(Some(fates));
        }
        std::thread::sleep(POLL);
    }
}

fn describe(task: &TaskInfo) -> String {
    match task.message.is_empty() {
        true => task.state_name.clone(),
        false => format!("{} ({})", task.state_name, task.message),
    }
}

/// The node's fate now, if decided.
fn fate(
    node: &NodeInfo,
    task: Option<&TaskInfo>,
    states: &[NodeInfo],
    waited: Duration,
) -> Option<Fate> {
    if let Some(task) = task.filter(|t| t.state.done()) {
        return Some(match (task.state, task.exit_code) {
            (TaskState::Complete, _) => Fate::Complete {
                task: task.id.clone(),
            },
            (_, code) => Fate::Ended {
                task: task.id.clone(),
                why: ended_why(task, code),
            },
        });
    }
    let now = states.iter().find(|n| n.id == node.id);
    match now {
        None => Some(Fate::Lost {
            why: "the node left the swarm before its task ended".into(),
        }),
        Some(n) if !n.ready => Some(Fate::Lost {
            why: format!(
                "the node went {} before its task ended (its engine stopped answering the manager)",
                n.state
            ),
        }),
        Some(_) if task.is_none() && waited > NO_TASK_AFTER => Some(Fate::Lost {
            why: format!("no task reached the node in {} s", NO_TASK_AFTER.as_secs()),
        }),
        Some(_) => None,
    }
}

fn ended_why(task: &TaskInfo, code: Option<i64>) -> String {
    let mut why = format!("its task {}", task.state_name);
    if let Some(code) = code.filter(|c| *c != 0) {
        why.push_str(&format!(" with exit code {code}"));
    }
    if !task.message.is_empty() {
        why.push_str(&format!(": {}", task.message));
    }
    if task.message.contains("No such image") {
        why.push_str(" (give the node the agent image: docker save IMAGE | docker load there, or name an image every node can pull with --agent-image; docs/fleet.md)");
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    fn node(id: &str, ready: bool) -> NodeInfo {
        NodeInfo {
            id: id.into(),
            hostname: format!("host-{id}"),
            arch: "x86_64".into(),
            os: "linux".into(),
            labels: Default::default(),
            ready,
            active: true,
            state: if ready { "ready" } else { "down" }.into(),
        }
    }

    fn task(node: &str, state: &str, message: &str, code: Option<i64>) -> TaskInfo {
        TaskInfo {
            id: format!("t-{node}"),
            node_id: node.into(),
            state: TaskState::of(state),
            state_name: state.into(),
            message: message.into(),
            exit_code: code,
        }
    }

    /// Answers a scripted sequence of (tasks, nodes); the last one repeats.
    struct Script(VecDeque<(Vec<TaskInfo>, Vec<NodeInfo>)>);

    impl Manager for Script {
        fn tasks(&mut self) -> Result<Vec<TaskInfo>> {
            Ok(self.0.front().map(|s| s.0.clone()).unwrap_or_default())
        }
        fn nodes(&mut self) -> Result<Vec<NodeInfo>> {
            let now = self.0.front().map(|s| s.1.clone()).unwrap_or_default();
            if self.0.len() > 1 {
                self.0.pop_front();
            }
            Ok(now)
        }
    }

    #[test]
    fn each_node_gets_its_fate_and_a_lost_node_does_not_hold_the_others() {
        let nodes = [node("a", true), node("b", true), node("c", true)];
        let script = Script(VecDeque::from([
            (
                vec![
                    task("a", "running", "", None),
                    task("b", "running", "", None),
                    task("c", "running", "", None),
                ],
                vec![node("a", true), node("b", true), node("c", true)],
            ),
            (
                vec![
                    task("a", "complete", "finished", Some(0)),
                    task("b", "running", "", None),
                    task("c", "failed", "task: non-zero exit (1)", Some(1)),
                ],
                vec![node("a", true), node("b", false), node("c", true)],
            ),
        ]));
        let mut script = script;
        let mut notes = Vec::new();
        let fates = watch(&mut script, &nodes, &CancelToken::new(), &mut |n, s| {
            notes.push(format!("{}: {s}", n.hostname))
        })
        .unwrap()
        .unwrap();
        assert_eq!(fates["a"], Fate::Complete { task: "t-a".into() });
        assert!(matches!(&fates["b"], Fate::Lost { why } if why.contains("went down")));
        assert!(
            matches!(&fates["c"], Fate::Ended { why, .. } if why == "its task failed with exit code 1: task: non-zero exit (1)")
        );
        assert!(notes.contains(&"host-a: running".to_string()), "{notes:?}");
    }

    #[test]
    fn a_missing_bind_source_is_bad_input_and_cancel_stops_the_watch() {
        let nodes = [node("a", true)];
        let missing = "invalid mount config for type \"bind\": bind source path does not exist: /x";
        let mut script = Script(VecDeque::from([(
            vec![task("a", "rejected", missing, None)],
            vec![node("a", true)],
        )]));
        let err = watch(&mut script, &nodes, &CancelToken::new(), &mut |_, _| {}).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let cancel = CancelToken::new();
        cancel.cancel();
        let got = watch(&mut script, &nodes, &cancel, &mut |_, _| {}).unwrap();
        assert!(got.is_none());
    }
}
