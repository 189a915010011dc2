//! Which nodes of a swarm a fleet run measures: those with every `--nodes LABEL=VALUE`
//! label, ready and active, of an architecture the agent image covers. Checked before
//! anything is created; a bad choice is the user's to fix (exit 2).

use std::str::FromStr;

use crate::engine::swarm::job::NodeInfo;
use crate::error::{Error, Result};

/// `--nodes LABEL=VALUE`: a node label and the value it must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFilter {
    pub label: String,
    pub value: String,
}

impl FromStr for NodeFilter {
    type Err = String;

    fn from_str(text: &str) -> Result<NodeFilter, String> {
        let Some((label, value)) = text.split_once('=') else {
            return Err(format!("`{text}`: give LABEL=VALUE (a node label)"));
        };
        let ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
        };
        if !ok(label) || !ok(value) {
            return Err(format!(
                "`{text}`: labels and values are letters, digits, `.`, `_`, `-` or `/`"
            ));
        }
        Ok(NodeFilter {
            label: label.to_string(),
            value: value.to_string(),
        })
    }
}

impl NodeFilter {
    /// The placement constraint that lets only such nodes in.
    pub fn constraint(&self) -> String {
        format!("node.labels.{}=={}", self.label, self.value)
    }

    fn matches(&self, node: &NodeInfo) -> bool {
        node.labels.get(&self.label) == Some(&self.value)
    }
}

/// The nodes chosen, and the matching ones left out with why.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    pub nodes: Vec<NodeInfo>,
    pub left_out: Vec<String>,
}

/// The architecture as a Linux kernel names it (`uname -m`).
pub fn kernel_arch(arch: &str) -> &str {
    match arch {
        "amd64" | "x86-64" => "x86_64",
        "arm64" => "aarch64",
        other => other,
    }
}

/// Choose among `all` the nodes every filter lets in; `agent_arch` is the architecture of
/// the agent image's binary (None: an image the user named, whose binary is not known).
pub fn choose(
    all: &[NodeInfo],
    filters: &[NodeFilter],
    agent_arch: Option<&str>,
) -> Result<Chosen> {
    let matching: Vec<&NodeInfo> = all
        .iter()
        .filter(|n| filters.iter().all(|f| f.matches(n)))
        .collect();
    if matching.is_empty() {
        let wanted: Vec<String> = filters
            .iter()
            .map(|f| format!("{}={}", f.label, f.value))
            .collect();
        return Err(Error::input(
            "--nodes",
            format!(
                "no node of the swarm has {} (its nodes: {})",
                wanted.join(" and "),
                describe(all)
            ),
        ));
    }
    let mut chosen = Chosen {
        nodes: Vec::new(),
        left_out: Vec::new(),
    };
    for node in matching {
        if !node.ready || !node.active {
            chosen.left_out.push(format!(
                "{}: status {}{}",
                node.hostname,
                node.state,
                if node.active { "" } else { ", not active" }
            ));
            continue;
        }
        if let Some(arch) = agent_arch {
            if kernel_arch(&node.arch) != kernel_arch(arch) {
                return Err(Error::input(
                    format!("node {}", node.hostname),
                    format!(
                        "is {}, but the agent image holds an {arch} binary; leave it out with --nodes or name an image for it with --agent-image",
                        node.arch
                    ),
                ));
            }
        }
        chosen.nodes.push(node.clone());
    }
    chosen.nodes.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    if chosen.nodes.is_empty() {
        return Err(Error::input(
            "--nodes",
            format!(
                "no chosen node is ready and active ({})",
                chosen.left_out.join("; ")
            ),
        ));
    }
    Ok(chosen)
}

fn describe(all: &[NodeInfo]) -> String {
    all.iter()
        .map(|n| {
            let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{} [{}]", n.hostname, labels.join(","))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn node(name: &str, arch: &str, rack: &str, ready: bool) -> NodeInfo {
        NodeInfo {
            id: format!("id-{name}"),
            hostname: name.into(),
            arch: arch.into(),
            os: "linux".into(),
            labels: BTreeMap::from([("rack".to_string(), rack.to_string())]),
            ready,
            active: true,
            state: if ready { "ready" } else { "down" }.into(),
        }
    }

    #[test]
    fn nodes_are_chosen_by_label_state_and_arch() {
        let all = [
            node("a", "x86_64", "odd", true),
            node("b", "x86_64", "even", true),
            node("c", "x86_64", "odd", false),
        ];
        let odd: NodeFilter = "rack=odd".parse().unwrap();
        let chosen = choose(&all, std::slice::from_ref(&odd), Some("x86_64")).unwrap();
        assert_eq!(chosen.nodes.len(), 1);
        assert_eq!(chosen.nodes[0].hostname, "a");
        assert_eq!(chosen.left_out, ["c: status down"]);
        assert_eq!(odd.constraint(), "node.labels.rack==odd");
        assert_eq!(choose(&all, &[], Some("x86_64")).unwrap().nodes.len(), 2);
    }

    #[test]
    fn no_match_or_an_uncovered_arch_is_bad_input() {
        let all = [
            node("a", "x86_64", "odd", true),
            node("m", "aarch64", "odd", true),
        ];
        let blue: NodeFilter = "rack=blue".parse().unwrap();
        let err = choose(&all, &[blue], Some("x86_64")).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string()
                .contains("no node of the swarm has rack=blue"),
            "{err}"
        );
        let err = choose(&all, &[], Some("x86_64")).unwrap_err();
        assert!(err.to_string().starts_with("node m: is aarch64"), "{err}");
        assert_eq!(choose(&all, &[], None).unwrap().nodes.len(), 2);
        assert!("rack".parse::<NodeFilter>().is_err());
    }
}
