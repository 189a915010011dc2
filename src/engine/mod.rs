//! The engine layer: finding, reaching and naming a Docker-API engine, and everything
//! mountbench asks of it (containers, exec, volumes, images, cleanup). `bollard` is named only
//! here. Targets use an engine through [`containers::ContainerEngine`].

pub mod address;
pub mod cleanup;
pub mod client;
pub mod containers;
pub mod context;
pub mod docker;
pub mod endpoint;
pub mod error;
mod exec;
#[cfg(test)]
pub mod fake;
pub mod identity;
pub mod image;
pub mod local_sockets;
pub mod removal;
pub mod swarm;
pub mod via;

pub use client::Engine;
