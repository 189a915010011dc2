//! Who uses whom in src/: each path a file names resolved to the file that defines it, and
//! the cycles of that graph, between files or between top-level modules.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::source::{named_paths, use_tree_paths, SourceFile};

/// Edges from each node to the nodes it uses (itself left out).
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The file-level graph: `run/start.rs` → `run/resume.rs`.
pub fn file_graph(files: &[SourceFile]) -> Graph {
    let names: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let exports = root_exports(files);
    let mut graph = Graph::new();
    for file in files {
        let here = module_of(&file.path);
        let used = graph.entry(file.path.clone()).or_default();
        for path in named_paths(&file.code) {
            let Some(absolute) = absolute(&here, &path) else {
                continue;
            };
            if let Some(target) = file_of(&absolute, &names, &exports) {
                if target != file.path {
                    used.insert(target);
                }
            }
        }
    }
    graph
}

/// The module-level graph: `run` → `targets`, from the file graph.
pub fn module_graph(files: &Graph) -> Graph {
    let mut graph = Graph::new();
    for (file, used) in files {
        let from = top_module(file);
        let entry = graph.entry(from.clone()).or_default();
        entry.extend(used.iter().map(|u| top_module(u)).filter(|m| *m != from));
    }
    graph
}

/// The top-level module a file belongs to: `run` for run/start.rs, `main` for main.rs.
pub fn top_module(file: &str) -> String {
    let first = file.split('/').next().unwrap_or(file);
    first.trim_end_matches(".rs").to_string()
}

/// The module path of a file: run/start.rs is [run, start], run/mod.rs [run], lib.rs [].
fn module_of(file: &str) -> Vec<String> {
    let stem = file.trim_end_matches(".rs");
    let mut parts: Vec<String> = stem.split('/').map(String::from).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// A path as written, from the crate root: `super::x` in run/start.rs is [run, x].
fn absolute(here: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut base = here.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate" | "mountbench") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        _ => {}
    }
    while rest.first().map(String::as_str) == Some("super") {
        base.pop()?;
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The file defining the longest module prefix of `path`; a name lib.rs re-exports
/// (`crate::Error`) is its module's.
fn file_of(
    path: &[String],
    files: &BTreeSet<&str>,
    exports: &BTreeMap<String, Vec<String>>,
) -> Option<String> {
    for n in (1..=path.len()).rev() {
        let stem = path[..n].join("/");
        for candidate in [format!("{stem}.rs"), format!("{stem}/mod.rs")] {
            if files.contains(candidate.as_str()) {
                return Some(candidate);
            }
        }
    }
    let module = exports.get(path.first()?)?;
    file_of(module, files, &BTreeMap::new())
}

/// The names lib.rs re-exports (`pub use error::{Error, Result}`) and the module of each.
fn root_exports(files: &[SourceFile]) -> BTreeMap<String, Vec<String>> {
    let mut exports = BTreeMap::new();
    let Some(lib) = files.iter().find(|f| f.path == "lib.rs") else {
        return exports;
    };
    for (at, _) in lib.code.match_indices("pub use ") {
        for mut path in use_tree_paths(&lib.code[at + "pub use ".len()..], &[]) {
            if let Some(name) = path.pop() {
                exports.insert(name, path);
            }
        }
    }
    exports
}

/// Every group of nodes that use each other (a strongly connected component), with the
/// shortest cycle from its first node (`a → b → a`).
pub fn cycles(graph: &Graph) -> Vec<(BTreeSet<String>, Vec<String>)> {
    components(graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|component| {
            let cycle = shortest_cycle(graph, &component);
            (component, cycle)
        })
        .collect()
}

fn shortest_cycle(graph: &Graph, component: &BTreeSet<String>) -> Vec<String> {
    let start = component.first().expect("a component has nodes").clone();
    let mut came_from: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = VecDeque::from([start.clone()]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(&node).into_iter().flatten() {
            if !component.contains(next) || came_from.contains_key(next) {
                continue;
            }
            came_from.insert(next.clone(), node.clone());
            if *next == start {
                let mut path = vec![start.clone()];
                let mut at = node.clone();
                while at != start {
                    path.push(at.clone());
                    at = came_from[&at].clone();
                }
                path.push(start.clone());
                path.reverse();
                return path;
            }
            queue.push_back(next.clone());
        }
    }
    unreachable!("a strongly connected component of two or more nodes has a cycle")
}

/// The strongly connected components (Tarjan).
fn components(graph: &Graph) -> Vec<BTreeSet<String>> {
    struct Walk<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<BTreeSet<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, node: &'g str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = BTreeSet::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.insert(top.to_string());
                    if top == node {
                        break;
                    }
                }
                self.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}
