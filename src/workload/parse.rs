//! The `[[workload]]` tables of a workload file. The common fields and the kind's own ones
//! are split apart (serde's `flatten` would lose `deny_unknown_fields`) and deserialized with
//! their spans kept for `file:line:col` errors. Errors come in the order one serde pass over
//! the whole file gave them: first every table's values against their types ([`types`]),
//! then each workload's checks ([`workload`]).

use std::ops::Range;

use serde::Deserialize;
use toml::de::{DeTable, Deserializer};
use toml::Spanned;

use crate::error::{one_line, Error, Result};
use crate::workload::check::Check;
use crate::workload::kinds::{Params, NAMES};
use crate::workload::spec::{CommonFields, Workload};

/// A workload file's name and text, for errors that point into it.
pub(crate) struct Source<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// A toml error as one line: `file:line:col: field: message`.
    pub(crate) fn error(&self, e: &toml::de::Error) -> Error {
        self.error_at(e.span(), one_line(e.message()))
    }

    /// `message` at `span` of the text, naming the field the line sets unless the message
    /// already does.
    pub(crate) fn error_at(&self, span: Option<Range<usize>>, message: String) -> Error {
        let (file, text) = (self.file, self.text);
        let Some(span) = span else {
            return Error::input(file, message);
        };
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = span.start - line_start + 1;
        let line_text = text[line_start..].lines().next().unwrap_or("");
        let key = line_text
            .split_once('=')
            .map(|(k, _)| k.trim())
            .filter(|k| !k.is_empty() && !message.contains(&format!("`{k}`")));
        match key {
            Some(key) => Error::input(
                format!("{file}:{line}:{col}"),
                format!("field {key}: {message}"),
            ),
            None => Error::input(format!("{file}:{line}:{col}"), message),
        }
    }
}

/// Every field of a workload table against its type (any kind's field, whatever the
/// table's kind), in key order; then unknown fields and a missing kind.
pub(crate) fn types(source: &Source, table: &Spanned<DeTable>) -> Result<()> {
    let span = table.span();
    let kind = table
        .get_ref()
        .get("kind")
        .and_then(|v| v.get_ref().as_str());
    for (key, value) in table.get_ref() {
        let field = key.get_ref().as_ref();
        let alone = spanned(&span, DeTable::from_iter([(key.clone(), value.clone())]));
        let typed = if CommonFields::names().contains(&field) {
            CommonFields::deserialize(alone).map(drop)
        } else if let Some(owner) = NAMES.iter().find(|k| takes(k, field)) {
            Params::deserialize_kind(owner, alone).transpose().map(drop)
        } else {
            let message = format!("unknown field `{field}`, expected {}", expected(kind));
            return Err(source.error_at(Some(key.span()), message));
        };
        typed.map_err(|e| source.error(&e))?;
    }
    if kind.is_none() {
        return Err(missing_kind(source, span));
    }
    Ok(())
}

fn missing_kind(source: &Source, table: Range<usize>) -> Error {
    source.error_at(Some(table), "missing field `kind`".into())
}

/// Whether kind `kind` takes `field`.
fn takes(kind: &str, field: &str) -> bool {
    Params::fields_of(kind).is_some_and(|fields| fields.contains(&field))
}

/// The fields a table of `kind` takes, as serde lists them; every kind's when it names none.
fn expected(kind: Option<&str>) -> String {
    let mut fields = CommonFields::names().to_vec();
    let kinds = match kind.filter(|k| NAMES.contains(k)) {
        Some(kind) => vec![kind],
        None => NAMES.to_vec(),
    };
    for kind in kinds {
        for field in Params::fields_of(kind).unwrap_or_default() {
            if !fields.contains(field) {
                fields.push(field);
            }
        }
    }
    let quoted: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    format!("one of {}", quoted.join(", "))
}

/// Parse and check workload `index` of the file, whose types [`types`] has checked;
/// `run_seed` is its seed unless it sets one.
pub(crate) fn workload(
    source: &Source,
    index: usize,
    table: Spanned<DeTable>,
    run_seed: u64,
) -> Result<Workload> {
    let span = table.span();
    let (common, own): (DeTable, DeTable) = table
        .into_inner()
        .into_iter()
        .partition(|(key, _)| CommonFields::names().contains(&key.get_ref().as_ref()));
    let fields = CommonFields::deserialize(spanned(&span, common)).map_err(|e| source.error(&e))?;
    let Some(kind_name) = fields.kind.clone() else {
        return Err(missing_kind(source, span));
    };
    let kind = kind_name.as_str();
    let name = fields.name.clone().unwrap_or_else(|| kind.to_string());
    let check = Check {
        file: source.file,
        index,
        name: &name,
        threads: fields.threads.unwrap_or(1),
    };
    let Some(own_fields) = Params::fields_of(kind) else {
        return Err(check.error(
            "kind",
            format!("unknown kind \"{kind}\" (expected {})", list_or(NAMES)),
        ));
    };
    refuse_other_kinds_fields(&check, kind, own_fields, &own)?;
    let params = Params::deserialize_kind(kind, spanned(&span, own))
        .ok_or_else(|| check.error("kind", format!("unknown kind \"{kind}\"")))?
        .map_err(|e| source.error(&e))?;
    Workload::validate(&check, fields, params, run_seed)
}

/// A part of a table, deserialized as if it were the whole table at `span`.
fn spanned<'i>(span: &Range<usize>, table: DeTable<'i>) -> Deserializer<'i> {
    Deserializer::from(Spanned::new(span.clone(), table))
}

/// A field another kind takes, set on this one, is named with the first kind it applies to.
fn refuse_other_kinds_fields(
    check: &Check,
    kind: &str,
    own_fields: &[&str],
    table: &DeTable,
) -> Result<()> {
    for other in NAMES {
        for field in Params::fields_of(other).unwrap_or_default() {
            if !own_fields.contains(field) && table.contains_key(*field) {
                return Err(check.error(field, format!("applies to {other}, not to {kind}")));
            }
        }
    }
    Ok(())
}

/// "a, b or c".
fn list_or(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}
