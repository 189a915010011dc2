//! The seam between the targets and the engines: what the run needs from a place that runs
//! containers. A target's container is described here in the engine's neutral terms (its
//! mounts, its hardening); each kind of engine turns that into its own API calls. The
//! Docker-API engine implements it in `engine/docker.rs`, a fake for tests in
//! `engine/fake.rs`.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;

use super::cleanup::Cleaned;
use super::identity::EngineFacts;
use super::removal::{Made, NotRemoved};
use crate::cancel::CancelToken;
use crate::error::Result;

/// What a place that runs containers does for a target: start its container from its
/// mount recipe (with the image it runs), run the agent in it (to completion, or held open
/// for a driven rep), say whether it still runs, remove what it made, and describe itself.
pub(crate) trait ContainerEngine: Send + Sync {
    /// The engine's name in mountbench and what it is, as env.json records it.
    fn facts(&self) -> &EngineFacts;

    /// Whether it has the image `name`.
    fn has_image(&self, name: &str) -> bool;

    /// Import the rootfs streamed by `body` as an image.
    fn import_image(&self, image: ImageImport, body: Rootfs) -> Result<()>;

    /// Build an image from a tar context holding its Dockerfile.
    fn build_image(&self, image: ImageBuild) -> Result<()>;

    /// Remove the images labelled with run `run_id`; those a container uses are kept.
    fn remove_run_images(&self, run_id: &str) -> Result<Cleaned>;

    /// Create the named volume (a target's storage, or a baseline's).
    fn create_volume(&self, volume: &VolumeSpec) -> Result<()>;

    /// Create and start a container; one that does not start is removed again. Its id.
    fn start(&self, container: &ContainerSpec) -> Result<String>;

    /// Run `cmd` in the started container `id` to completion; its output. Cancelling stops
    /// the command in flight (the Engine API cannot stop one exec: the container stops).
    fn run(&self, id: &str, cmd: Vec<String>, cancel: &CancelToken) -> Result<Output>;

    /// Run `cmd` in the container `id` held open: lines to its stdin, its stdout's lines
    /// as they come.
    fn open(&self, id: &str, cmd: Vec<String>) -> Result<Held>;

    /// Whether the container `id` still runs (it may have been killed).
    fn running(&self, id: &str) -> bool;

    /// Remove an object it made and confirm it is gone.
    fn remove(&self, made: Made) -> Result<(), NotRemoved>;
}

/// A rootfs tar, streamed.
pub(crate) type Rootfs = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// An image to import: its name (REPO:TAG), the `changes` to apply (the first a LABEL),
/// and the label it must then carry.
pub(crate) struct ImageImport<'a> {
    pub(crate) name: &'a str,
    pub(crate) changes: Vec<String>,
    pub(crate) label: (&'a str, &'a str),
    /// Cancelled: the import stops.
    pub(crate) cancel: Option<&'a CancelToken>,
}

/// An image to build: its name, the Dockerfile's path in the `context` tar, its labels,
/// and what it is called in errors.
pub(crate) struct ImageBuild<'a> {
    pub(crate) name: &'a str,
    pub(crate) dockerfile: &'a str,
    pub(crate) context: Vec<u8>,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) what: &'a str,
}

/// A container as a target needs it: the image, the agent's command, the user, the
/// storage under test among its mounts, and the hardening every agent container gets (no
/// network, no capabilities, no new privileges, limits).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ContainerSpec {
    pub(crate) name: String,
    pub(crate) image: String,
    pub(crate) cmd: Vec<String>,
    /// `uid:gid` as the engine maps it.
    pub(crate) user: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) mounts: Vec<MountSpec>,
    /// A read-only root filesystem (all but the targets that write their writable layer).
    pub(crate) read_only_root: bool,
    pub(crate) memory_bytes: u64,
    pub(crate) pids: i64,
    /// No seccomp profile (the default profile otherwise).
    pub(crate) seccomp_unconfined: bool,
}

/// One mount of a container.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MountSpec {
    pub(crate) source: Source,
    /// Where it is mounted in the container.
    pub(crate) target: String,
    pub(crate) read_only: bool,
}

/// What is mounted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Source {
    /// A host folder (as the engine's host sees it).
    Bind(String),
    /// A named volume; with `nocopy` the engine copies nothing of the image into it.
    Volume { name: String, nocopy: bool },
    /// A tmpfs of `size_bytes`, world-writable with the sticky bit.
    Tmpfs { size_bytes: u64 },
}

/// A named volume to create, of the local driver with `driver_opts` if any.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct VolumeSpec {
    pub(crate) name: String,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) driver_opts: Option<BTreeMap<String, String>>,
}

/// What a finished command said: stdout, stderr and its exit code (None if there was none).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Output {
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    pub(crate) exit_code: Option<i64>,
}

/// A command held open: lines to its input, its stdout's lines as they come and its
/// stderr so far.
pub(crate) struct Held {
    pub(crate) input: Box<dyn HeldInput>,
    pub(crate) lines: Receiver<String>,
    pub(crate) stderr: Arc<Mutex<Vec<u8>>>,
}

/// The input end of a command held open. Dropping it stops the command.
pub(crate) trait HeldInput: Send {
    fn write_line(&mut self, line: &str) -> std::io::Result<()>;
    /// Close the input and wait up to `within` for the command to end; its exit code.
    fn finish(&mut self, within: Duration) -> Result<Option<i64>>;
}
