//! One command run in a running container through the Engine API, its output drained and its
//! exit code read back.

use bollard::container::LogOutput;
use bollard::exec::StartExecResults;
use bollard::models::ExecConfig;
use bollard::Docker;
use futures_util::StreamExt;

/// What a finished exec said: stdout, stderr and its exit code (None if the engine had none).
pub(crate) struct Attached {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_code: Option<i64>,
}

/// Create and start `cmd` in container `id` with stdout and stderr attached, read both to
/// the end, then inspect the exec for its exit code.
pub(crate) async fn run_attached(
    docker: &Docker,
    id: &str,
    cmd: Vec<String>,
) -> Result<Attached, bollard::errors::Error> {
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
    Ok(Attached {
        stdout,
        stderr,
        exit_code,
    })
}
