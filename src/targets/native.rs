//! The `native` target: the agent as a child process on the host, no container.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::exit::exit_code;
use super::session::{AgentSession, Session};
use super::{AgentHost, ExecOutput};
use crate::cancel::CancelToken;
use crate::engine::containers::{Held, HeldInput};
use crate::env::TargetFacts;
use crate::error::{Error, IoContext, Result};

#[derive(Clone)]
pub(crate) struct NativeHost {
    agent_exe: PathBuf,
    root: PathBuf,
    backup: PathBuf,
    /// Cancelled: the agent in flight is stopped.
    cancel: CancelToken,
}

impl NativeHost {
    pub(crate) fn new(agent_exe: &Path, root: &Path, backup: &Path, cancel: CancelToken) -> Self {
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
        let held = open(&self.agent_exe, args)?;
        Ok(Box::new(AgentSession::new(held, self.cancel.clone())))
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

/// The agent as a child process held open: stdout read line by line, stderr kept.
fn open(exe: &Path, args: &[String]) -> Result<Held> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .at(exe)?;
    let (tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let sink = stderr.clone();
    let mut err = child.stderr.take().expect("piped");
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        if let Ok(mut s) = sink.lock() {
            s.extend(buf);
        }
    });
    let input = ChildInput {
        stdin: child.stdin.take(),
        child,
    };
    Ok(Held {
        input: Box::new(input),
        lines,
        stderr,
    })
}

/// The input of the agent as a child process; dropping it kills the agent if it runs.
struct ChildInput {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl HeldInput for ChildInput {
    fn write_line(&mut self, line: &str) -> std::io::Result<()> {
        let stdin = self.stdin.as_mut().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "its input is closed")
        })?;
        writeln!(stdin, "{line}").and_then(|()| stdin.flush())
    }

    fn finish(&mut self, within: Duration) -> Result<Option<i64>> {
        self.stdin = None;
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().at("agent")? {
                if !status.success() {
                    // Let the stderr reader take the agent's last words.
                    std::thread::sleep(Duration::from_millis(20));
                }
                return Ok(exit_code(status));
            }
            if Instant::now() > deadline {
                return Err(Error::Session("the agent did not exit".into()));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for ChildInput {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
