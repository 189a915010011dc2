//! The layering of src/, read off the paths each file names (`crate::`, `super::`,
//! `self::`, and `mountbench::` from the binary): every top-level module uses only what
//! the table below allows, no import cycle between modules or between files, the OS asked
//! in src/platform/ alone, and no file past 400 lines of code.

use std::fs;

use crate::common::import_graph::{cycles, file_graph, module_graph, top_module, Graph};
use crate::common::source::{
    blank_comments_and_literals, code_lines, named_paths, rs_files, source_files, src,
    without_test_modules,
};

trials!(
    every_module_uses_only_what_the_table_allows,
    no_import_cycle_between_modules,
    no_import_cycle_between_files,
    only_the_platform_asks_which_os_it_runs_on,
    only_the_engine_names_bollard,
    crate_paths_are_read_as_written,
    comments_literals_and_test_modules_are_not_code,
    no_source_file_grows_past_400_lines_of_code
);

/// The shared vocabulary: any module may use these.
const VOCABULARY: &[&str] = &["error", "size", "duration", "percent", "cancel", "atomic"];

/// Each top-level module of src/ and the modules it may use besides the vocabulary, in
/// data-flow order: what to run → where it runs → the plan → the run → what it measured →
/// what a person reads; the binary's modules last. A module not written yet may be listed.
#[rustfmt::skip]
const ALLOWED: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("size", &[]),
    ("duration", &[]),
    ("percent", &[]),
    ("cancel", &[]),
    ("atomic", &[]),
    ("platform", &[]),
    ("measure", &[]),
    ("metric", &["measure"]),
    ("cell", &["measure", "metric"]),
    ("workload", &["platform", "measure", "metric", "cell"]),
    ("agent", &["platform", "measure", "metric", "cell", "workload"]),
    ("datadir", &["platform"]),
    ("engine", &["platform", "measure", "metric", "cell", "workload", "agent", "datadir"]),
    ("results", &["platform", "measure", "metric", "cell", "workload"]),
    // The run's environment record: what the targets and engines report, what the report reads.
    ("env", &["platform", "measure", "metric", "cell", "workload", "agent", "datadir", "engine",
              "results"]),
    ("targets", &["platform", "measure", "metric", "cell", "workload", "agent", "datadir", "engine",
                  "env"]),
    ("plan", &["platform", "measure", "metric", "cell", "workload", "datadir", "targets", "engine"]),
    ("run", &["platform", "measure", "metric", "cell", "workload", "agent", "datadir", "engine",
              "targets", "plan", "env", "results", "export", "analysis"]),
    ("analysis", &["measure", "metric", "cell", "workload", "results"]),
    ("export", &["measure", "metric", "cell", "workload", "results", "analysis"]),
    ("report", &["measure", "metric", "cell", "workload", "plan", "env", "results",
                 "analysis"]),
    // A fleet run: the run on every node of a swarm, through the engine's Swarm seam.
    ("fleet", &["platform", "measure", "metric", "cell", "workload", "agent", "datadir", "engine",
                "targets", "plan", "env", "run", "results"]),
    // The binary: src/main.rs and the modules it declares.
    ("main", &["cli", "commands", "data_commands", "fleet_commands", "summary_table"]),
    ("cli", &["workload", "datadir", "engine", "targets", "plan", "fleet"]),
    ("fleet_commands", &["engine", "targets", "plan", "run", "fleet", "report", "cli"]),
    ("summary_table", &["cell", "env", "results", "analysis", "report"]),
    ("data_commands", &["workload", "datadir", "engine", "targets", "plan", "run", "cli"]),
    ("commands", &["platform", "measure", "metric", "cell", "workload", "agent", "datadir",
                   "engine", "targets", "plan", "env", "run", "results", "analysis",
                   "export", "report", "cli", "data_commands", "fleet_commands",
                   "summary_table"]),
];

fn graphs() -> (Graph, Graph) {
    let files = file_graph(&source_files());
    let modules = module_graph(&files);
    (files, modules)
}

fn every_module_uses_only_what_the_table_allows() {
    let (files, modules) = graphs();
    let mut broken = Vec::new();
    for module in modules.keys().filter(|m| *m != "lib") {
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| name == module) else {
            broken.push(format!("{module} has no row in ALLOWED"));
            continue;
        };
        for (file, used) in files.iter().filter(|(f, _)| top_module(f) == *module) {
            for target in used {
                let to = top_module(target);
                if to != *module && !VOCABULARY.contains(&to.as_str()) && !allowed.contains(&&*to) {
                    broken.push(format!("src/{file} ({module}) uses src/{target} ({to})"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

fn report_cycles(graph: &Graph, what: &str) {
    let found: Vec<String> = cycles(graph)
        .iter()
        .map(|(group, cycle)| {
            let group: Vec<&str> = group.iter().map(String::as_str).collect();
            format!("{} (in {{{}}})", cycle.join(" → "), group.join(", "))
        })
        .collect();
    assert!(
        found.is_empty(),
        "{} groups of {what} use each other; a cycle of each:\n{}",
        found.len(),
        found.join("\n")
    );
}

fn no_import_cycle_between_modules() {
    report_cycles(&graphs().1, "top-level modules");
}

fn no_import_cycle_between_files() {
    report_cycles(&graphs().0, "files");
}

/// Which OS the code runs on is asked in src/platform/ alone: Linux and macOS side by side
/// there, no `cfg(target_os)` scattered through the workload engine or anywhere else.
fn only_the_platform_asks_which_os_it_runs_on() {
    let platform = src().join("platform");
    let mut scattered = Vec::new();
    for file in rs_files() {
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

/// The Engine API client is the engine layer's own: `bollard` is named in src/engine/ alone.
fn only_the_engine_names_bollard() {
    let engine = src().join("engine");
    let mut outside = Vec::new();
    for file in rs_files() {
        let text = fs::read_to_string(&file).expect("source file readable");
        if !file.starts_with(&engine) && text.contains("bollard") {
            outside.push(file.display().to_string());
        }
    }
    assert!(
        outside.is_empty(),
        "bollard named outside src/engine/: {outside:?}"
    );
}

fn crate_paths_are_read_as_written() {
    let table: [(&str, &[&str]); 7] = [
        ("use crate::run::Session;", &["crate::run::Session"]),
        (
            "use crate::{measure::Op, metric::{Metric, Unit}, size};",
            &[
                "crate::measure::Op",
                "crate::metric::Metric",
                "crate::metric::Unit",
                "crate::size",
            ],
        ),
        (
            "if crate::run::interrupted() {}",
            &["crate::run::interrupted"],
        ),
        (
            "use super::{self, super::plan::Cell as C};",
            &["super", "super::super::plan::Cell"],
        ),
        (
            "use mountbench::run; let x = foocrate::targets::y;",
            &["mountbench::run"],
        ),
        (
            "crate::a::f::<T>(); self::b::*;",
            &["crate::a::f", "self::b"],
        ),
        (
            "use crate::x::{\n    a,\n    b,\n};",
            &["crate::x::a", "crate::x::b"],
        ),
    ];
    for (text, expected) in table {
        let got: Vec<String> = named_paths(text).iter().map(|p| p.join("::")).collect();
        let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(got, expected, "{text}");
    }
}

fn comments_literals_and_test_modules_are_not_code() {
    let text = "use crate::a; // crate::b\n/* crate::c\n */ let s = \"crate::d\"; let c = '{';\n\
                #[cfg(test)]\nmod tests {\n    use crate::e;\n    fn f() { let _ = \"}\"; }\n}\n\
                fn g<'a>() {}\n";
    let code = without_test_modules(&blank_comments_and_literals(text));
    assert_eq!(code.lines().count(), text.lines().count(), "{code}");
    let got: Vec<String> = named_paths(&code).iter().map(|p| p.join("::")).collect();
    assert_eq!(got, ["crate::a"], "{code}");
    assert_eq!(code_lines(&code), 3, "{code}");
}

/// One concept a file: at most 400 lines of code, not counting blank lines, comments, a
/// `#[cfg(test)]` module or the `*_tests.rs` files tests live in.
fn no_source_file_grows_past_400_lines_of_code() {
    let too_long: Vec<String> = source_files()
        .iter()
        .map(|f| (f, code_lines(&f.code)))
        .filter(|(_, lines)| *lines > 400)
        .map(|(f, lines)| format!("src/{} has {lines} lines of code", f.path))
        .collect();
    assert!(
        too_long.is_empty(),
        "one concept per file, 400 lines of code at most:\n{}",
        too_long.join("\n")
    );
}
