//! Flint's driver: the Spark Connect service that stock PySpark clients talk to.

pub mod cache_registry;
pub mod cluster;
pub mod cluster_scheduler;
pub mod connect;
pub mod dag_scheduler;
pub mod executor_registry;
pub mod task_scheduler;
