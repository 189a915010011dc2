//! A cancellation token: made where the signal handler is installed (the binary's edge) and
//! handed down to the run loop and the targets, which poll it; nothing below calls back up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Cheap to clone; every clone sees the same cancellation.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask whatever holds a clone to stop: the run after the rep in flight, the targets the
    /// agent in flight (Ctrl-C, SIGTERM).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// Resolves once cancelled: the other arm of a `select!` around engine requests.
    pub async fn cancelled(&self) {
        while !self.is_cancelled() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_cancellation() {
        let token = CancelToken::new();
        let held_below = token.clone();
        assert!(!held_below.is_cancelled());
        token.cancel();
        assert!(held_below.is_cancelled());
        assert!(!CancelToken::new().is_cancelled(), "a new token is its own");
    }
}
