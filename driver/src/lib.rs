//! Flint's driver: the Spark Connect service that stock PySpark clients talk to, and the
//! cluster scheduler that runs their jobs on executors.

pub mod cluster;
pub mod connect;
pub mod scheduler;

/// The scheduler's former path, kept so code written against it still builds.
pub mod cluster_scheduler {
    pub use crate::scheduler::{ClusterScheduler, SchedulerConf, parse_duration};
}
