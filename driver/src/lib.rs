//! Flint's driver: the cluster scheduler that runs jobs on executors, and the cluster
//! backends that start them (local-cluster processes, Kubernetes pods). The Spark Connect
//! front end is the `flint-connect` crate.

pub mod cluster;
pub mod scheduler;
