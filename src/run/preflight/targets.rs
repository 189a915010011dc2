//! The engine side of the preflight: the engine's memory, then the containers of the
//! targets whose storage lives on the engine (volume, volume-opts, layer) started and each
//! asked the free space where its datasets go, before any dataset is generated in them;
//! the image targets and their data image are asked in probes before the image is built.
//! On a refusal the containers and volumes started are removed again.

use std::collections::BTreeMap;

use super::{host_entries, keep_free, memory, space, Entry, Needs, Storage};
use crate::agent::FsSpace;
use crate::error::{Error, Result};
use crate::run::Session;
use crate::targets::spec::{Place, Store, TargetKind, TargetSpec};

impl Session {
    /// Refuse (exit 2) when the engine cannot hold what the plan puts there; the containers
    /// started for the check are removed first and the message says so.
    pub(crate) fn preflight_targets(&mut self) -> Result<()> {
        let Err(e) = self.check_targets() else {
            return Ok(());
        };
        // Every engine already ran the shared-folder probe under the run's label: the note
        // names the run whether or not a target's container was started.
        if self.plan.engines.is_empty() {
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
    /// its started container (the image targets in a probe: their data image is not built
    /// yet), and of the data image, which lives where the image target's writable layer does.
    fn engine_entries(&mut self, needs: &Needs, engine: &str) -> Result<Vec<Entry>> {
        let mut entries = Vec::new();
        let mut probed = BTreeMap::new();
        let place = |target| Place::new(engine, target);
        for spec in self.plan.targets.clone() {
            let dedicated = match spec.kind.store() {
                Store::Volume { driver_opts: true } => memory::tmpfs_volume(&self.plan),
                Store::Volume { driver_opts: false } | Store::Layer => false,
                Store::HostDir | Store::Tmpfs => continue,
            };
            let total = needs.total(Storage::Target(spec), &|_| false);
            if total.bytes == 0 {
                continue;
            }
            let Some(space) = self.space_of(&place(spec), &mut probed)? else {
                continue;
            };
            let what = format!(
                "target {}'s filesystem on the engine ({} in its container: {})",
                place(spec),
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
        let total = needs.total(Storage::DataImage, &|_| false);
        let image = place(TargetSpec::new(TargetKind::Image));
        if total.bytes > 0 {
            if let Some(space) = self.space_of(&image, &mut probed)? {
                let what = format!("engine {engine}'s image store ({})", space.describe());
                entries.push(Entry {
                    total,
                    space,
                    dedicated: false,
                    what,
                });
            }
        }
        Ok(entries)
    }

    /// Where `place` puts its datasets; None when it cannot start (a broken target: its reps
    /// fail with the reason).
    fn space_of(
        &mut self,
        place: &Place,
        probed: &mut BTreeMap<Place, FsSpace>,
    ) -> Result<Option<FsSpace>> {
        if !place.target.kind.from_image() {
            if self.pool.start(place).is_err() {
                return Ok(None);
            }
            return Ok(Some(self.pool.get(place)?.space()?));
        }
        if let Some(space) = probed.get(place) {
            return Ok(Some(space.clone()));
        }
        let Ok(space) = self.pool.probe_space(place) else {
            return Ok(None);
        };
        probed.insert(place.clone(), space.clone());
        Ok(Some(space))
    }
}
