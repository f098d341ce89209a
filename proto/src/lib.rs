//! Flint's internal protocol between driver and executors: `flint.v1` messages and the
//! `DriverService` / `ExecutorService` gRPC clients and servers generated from
//! `flint/v1/internal.proto`; the application secret they authenticate with ([`auth`]);
//! and the configuration the operator and the pods it starts share ([`conf`]).

pub mod auth;
pub mod conf;

/// Bumped on any incompatible change; the driver refuses executors that speak another.
pub const PROTOCOL_VERSION: u32 = 1;

/// The generated messages, clients and servers (not held to the workspace's lints).
#[allow(missing_docs, clippy::all)]
mod generated {
    tonic::include_proto!("flint.v1");
}
pub use generated::*;

/// The connections a gRPC server accepts on `listener`, with Nagle's algorithm off: small
/// replies (task status, shuffle block ends) would otherwise wait ~40 ms for a delayed ACK.
pub fn incoming(listener: tokio::net::TcpListener) -> tonic::transport::server::TcpIncoming {
    tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true))
}
