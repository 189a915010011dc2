//! What every workload has, whatever its kind: a name, phases, threads, O_DIRECT, a seed and
//! passes per warm rep; and their checks.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::workload::check::Check;
use crate::workload::kinds::registry::field_names;
use crate::workload::kinds::{Params, NAMES};

pub use crate::cell::Phase;

/// One validated workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    pub name: String,
    pub phases: Vec<Phase>,
    pub threads: u32,
    pub direct: bool,
    pub seed: u64,
    /// Passes over the data per warm rep (fio's `loops`): longer timed sections, same
    /// bytes on every target. Cold reps make one pass: a second would read a warm cache.
    #[serde(default = "one_loop")]
    pub loops: u32,
    #[serde(flatten)]
    pub params: Params,
}

fn one_loop() -> u32 {
    1
}

/// The fields of a `[[workload]]` table every kind shares, as written (None: not given).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommonFields {
    /// Required; checked by hand so each field can be checked alone.
    pub kind: Option<String>,
    pub name: Option<String>,
    pub phases: Option<Vec<Phase>>,
    pub threads: Option<u32>,
    pub direct: Option<bool>,
    pub seed: Option<u64>,
    pub loops: Option<u32>,
}

impl CommonFields {
    /// The fields, in declaration order.
    pub(crate) fn names() -> &'static [&'static str] {
        field_names::<CommonFields>()
    }
}

impl Workload {
    /// Check the common fields and the kind's parameters, then fill in the defaults.
    pub(crate) fn validate(
        c: &Check,
        fields: CommonFields,
        params: Params,
        run_seed: u64,
    ) -> Result<Workload> {
        let name = c.name;
        if name.is_empty()
            || !name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            return Err(c.error(
                "name",
                format!("\"{name}\" must be non-empty and use only letters, digits, - and _"),
            ));
        }
        c.positive("threads", c.threads as u64)?;
        if c.threads > 256 {
            return Err(c.error("threads", "must be at most 256"));
        }
        let phases = fields.phases.unwrap_or_else(|| vec![Phase::Warm]);
        if phases.is_empty() {
            return Err(c.error(
                "phases",
                "names no phase (use [\"cold\"], [\"warm\"] or both)",
            ));
        }
        let loops = fields.loops.unwrap_or(1);
        check_loops(c, loops, &params)?;
        params.as_kind().check(c)?;
        let direct = fields.direct.unwrap_or(false);
        if direct {
            check_direct(c, &params)?;
        }
        Ok(Workload {
            name: name.to_string(),
            phases,
            threads: c.threads,
            direct,
            seed: fields.seed.unwrap_or(run_seed),
            loops,
            params,
        })
    }

    /// Passes over the data in one rep of this phase: `loops` warm, one cold (a second cold
    /// pass would find the cache the first one filled).
    pub fn passes(&self, phase: Phase) -> u32 {
        match phase {
            Phase::Warm => self.loops,
            Phase::Cold => 1,
        }
    }
}

fn check_loops(c: &Check, loops: u32, params: &Params) -> Result<()> {
    c.positive("loops", loops as u64)?;
    if loops == 1 || params.as_kind().repeatable() {
        return Ok(());
    }
    let repeatable: Vec<&str> = NAMES
        .iter()
        .copied()
        .filter(|name| Params::default_of(name).is_some_and(|p| p.as_kind().repeatable()))
        .collect();
    Err(c.error(
        "loops",
        format!(
            "applies to {}, not to {} (its passes are not repeatable)",
            repeatable.join(", "),
            params.kind()
        ),
    ))
}

fn check_direct(c: &Check, params: &Params) -> Result<()> {
    let Some(block) = params.as_kind().direct_block() else {
        return Err(c.error(
            "direct",
            format!("{} does not read with O_DIRECT", params.kind()),
        ));
    };
    if block.0 % 4096 != 0 {
        return Err(c.error(
            "direct",
            format!("O_DIRECT needs a block size that is a multiple of 4KiB, not {block}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_the_agents_json() {
        for name in NAMES {
            let workload = Workload {
                name: "w".into(),
                phases: vec![Phase::Cold, Phase::Warm],
                threads: 1,
                direct: false,
                seed: 3,
                loops: 1,
                params: Params::default_of(name).unwrap(),
            };
            let json = serde_json::to_string(&workload).unwrap();
            assert!(json.contains(&format!("\"kind\":\"{name}\"")), "{json}");
            let back: Workload = serde_json::from_str(&json).unwrap();
            assert_eq!(back, workload);
        }
    }
}
