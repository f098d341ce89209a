//! Flint's driver: the cluster scheduler that runs jobs on executors, and the cluster
//! backends that start them (local-cluster processes, Kubernetes pods). The Spark Connect
//! front end is the `flint-connect` crate. The driver's listener events feed its web UI,
//! REST API, event log and metrics (`ui`).

pub mod cluster;
pub mod listener;
pub mod scheduler;
pub mod ui;
