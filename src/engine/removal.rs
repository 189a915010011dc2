//! Removing an object mountbench made on an engine (a target's container or volume, the
//! shared-folder probe, a baseline container) until the engine says it is gone: each
//! removal is followed by an inspect that must answer 404, and a removal that failed or left
//! the object behind (a container left `Dead` when its filesystem could not be unmounted, a
//! removal already in progress) is tried again, a few times, with a short pause between.

use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::query_parameters::{
    InspectContainerOptions, RemoveContainerOptionsBuilder, RemoveVolumeOptionsBuilder,
};

use super::client::Engine;
use crate::error::{one_line, Error};

/// Tries per object, and the pause after the first failed one (doubled after each).
pub(crate) const TRIES: u32 = 3;
pub(crate) const FIRST_PAUSE: Duration = Duration::from_millis(250);

/// An object made on an engine, by its id or name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Made {
    /// A container, removed running or not, with its anonymous volumes.
    Container(String),
    /// A named volume.
    Volume(String),
}

impl std::fmt::Display for Made {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Made::Container(id) => write!(f, "container {id}"),
            Made::Volume(name) => write!(f, "volume {name}"),
        }
    }
}

/// An object still on the engine after every try: what it is and the last reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{made} could not be removed ({tries} tries): {last}")]
pub(crate) struct NotRemoved {
    pub(crate) made: Made,
    pub(crate) tries: u32,
    pub(crate) last: String,
}

impl From<NotRemoved> for Error {
    fn from(e: NotRemoved) -> Self {
        Error::Docker(e.to_string())
    }
}

/// What the retry loop needs from an engine: remove an object, and ask whether it is there.
pub(crate) trait Remover {
    /// One removal request; Err(why) when the engine refused it or did not answer.
    async fn remove(&self, made: &Made) -> Result<(), String>;
    /// Whether the engine still has the object (an inspect that does not answer 404).
    async fn present(&self, made: &Made) -> Result<bool, String>;
    /// Wait before the next try.
    async fn pause(&self, wait: Duration);
}

/// Remove `made` and confirm it is gone, up to `TRIES` times.
pub(crate) async fn remove_until_gone<R: Remover>(
    remover: &R,
    made: &Made,
) -> Result<(), NotRemoved> {
    let mut wait = FIRST_PAUSE;
    let mut last = String::new();
    for attempt in 1..=TRIES {
        if attempt > 1 {
            remover.pause(wait).await;
            wait *= 2;
        }
        let removed = remover.remove(made).await;
        match remover.present(made).await {
            Ok(false) => return Ok(()),
            Ok(true) => {
                last = match removed {
                    Err(why) => why,
                    Ok(()) => "still there after the engine accepted its removal".into(),
                }
            }
            Err(why) => {
                last = match removed {
                    Err(refused) => format!("{refused}; then {why}"),
                    Ok(()) => why,
                }
            }
        }
    }
    Err(NotRemoved {
        made: made.clone(),
        tries: TRIES,
        last,
    })
}

impl Remover for Engine {
    async fn remove(&self, made: &Made) -> Result<(), String> {
        let removed = match made {
            Made::Container(id) => {
                let options = RemoveContainerOptionsBuilder::default()
                    .force(true)
                    .v(true)
                    .build();
                self.docker.remove_container(id, Some(options)).await
            }
            Made::Volume(name) => remove_volume_async(self, name).await,
        };
        removed.map_err(|e| one_line(&e.to_string()))
    }

    async fn present(&self, made: &Made) -> Result<bool, String> {
        let inspected = match made {
            Made::Container(id) => self
                .docker
                .inspect_container(id, None::<InspectContainerOptions>)
                .await
                .map(|_| ()),
            Made::Volume(name) => self.docker.inspect_volume(name).await.map(|_| ()),
        };
        match inspected {
            Ok(()) => Ok(true),
            Err(e) if not_found(&e) => Ok(false),
            // Podman names a state bollard's enum lacks for a moment: the object is there.
            Err(e) if unknown_state(&e) => Ok(true),
            Err(e) => Err(format!(
                "inspecting it failed: {}",
                one_line(&e.to_string())
            )),
        }
    }

    async fn pause(&self, wait: Duration) {
        tokio::time::sleep(wait).await;
    }
}

/// Remove the volume `name`, forced only where the engine's force spares the containers
/// using it (Podman's removes them, whoever made them).
pub(crate) async fn remove_volume_async(engine: &Engine, name: &str) -> Result<(), BollardError> {
    let force = engine.facts.dialect().force_spares_users();
    let options = RemoveVolumeOptionsBuilder::default().force(force).build();
    engine.docker.remove_volume(name, Some(options)).await
}

fn not_found(e: &BollardError) -> bool {
    matches!(
        e,
        BollardError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// The same, waited for (outside the engine's runtime).
pub(crate) fn remove(engine: &Engine, made: Made) -> Result<(), NotRemoved> {
    engine.block_on(remove_until_gone(engine, &made))
}

/// bollard could not read an answer because of an enum value it lacks ("unknown variant
/// `stopped`").
pub(crate) fn unknown_state(e: &BollardError) -> bool {
    matches!(
        e,
        BollardError::JsonDataError { .. } | BollardError::JsonSerdeError { .. }
    ) && e.to_string().contains("unknown variant")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// An engine whose removals fail, or leave the object, a given number of times.
    #[derive(Default)]
    struct Fake {
        /// Removal answers in order (Err: refused); Ok after they run out.
        removals: RefCell<Vec<Result<(), String>>>,
        /// Whether the object is there after each removal, in order; gone after they run out.
        left: RefCell<Vec<Result<bool, String>>>,
        calls: RefCell<Vec<String>>,
    }

    impl Fake {
        fn new(removals: &[Result<(), &str>], left: &[Result<bool, &str>]) -> Fake {
            let owned = |r: &Result<(), &str>| r.map_err(String::from);
            Fake {
                removals: RefCell::new(removals.iter().rev().map(owned).collect()),
                left: RefCell::new(left.iter().rev().map(|l| l.map_err(String::from)).collect()),
                calls: RefCell::default(),
            }
        }
    }

    impl Remover for Fake {
        async fn remove(&self, made: &Made) -> Result<(), String> {
            self.calls.borrow_mut().push(format!("remove {made}"));
            self.removals.borrow_mut().pop().unwrap_or(Ok(()))
        }
        async fn present(&self, made: &Made) -> Result<bool, String> {
            self.calls.borrow_mut().push(format!("inspect {made}"));
            self.left.borrow_mut().pop().unwrap_or(Ok(false))
        }
        async fn pause(&self, wait: Duration) {
            self.calls
                .borrow_mut()
                .push(format!("pause {}ms", wait.as_millis()));
        }
    }

    fn run(fake: &Fake, made: &Made) -> Result<(), NotRemoved> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(remove_until_gone(fake, made))
    }

    #[test]
    fn removal_is_confirmed_and_retried_until_gone_or_out_of_tries() {
        const DEAD: &str = "removal of container x is already in progress";
        type Removals = &'static [Result<(), &'static str>];
        type Presence = &'static [Result<bool, &'static str>];
        // (case, removal answers, presence after each, tries made, the reason if left)
        #[rustfmt::skip]
        let cases: [(&str, Removals, Presence, usize, Option<&str>); 6] = [
            ("gone at once", &[], &[], 1, None),
            ("already gone (404 on removal)", &[Err("404 no such container")], &[Ok(false)], 1, None),
            ("refused once, then removed", &[Err(DEAD)], &[Ok(true)], 2, None),
            ("accepted but left Dead, twice", &[], &[Ok(true), Ok(true)], 3, None),
            ("refused every time", &[Err(DEAD), Err(DEAD), Err(DEAD)], &[Ok(true), Ok(true), Ok(true)], 3, Some(DEAD)),
            ("left every time", &[], &[Ok(true), Ok(true), Ok(true)], 3, Some("still there after the engine accepted its removal")),
        ];
        for (name, removals, left, tries, reason) in cases {
            let fake = Fake::new(removals, left);
            let made = Made::Container("c0ffee".into());
            let got = run(&fake, &made);
            let calls = fake.calls.borrow();
            let removes = calls.iter().filter(|c| c.starts_with("remove")).count();
            assert_eq!(removes, tries, "{name}: {calls:?}");
            match (got, reason) {
                (Ok(()), None) => {}
                (Err(e), Some(reason)) => {
                    assert_eq!(e.made, made, "{name}");
                    assert_eq!(e.last, reason, "{name}");
                    let line = Error::from(e).to_string();
                    assert!(
                        line.contains("container c0ffee could not be removed (3 tries)"),
                        "{name}: {line}"
                    );
                }
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
    }

    #[test]
    fn pauses_double_between_tries_and_an_unanswered_inspect_counts_as_a_failure() {
        let fake = Fake::new(
            &[],
            &[Err("inspecting it failed: timeout"), Ok(true), Ok(true)],
        );
        let made = Made::Volume("mountbench-r-volume".into());
        let got = run(&fake, &made).unwrap_err();
        assert_eq!(
            got.last,
            "still there after the engine accepted its removal"
        );
        let calls = fake.calls.borrow();
        let pauses: Vec<&String> = calls.iter().filter(|c| c.starts_with("pause")).collect();
        assert_eq!(pauses, ["pause 250ms", "pause 500ms"]);
        assert_eq!(calls[0], "remove volume mountbench-r-volume");
        assert_eq!(calls[1], "inspect volume mountbench-r-volume");
    }
}
