//! An agent command held open for a driven rep: orders written to its stdin, answers read
//! from its stdout line by line, natively as a child process or in a container through an
//! exec with stdin attached.

use std::io::{BufRead, BufReader, Read, Write};
use std::pin::Pin;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::exec::StartExecResults;
use bollard::models::ExecConfig;
use futures_util::StreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::engine::Engine;
use super::native::exit_code;
use super::{exit_error, last_line};
use crate::cancel::CancelToken;
use crate::error::{Error, IoContext, Result};
use crate::workload::party::Line;

/// A running agent command: lines in, lines out.
pub trait Session: Line + Send {
    /// Close its input and wait for it to exit; an error says how it ended otherwise.
    fn finish(self: Box<Self>) -> Result<()>;
}

/// How long an agent may take to exit once its input is closed.
const EXIT: Duration = Duration::from_secs(10);

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
            return Err(Error::Agent("interrupted".into()));
        }
        let slice =
            Duration::from_millis(50).min(deadline.saturating_duration_since(Instant::now()));
        match lines.recv_timeout(slice) {
            Ok(line) => return Ok(line),
            Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
            Err(RecvTimeoutError::Timeout) => {
                return Err(Error::Agent(format!(
                    "no answer within {} s",
                    within.as_secs_f64()
                )))
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Error::Agent(format!("the agent ended: {}", stderr())))
            }
        }
    }
}

/// The agent as a child process.
pub struct NativeSession {
    child: Child,
    stdin: Option<ChildStdin>,
    answers: Answers,
}

impl NativeSession {
    pub fn open(exe: &std::path::Path, args: &[String], cancel: CancelToken) -> Result<Self> {
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
        Ok(NativeSession {
            stdin: child.stdin.take(),
            child,
            answers: Answers {
                lines,
                stderr,
                cancel,
            },
        })
    }
}

impl Line for NativeSession {
    fn send_line(&mut self, line: &str) -> Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| Error::Agent("the agent's input is closed".into()))?;
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .map_err(|e| Error::Agent(format!("writing to the agent: {e}")))
    }

    fn recv_line(&mut self, within: Duration) -> Result<String> {
        self.answers.next(within)
    }
}

impl Session for NativeSession {
    fn finish(mut self: Box<Self>) -> Result<()> {
        self.stdin = None;
        let deadline = Instant::now() + EXIT;
        loop {
            if let Some(status) = self.child.try_wait().at("agent")? {
                if status.success() {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(20));
                return Err(self.answers.failure(exit_code(status)));
            }
            if Instant::now() > deadline {
                return Err(Error::Agent("the agent did not exit".into()));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for NativeSession {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

type Input = Pin<Box<dyn AsyncWrite + Send>>;

/// The agent in a container, through one exec with stdin attached.
pub struct ContainerSession {
    engine: Arc<Engine>,
    exec: String,
    input: Option<Input>,
    answers: Answers,
    reader: tokio::task::JoinHandle<()>,
}

impl ContainerSession {
    pub fn open(
        engine: Arc<Engine>,
        id: &str,
        cmd: Vec<String>,
        cancel: CancelToken,
    ) -> Result<Self> {
        let config = ExecConfig {
            cmd: Some(cmd),
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..Default::default()
        };
        let docker = &engine.docker;
        let (exec, started) = engine.block_on(async {
            let exec = docker.create_exec(id, config).await?;
            let started = docker.start_exec(&exec.id, None).await?;
            Ok::<_, bollard::errors::Error>((exec.id, started))
        })?;
        let StartExecResults::Attached { mut output, input } = started else {
            return Err(Error::Docker("the engine started the exec detached".into()));
        };
        let (tx, lines) = mpsc::channel();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let reader = engine.spawn(async move {
            let mut pending = Vec::new();
            while let Some(Ok(chunk)) = output.next().await {
                match chunk {
                    LogOutput::StdOut { message } => pending.extend_from_slice(&message),
                    LogOutput::StdErr { message } => {
                        if let Ok(mut s) = sink.lock() {
                            s.extend_from_slice(&message);
                        }
                    }
                    LogOutput::StdIn { .. } | LogOutput::Console { .. } => {}
                }
                while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = pending.drain(..=end).collect();
                    let text = String::from_utf8_lossy(&line[..end]).into_owned();
                    if tx.send(text).is_err() {
                        return;
                    }
                }
            }
        });
        Ok(ContainerSession {
            engine,
            exec,
            input: Some(input),
            answers: Answers {
                lines,
                stderr,
                cancel,
            },
            reader,
        })
    }

    fn close_input(&mut self) {
        if let Some(mut input) = self.input.take() {
            let _ = self.engine.block_on(input.shutdown());
        }
    }
}

impl Line for ContainerSession {
    fn send_line(&mut self, line: &str) -> Result<()> {
        let input = self
            .input
            .as_mut()
            .ok_or_else(|| Error::Agent("the agent's input is closed".into()))?;
        let bytes = format!("{line}\n").into_bytes();
        self.engine
            .block_on(async {
                input.write_all(&bytes).await?;
                input.flush().await
            })
            .map_err(|e| Error::Agent(format!("writing to the agent: {e}")))
    }

    fn recv_line(&mut self, within: Duration) -> Result<String> {
        self.answers.next(within)
    }
}

impl Session for ContainerSession {
    fn finish(mut self: Box<Self>) -> Result<()> {
        self.close_input();
        let docker = &self.engine.docker;
        let exit = self.engine.block_on(async {
            let _ = tokio::time::timeout(EXIT, &mut self.reader).await;
            docker.inspect_exec(&self.exec).await
        })?;
        match exit.exit_code {
            Some(0) => Ok(()),
            code => Err(self.answers.failure(code)),
        }
    }
}

impl Drop for ContainerSession {
    fn drop(&mut self) {
        self.close_input();
        self.reader.abort();
    }
}
