//! The Rust files under src/ read as code: comments and literals blanked, `#[cfg(test)]`
//! modules and test files (`tests.rs`, `*_tests.rs`) left out, and the modules each file
//! names through `crate::`, `super::`, `self::` or (from the binary) `mountbench::`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// One source file: its path under src/ (`run/start.rs`) and its code.
pub struct SourceFile {
    pub path: String,
    pub code: String,
}

pub fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every .rs file under src/, sorted.
pub fn rs_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![src()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("src/ readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Every .rs file under src/ but test files, read as code.
pub fn source_files() -> Vec<SourceFile> {
    let files = rs_files().into_iter().filter(|p| !is_test_file(p));
    files
        .map(|path| {
            let text = fs::read_to_string(&path).expect("source file readable");
            let rel = path.strip_prefix(src()).expect("under src/");
            SourceFile {
                path: rel.to_string_lossy().replace('\\', "/"),
                code: without_test_modules(&blank_comments_and_literals(&text)),
            }
        })
        .collect()
}

/// `tests.rs` and `*_tests.rs`: unit tests a module includes with `#[path]`.
pub fn is_test_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name == "tests.rs" || name.ends_with("_tests.rs")
}

/// Lines that hold code: neither blank nor only a comment.
pub fn code_lines(code: &str) -> usize {
    code.lines().filter(|l| !l.trim().is_empty()).count()
}

/// The text with comments removed and the insides of string and char literals emptied,
/// line breaks kept.
pub fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep_newlines = |from: &[char], out: &mut String| {
        out.extend(from.iter().filter(|c| **c == '\n'));
    };
    while i < chars.len() {
        let rest = &chars[i..];
        let end = if rest.starts_with(&['/', '/']) {
            i + rest.iter().position(|c| *c == '\n').unwrap_or(rest.len())
        } else if rest.starts_with(&['/', '*']) {
            i + 2 + find(&rest[2..], &['*', '/']).map_or(rest.len() - 2, |p| p + 2)
        } else if let Some(len) = string_literal(rest) {
            out.push_str("\"\"");
            i + len
        } else if let Some(len) = char_literal(rest) {
            out.push_str("' '");
            i + len
        } else {
            out.push(chars[i]);
            i += 1;
            continue;
        };
        keep_newlines(&chars[i..end], &mut out);
        i = end;
    }
    out
}

fn find(haystack: &[char], needle: &[char]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The length of a string literal starting here: "…", b"…", r"…", r#"…"#, br#"…"#.
fn string_literal(rest: &[char]) -> Option<usize> {
    let prefix = rest.iter().take_while(|c| **c == 'b' || **c == 'r').count();
    let raw = rest[..prefix].contains(&'r');
    let hashes = rest[prefix..].iter().take_while(|c| **c == '#').count();
    let open = prefix + hashes;
    if rest.get(open) != Some(&'"') || (!raw && hashes > 0) || prefix > 2 {
        return None;
    }
    let mut i = open + 1;
    while i < rest.len() {
        match rest[i] {
            '\\' if !raw => i += 2,
            '"' if rest[i + 1..]
                .iter()
                .take(hashes)
                .filter(|c| **c == '#')
                .count()
                == hashes =>
            {
                return Some(i + 1 + hashes);
            }
            _ => i += 1,
        }
    }
    Some(rest.len())
}

/// The length of a char literal starting here ('x', '\n', '\u{1F600}'), not a lifetime.
fn char_literal(rest: &[char]) -> Option<usize> {
    if rest.first() != Some(&'\'') {
        return None;
    }
    if rest.get(1) == Some(&'\\') {
        return rest[2..].iter().position(|c| *c == '\'').map(|p| p + 3);
    }
    (rest.get(2) == Some(&'\'')).then_some(3)
}

/// The code without `#[cfg(test)] mod name { … }` blocks (their lines left blank).
pub fn without_test_modules(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = &rest[at..];
        let head_end = after.find(['{', ';']).unwrap_or(after.len());
        let is_block = after[..head_end].contains("mod ") && after[head_end..].starts_with('{');
        if !is_block {
            out.push_str(&rest[..at + head_end]);
            rest = &rest[at + head_end..];
            continue;
        }
        out.push_str(&rest[..at]);
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after.char_indices().skip(head_end) {
            match c {
                '{' => depth += 1,
                '}' if depth == 1 => {
                    end = i + 1;
                    break;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        out.extend(after[..end].chars().filter(|c| *c == '\n'));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every path the code names from `crate::`, `super::`, `self::` or `mountbench::`, as
/// written (`["super", "plan", "Cell"]`), groups spelled out: `crate::{a::b, c}` gives
/// `["crate", "a", "b"]` and `["crate", "c"]`.
pub fn named_paths(code: &str) -> BTreeSet<Vec<String>> {
    let mut starts: Vec<usize> = ["crate::", "super::", "self::", "mountbench::"]
        .iter()
        .flat_map(|start| code.match_indices(start).map(|(at, _)| at))
        .collect();
    starts.sort();
    let mut found = Vec::new();
    let mut read_to = 0;
    for at in starts {
        let before = &code[..at];
        if at >= read_to && !before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
        {
            let mut tree = UseTree { text: code, at };
            tree.read(Vec::new(), &mut found);
            read_to = tree.at;
        }
    }
    found.into_iter().collect()
}

/// The paths of a use tree (`a::{b, c::d}`) at the start of `text`, after `prefix`.
pub fn use_tree_paths(text: &str, prefix: &[&str]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let prefix = prefix.iter().map(|s| s.to_string()).collect();
    UseTree { text, at: 0 }.read(prefix, &mut found);
    found
}

struct UseTree<'a> {
    text: &'a str,
    at: usize,
}

impl UseTree<'_> {
    fn read(&mut self, mut path: Vec<String>, found: &mut Vec<Vec<String>>) {
        loop {
            if self.eat("{") {
                while !self.eat("}") {
                    self.read(path.clone(), found);
                    if !self.eat(",") {
                        self.eat("}");
                        return;
                    }
                }
                return;
            }
            match self.name() {
                Some(name) if name == "*" || (name == "self" && !path.is_empty()) => {}
                Some(name) => path.push(name),
                None => break,
            }
            if !self.eat("::") {
                break;
            }
        }
        found.push(path);
    }

    fn eat(&mut self, token: &str) -> bool {
        let rest = &self.text[self.at..];
        let trimmed = rest.trim_start();
        let found = trimmed.starts_with(token);
        if found {
            self.at += rest.len() - trimmed.len() + token.len();
        }
        found
    }

    fn name(&mut self) -> Option<String> {
        let rest = &self.text[self.at..];
        let trimmed = rest.trim_start();
        let name: String = trimmed
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '*')
            .collect();
        if name.is_empty() {
            return None;
        }
        self.at += rest.len() - trimmed.len() + name.len();
        Some(name)
    }
}
