//! A checker's looks at one change: a thread that keeps looking from the moment it is armed
//! until it finds the new state, so a change is seen as soon as it can be and not when the
//! news of it arrives; then the judgment from the looks' times.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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

pub struct Poller {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<Vec<Look>>>,
}

impl Poller {
    /// Start looking; `look` answers whether the new state is there (an error ends it).
    pub fn start(mut look: impl FnMut() -> Result<bool> + Send + 'static) -> Poller {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let armed = Instant::now();
            let mut looks = Vec::with_capacity(LOOKS);
            while !stopped.load(Ordering::Relaxed) {
                let at = now_ns();
                let fresh = look()?;
                looks.push((at, fresh));
                if fresh {
                    break;
                }
                if armed.elapsed() < EAGER {
                    std::thread::yield_now();
                } else {
                    std::thread::sleep(PAUSE);
                }
            }
            Ok(looks)
        });
        Poller { stop, thread }
    }

    /// Wait until the new state was found or `limit` after the change ended, then judge.
    /// The thread ends at its first look that finds the new state, so one still running
    /// at the deadline found none: the change is lost, and the thread, perhaps stuck in a
    /// hung share, is left to end on its own.
    pub fn settle(self, window: Window, limit: Duration) -> Result<Outcome> {
        let deadline = window.end_ns.saturating_add(limit.as_nanos() as u64);
        while !self.thread.is_finished() && now_ns() < deadline {
            std::thread::sleep(Duration::from_micros(200));
        }
        self.stop.store(true, Ordering::Relaxed);
        if !self.thread.is_finished() {
            return Ok(Outcome::Lost);
        }
        let looks = self
            .thread
            .join()
            .map_err(|_| Error::Panicked { thread: "looking" })??;
        Ok(judge(&looks, window))
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
