//! A checker's looks at one change: a thread that keeps looking from the moment it is armed
//! until it finds the new state, so a change is seen as soon as it can be and not when the
//! news of it arrives; then the judgment from the looks' times.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::clock::now_ns;
use super::{Outcome, Window};
use crate::error::{Error, Result};

/// Looks are back to back this long after arming, then spaced by `PAUSE`.
const EAGER: Duration = Duration::from_millis(50);
const PAUSE: Duration = Duration::from_micros(100);

/// Looks kept without growing: more than the eager phase makes on a local filesystem.
const LOOKS: usize = 1 << 14;

/// When a look began and whether it found the new state.
type Look = (u64, bool);

/// The looks so far, and the error that ended them, if one did.
type Looks = Arc<Mutex<(Vec<Look>, Option<Error>)>>;

pub struct Poller {
    stop: Arc<AtomicBool>,
    looks: Looks,
    thread: JoinHandle<()>,
}

impl Poller {
    /// Start looking; `look` answers whether the new state is there (an error ends it).
    pub fn start(mut look: impl FnMut() -> Result<bool> + Send + 'static) -> Poller {
        let stop = Arc::new(AtomicBool::new(false));
        let looks: Looks = Arc::new(Mutex::new((Vec::with_capacity(LOOKS), None)));
        let (stopped, kept) = (stop.clone(), looks.clone());
        let thread = std::thread::spawn(move || {
            let armed = Instant::now();
            while !stopped.load(Ordering::Relaxed) {
                let at = now_ns();
                let fresh = look();
                let Ok(mut kept) = kept.lock() else { return };
                match fresh {
                    Ok(fresh) => kept.0.push((at, fresh)),
                    Err(e) => kept.1 = Some(e),
                }
                if kept.1.is_some() || kept.0.last().is_some_and(|l| l.1) {
                    return;
                }
                drop(kept);
                if armed.elapsed() < EAGER {
                    std::thread::yield_now();
                } else {
                    std::thread::sleep(PAUSE);
                }
            }
        });
        Poller {
            stop,
            looks,
            thread,
        }
    }

    /// Wait until the new state was found or `limit` after the change ended, then judge
    /// from the looks made by then. A look still stuck in the filesystem then (a hung
    /// share) is left to finish on its own: the change is judged without it.
    pub fn settle(self, window: Window, limit: Duration) -> Result<Outcome> {
        let deadline = window.end_ns.saturating_add(limit.as_nanos() as u64);
        while !self.thread.is_finished() && now_ns() < deadline {
            std::thread::sleep(Duration::from_micros(200));
        }
        self.stop.store(true, Ordering::Relaxed);
        let mut looks = self
            .looks
            .lock()
            .map_err(|_| Error::Agent("the looking thread panicked".into()))?;
        if let Some(e) = looks.1.take() {
            return Err(e);
        }
        Ok(judge(&looks.0, window))
    }
}

/// Seen: from the change's end to the first look that found it (0 if one under way at the
/// end did); stale: the first look begun surely after the end found the old state.
pub fn judge(looks: &[Look], window: Window) -> Outcome {
    let Some(&(found, _)) = looks.iter().find(|(_, fresh)| *fresh) else {
        return Outcome::Lost;
    };
    let after = window.end_ns.saturating_add(window.slack_ns);
    let stale = looks
        .iter()
        .find(|(at, _)| *at >= after)
        .is_some_and(|(_, fresh)| !fresh);
    Outcome::Seen {
        latency_ns: found.saturating_sub(window.end_ns),
        stale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Window = Window {
        start_ns: 90,
        end_ns: 100,
        slack_ns: 5,
    };

    #[test]
    fn judgments() {
        let seen = |latency_ns, stale| Outcome::Seen { latency_ns, stale };
        let cases: [(&[Look], Outcome); 5] = [
            (&[(50, false), (101, true)], seen(1, false)),
            (&[(50, false), (110, false), (300, true)], seen(200, true)),
            (&[(50, false), (102, false), (300, true)], seen(200, false)),
            (&[(95, true)], seen(0, false)),
            (&[(50, false), (200, false)], Outcome::Lost),
        ];
        for (looks, want) in cases {
            assert_eq!(judge(looks, W), want, "{looks:?}");
        }
    }

    #[test]
    fn a_poller_finds_what_appears_and_gives_up_at_the_limit() {
        let flag = Arc::new(AtomicBool::new(false));
        let seen = flag.clone();
        let poller = Poller::start(move || Ok(seen.load(Ordering::SeqCst)));
        std::thread::sleep(Duration::from_millis(5));
        let start_ns = now_ns();
        flag.store(true, Ordering::SeqCst);
        let end_ns = now_ns();
        let window = Window {
            start_ns,
            end_ns,
            slack_ns: 0,
        };
        let got = poller.settle(window, Duration::from_secs(5)).unwrap();
        assert!(matches!(got, Outcome::Seen { stale: false, .. }), "{got:?}");
        let never = Poller::start(|| Ok(false));
        let window = Window {
            start_ns: now_ns(),
            end_ns: now_ns(),
            slack_ns: 0,
        };
        let got = never.settle(window, Duration::from_millis(20)).unwrap();
        assert_eq!(got, Outcome::Lost);
    }

    #[test]
    fn a_look_stuck_in_the_filesystem_loses_the_change_at_the_limit() {
        let release = Arc::new(AtomicBool::new(false));
        let stuck = release.clone();
        let poller = Poller::start(move || {
            while !stuck.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(true)
        });
        let window = Window {
            start_ns: now_ns(),
            end_ns: now_ns(),
            slack_ns: 0,
        };
        let got = poller.settle(window, Duration::from_millis(20)).unwrap();
        release.store(true, Ordering::SeqCst);
        assert_eq!(got, Outcome::Lost);
    }

    #[test]
    fn a_failed_look_fails_the_change() {
        let poller = Poller::start(|| Err(Error::Agent("EIO".into())));
        let window = Window {
            start_ns: now_ns(),
            end_ns: now_ns(),
            slack_ns: 0,
        };
        assert!(poller.settle(window, Duration::from_secs(5)).is_err());
    }
}
