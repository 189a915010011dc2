//! What watching a folder hears: one event a change, by kind and file name, stamped when it
//! was read. Linux reads inotify; macOS gets FSEvents through the `notify` crate (events
//! carry no time of their own there, and one may merge several flags for a path).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The kinds of change a watch reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FolderEvent {
    Create,
    Modify,
    MovedTo,
    Delete,
}

/// Events as they were read, each with the time it was read, by (kind, name); and why the
/// reading stopped, if it did.
#[derive(Debug, Default)]
pub struct Events {
    pub times: HashMap<(FolderEvent, String), Vec<u64>>,
    pub failed: Option<String>,
}

/// The events a watch hears, shared with whoever judges them.
pub type Heard = Arc<Mutex<Events>>;

impl Events {
    /// Keep one event under its name, read at `at` (ns on the party clock).
    pub fn note(heard: &Heard, kind: FolderEvent, name: String, at: u64) {
        if let Ok(mut heard) = heard.lock() {
            heard.times.entry((kind, name)).or_default().push(at);
        }
    }

    /// Keep why the reading stopped or lost events; the first reason stays.
    pub fn fail(heard: &Heard, why: String) {
        if let Ok(mut heard) = heard.lock() {
            heard.failed.get_or_insert(why);
        }
    }
}

/// A running watch; on macOS dropping it stops the stream. On Linux the reading thread
/// lives as long as the process (the agent is one rep's process).
pub struct FolderWatch {
    #[allow(dead_code)] // held for its Drop
    pub(super) keep: Option<Box<dyn Send>>,
}
