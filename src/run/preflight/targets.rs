//! The engine side of the preflight: the engine's memory, then the containers of the
//! targets whose storage lives on the engine (volume, volume-opts, layer) started and each
//! asked the free space where its datasets go, before any dataset is generated in them.
//! On a refusal the containers and volumes started are removed again.

use super::{host_entries, keep_free, memory, space, Entry, Needs, Storage};
use crate::error::{Error, Result};
use crate::run::Session;
use crate::targets::spec::{Place, TargetKind};

impl Session {
    /// Refuse (exit 2) when the engine cannot hold what the plan puts there; the containers
    /// started for the check are removed first and the message says so.
    pub(crate) fn preflight_targets(&mut self) -> Result<()> {
        let Err(e) = self.check_targets() else {
            return Ok(());
        };
        if self.pool.facts().is_empty() {
            return Err(e);
        }
        let failed = self.pool.teardown();
        let run = self.run_id();
        let note = if failed.is_empty() {
            format!("the containers and volumes of run {run} were removed")
        } else {
            format!(
                "removing the containers of run {run} failed ({}): `mountbench clean --run {run}`",
                failed.join("; ")
            )
        };
        Err(match e {
            Error::Input { place, reason } => Error::input(place, format!("{reason}; {note}")),
            other => other,
        })
    }

    fn check_targets(&mut self) -> Result<()> {
        let needs = Needs::of(&self.plan);
        let mut entries = Vec::new();
        for engine in self.plan.engines.clone() {
            let memory = self.env.engines.get(&engine).map(|e| e.mem_total);
            if let Some(memory) = memory.filter(|m| *m > 0) {
                let what = format!("engine {engine}");
                memory::check_machine(&self.plan, &needs, memory as u64, &what)?;
            }
            entries.extend(self.engine_entries(&needs, &engine)?);
        }
        // The data dir was checked alone before anything was created; it counts again
        // only where it shares a filesystem with the engine's storage.
        let mut host = host_entries(&needs, &self.data.path)?;
        host.retain(|h| {
            entries
                .iter()
                .any(|e| !e.dedicated && e.space.geometry == h.space.geometry)
        });
        entries.extend(host);
        if entries.is_empty() {
            return Ok(());
        }
        space::check(entries, keep_free(&self.plan, self.options.keep_free))
    }
}

impl Session {
    /// The free space of every target on `engine` whose storage lives there, each asked in
    /// its started container.
    fn engine_entries(&mut self, needs: &Needs, engine: &str) -> Result<Vec<Entry>> {
        let mut entries = Vec::new();
        for spec in self.plan.targets.clone() {
            let dedicated = match spec.kind {
                TargetKind::VolumeOpts => memory::tmpfs_volume(&self.plan),
                TargetKind::Volume | TargetKind::Layer => false,
                TargetKind::Native | TargetKind::Bind | TargetKind::Tmpfs => continue,
            };
            let total = needs.total(Storage::Target(spec), &|_| false);
            let place = Place {
                engine: engine.to_string(),
                target: spec,
            };
            // A target that cannot start is broken: its reps fail with the reason.
            if total.bytes == 0 || self.pool.start(&place).is_err() {
                continue;
            }
            let space = self.pool.get(&place)?.space()?;
            let what = format!(
                "target {place}'s filesystem on the engine ({} in its container: {})",
                space.path.display(),
                space.describe()
            );
            entries.push(Entry {
                total,
                space,
                dedicated,
                what,
            });
        }
        Ok(entries)
    }
}
