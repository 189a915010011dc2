//! An agent command held open for a driven rep: orders written to its stdin, answers read
//! from its stdout line by line, natively as a child process (targets/native.rs) or in a
//! container through its engine.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::exit::{exit_error, last_line};
use crate::cancel::CancelToken;
use crate::engine::containers::{Held, HeldInput};
use crate::error::{Error, Result};
use crate::workload::party::Line;

/// A running agent command: lines in, lines out.
pub trait Session: Line + Send {
    /// Close its input and wait for it to exit; an error says how it ended otherwise.
    fn finish(self: Box<Self>) -> Result<()>;
}

/// How long an agent may take to exit once its input is closed.
const EXIT: Duration = Duration::from_secs(10);

/// An agent command held open, wherever it runs.
pub(crate) struct AgentSession {
    input: Box<dyn HeldInput>,
    answers: Answers,
}

impl AgentSession {
    pub(crate) fn new(held: Held, cancel: CancelToken) -> AgentSession {
        AgentSession {
            input: held.input,
            answers: Answers {
                lines: held.lines,
                stderr: held.stderr,
                cancel,
            },
        }
    }
}

impl Line for AgentSession {
    fn send_line(&mut self, line: &str) -> Result<()> {
        self.input
            .write_line(line)
            .map_err(|e| Error::Session(format!("writing to the agent: {e}")))
    }

    fn recv_line(&mut self, within: Duration) -> Result<String> {
        self.answers.next(within)
    }
}

impl Session for AgentSession {
    fn finish(mut self: Box<Self>) -> Result<()> {
        match self.input.finish(EXIT)? {
            Some(0) => Ok(()),
            code => Err(self.answers.failure(code)),
        }
    }
}

/// What an agent says: its stdout's lines as they come, its stderr kept for the reason it
/// ended.
struct Answers {
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
    cancel: CancelToken,
}

impl Answers {
    /// The next line, giving up when `within` passed or the run was cancelled.
    fn next(&self, within: Duration) -> Result<String> {
        next_line(&self.lines, within, &self.cancel, || {
            std::thread::sleep(Duration::from_millis(20));
            self.why()
        })
    }

    /// The last line of stderr.
    fn why(&self) -> String {
        self.stderr
            .lock()
            .map(|s| last_line(&s))
            .unwrap_or_default()
    }

    /// Why the agent ended with `code`, from its stderr.
    fn failure(&self, code: Option<i64>) -> Error {
        let stderr = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        exit_error(code, &stderr)
    }
}

fn next_line(
    lines: &Receiver<String>,
    within: Duration,
    cancel: &CancelToken,
    stderr: impl Fn() -> String,
) -> Result<String> {
    let deadline = Instant::now() + within;
    loop {
        if cancel.is_cancelled() {
            return Err(Error::Session("interrupted".into()));
        }
        let slice =
            Duration::from_millis(50).min(deadline.saturating_duration_since(Instant::now()));
        match lines.recv_timeout(slice) {
            Ok(line) => return Ok(line),
            Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
            Err(RecvTimeoutError::Timeout) => {
                return Err(Error::Session(format!(
                    "no answer within {} s",
                    within.as_secs_f64()
                )))
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Error::Session(format!("the agent ended: {}", stderr())))
            }
        }
    }
}
