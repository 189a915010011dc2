//! A command run in a running container through the Engine API: to completion, its output
//! drained and its exit code read back, or held open with stdin attached.

use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::StartExecResults;
use bollard::models::ExecConfig;
use bollard::Docker;
use futures_util::StreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::client::Engine;
use super::containers::{Held, HeldInput, Output};
use crate::error::{Error, Result};

/// Create and start `cmd` in container `id` with stdout and stderr attached, read both to
/// the end, then inspect the exec for its exit code.
pub(crate) async fn run_attached(
    docker: &Docker,
    id: &str,
    cmd: Vec<String>,
) -> Result<Output, bollard::errors::Error> {
    let config = ExecConfig {
        cmd: Some(cmd),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..Default::default()
    };
    let exec = docker.create_exec(id, config).await?;
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    if let StartExecResults::Attached { mut output, .. } = docker.start_exec(&exec.id, None).await?
    {
        while let Some(chunk) = output.next().await {
            match chunk? {
                LogOutput::StdOut { message } => stdout.extend_from_slice(&message),
                LogOutput::StdErr { message } => stderr.extend_from_slice(&message),
                LogOutput::StdIn { .. } | LogOutput::Console { .. } => {}
            }
        }
    }
    let exit_code = docker.inspect_exec(&exec.id).await?.exit_code;
    Ok(Output {
        stdout,
        stderr,
        exit_code,
    })
}

type Input = Pin<Box<dyn AsyncWrite + Send>>;

/// The input of an exec held open, and the task reading its output.
struct AttachedInput {
    runtime: tokio::runtime::Handle,
    docker: Docker,
    exec: String,
    input: Option<Input>,
    reader: tokio::task::JoinHandle<()>,
}

/// Start `cmd` in container `id` with stdin attached; stdout comes back line by line.
pub(crate) fn open(engine: &Engine, id: &str, cmd: Vec<String>) -> Result<Held> {
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
    let input = AttachedInput {
        runtime: engine.handle(),
        docker: engine.docker.clone(),
        exec,
        input: Some(input),
        reader,
    };
    Ok(Held {
        input: Box::new(input),
        lines,
        stderr,
    })
}

impl AttachedInput {
    fn close(&mut self) {
        if let Some(mut input) = self.input.take() {
            let _ = self.runtime.block_on(input.shutdown());
        }
    }
}

impl HeldInput for AttachedInput {
    fn write_line(&mut self, line: &str) -> std::io::Result<()> {
        let input = self.input.as_mut().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "its input is closed")
        })?;
        let bytes = format!("{line}\n").into_bytes();
        self.runtime.block_on(async {
            input.write_all(&bytes).await?;
            input.flush().await
        })
    }

    fn finish(&mut self, within: Duration) -> Result<Option<i64>> {
        self.close();
        let docker = &self.docker;
        let reader = &mut self.reader;
        let exit = self.runtime.block_on(async {
            let _ = tokio::time::timeout(within, reader).await;
            docker.inspect_exec(&self.exec).await
        })?;
        Ok(exit.exit_code)
    }
}

impl Drop for AttachedInput {
    fn drop(&mut self) {
        self.close();
        self.reader.abort();
    }
}
