//! The layering of src/, read off the `crate::` paths each module uses: data flows one way
//! (workload → plan → run → results → report), so a lower stage never names a higher one.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

trials!(
    lower_stages_never_name_higher_ones,
    only_the_platform_asks_which_os_it_runs_on,
    crate_paths_are_read_as_written,
    no_source_file_grows_past_400_lines
);

/// (module, modules it must never use).
const RULES: [(&str, &[&str]); 6] = [
    (
        "platform",
        &[
            "workload", "measure", "metric", "targets", "run", "report", "plan", "agent", "env",
            "commands",
        ],
    ),
    (
        "workload",
        &["targets", "run", "report", "plan", "commands"],
    ),
    (
        "measure",
        &["targets", "run", "report", "plan", "workload", "commands"],
    ),
    (
        "metric",
        &["targets", "run", "report", "plan", "workload", "commands"],
    ),
    ("report", &["targets", "run", "commands", "agent"]),
    ("targets", &["run", "report", "commands"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The .rs files of a top-level module: `src/NAME.rs` and everything under `src/NAME/`.
fn module_files(name: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let single = src().join(format!("{name}.rs"));
    if single.is_file() {
        files.push(single);
    }
    let mut dirs = vec![src().join(name)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The top-level modules a source text names through `crate::`, including grouped
/// imports such as `use crate::{a::b, c};`.
fn crate_modules(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        if at > 0 && text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            found.extend(group_heads(group));
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

/// The first segment of each comma-separated path at the top level of a `{...}` group,
/// given the text after its opening brace.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            c if start && !c.is_whitespace() => {
                heads.push(ident(&group[i..]));
                start = false;
            }
            _ => {}
        }
    }
    heads
}

fn ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn lower_stages_never_name_higher_ones() {
    let mut violations = Vec::new();
    for (module, forbidden) in RULES {
        let files = module_files(module);
        assert!(!files.is_empty(), "module {module} has no files under src/");
        for file in files {
            let text = fs::read_to_string(&file).expect("source file readable");
            for used in crate_modules(&text) {
                if forbidden.contains(&used.as_str()) {
                    let shown = file
                        .strip_prefix(src())
                        .unwrap_or(&file)
                        .display()
                        .to_string();
                    violations.push(format!("src/{shown} ({module}) uses crate::{used}"));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering broken:\n{}",
        violations.join("\n")
    );
}

/// Which OS the code runs on is asked in src/platform/ alone: Linux and macOS side by side
/// there, no `cfg(target_os)` scattered through the workload engine or anywhere else.
fn only_the_platform_asks_which_os_it_runs_on() {
    let platform = src().join("platform");
    let mut scattered = Vec::new();
    for file in module_files("") {
        if file.starts_with(&platform) {
            continue;
        }
        let text = fs::read_to_string(&file).expect("source file readable");
        if text.contains("target_os") || text.contains("cfg(unix") || text.contains("cfg(windows") {
            scattered.push(file.display().to_string());
        }
    }
    assert!(
        scattered.is_empty(),
        "OS checks outside src/platform/: {scattered:?}"
    );
}

fn crate_paths_are_read_as_written() {
    let table: [(&str, &[&str]); 5] = [
        ("use crate::run::Session;", &["run"]),
        (
            "use crate::{measure::Op, metric::{Metric, Unit}, size};",
            &["measure", "metric", "size"],
        ),
        ("if crate::run::interrupted() {}", &["run"]),
        ("use mountbench::run; // not crate::", &[]),
        ("let x = foocrate::targets::y;", &[]),
    ];
    for (text, expected) in table {
        let got: Vec<String> = crate_modules(text).into_iter().collect();
        assert_eq!(got, expected.to_vec(), "{text}");
    }
}

fn no_source_file_grows_past_400_lines() {
    let mut dirs = vec![src()];
    let mut too_long = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("src/ readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let lines = fs::read_to_string(&path)
                    .expect("source readable")
                    .lines()
                    .count();
                if lines > 400 {
                    too_long.push(format!("{} has {lines} lines", path.display()));
                }
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "one concept per file, 400 lines at most:\n{}",
        too_long.join("\n")
    );
}
