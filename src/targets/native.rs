//! The `native` target: the agent as a child process on the host, no container.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use std::time::Instant;

use super::session::{NativeSession, Session};
use super::{AgentHost, ExecOutput};
use crate::cancel::CancelToken;
use crate::env::TargetFacts;
use crate::error::{IoContext, Result};

/// A child's exit code as a shell gives it: 128 + the signal that ended it.
pub(super) fn exit_code(status: std::process::ExitStatus) -> Option<i64> {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .map(i64::from)
        .or_else(|| status.signal().map(|s| 128 + s as i64))
}

#[derive(Clone)]
pub struct NativeHost {
    agent_exe: PathBuf,
    root: PathBuf,
    backup: PathBuf,
    /// Cancelled: the agent in flight is stopped.
    cancel: CancelToken,
}

impl NativeHost {
    pub fn new(agent_exe: &Path, root: &Path, backup: &Path, cancel: CancelToken) -> Self {
        NativeHost {
            agent_exe: agent_exe.to_path_buf(),
            root: root.to_path_buf(),
            backup: backup.to_path_buf(),
            cancel,
        }
    }
}

impl AgentHost for NativeHost {
    fn exec(&mut self, args: &[String]) -> Result<ExecOutput> {
        let start = Instant::now();
        let child = Command::new(&self.agent_exe)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .at(&self.agent_exe)?;
        let pid = child.id();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let cancel = &self.cancel;
        // An interrupt (SIGTERM to us alone) also stops the agent in flight.
        let (out, seconds) = std::thread::scope(|scope| {
            scope.spawn(move || loop {
                match done_rx.recv_timeout(Duration::from_millis(50)) {
                    Err(mpsc::RecvTimeoutError::Timeout) if cancel.is_cancelled() => {
                        if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
                            let _ =
                                rustix::process::kill_process(pid, rustix::process::Signal::TERM);
                        }
                        return;
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
            });
            let out = child.wait_with_output();
            let seconds = start.elapsed().as_secs_f64();
            let _ = done_tx.send(());
            (out, seconds)
        });
        let out = out.at(&self.agent_exe)?;
        let exit_code = exit_code(out.status);
        Ok(ExecOutput {
            stdout: out.stdout,
            stderr: out.stderr,
            exit_code,
            seconds,
        })
    }

    fn root(&self) -> PathBuf {
        self.root.clone()
    }

    fn prep_root(&self) -> PathBuf {
        self.root.clone()
    }

    fn backup_root(&self) -> PathBuf {
        self.backup.clone()
    }

    fn peer(&self) -> Result<Box<dyn AgentHost>> {
        Ok(Box::new(self.clone()))
    }

    fn open(&mut self, args: &[String]) -> Result<Box<dyn Session>> {
        let session = NativeSession::open(&self.agent_exe, args, self.cancel.clone())?;
        Ok(Box::new(session))
    }

    fn facts(&self) -> TargetFacts {
        TargetFacts {
            engine: String::new(),
            target: "native".into(),
            root: self.root.display().to_string(),
            mount: None,
            container: None,
            image: None,
            volume: None,
            cpu: None,
            copy: None,
        }
    }

    fn teardown(&mut self) -> Result<()> {
        Ok(())
    }
}
