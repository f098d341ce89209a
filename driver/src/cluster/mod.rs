//! Cluster backends: where executors come from. Every master runs jobs through one trait,
//! `flint_engine::job_runner::JobRunner`: `local[N]` in process (no executors);
//! `local-cluster[E,C,M]` through the [`ClusterScheduler`](crate::scheduler::ClusterScheduler)
//! over a [`ClusterBackend`] that spawns executor processes; on Kubernetes
//! ([`kubernetes::KubernetesCluster`]) the operator creates executor pods and the backend
//! only watches the app's status.

pub mod attach;
pub mod kubernetes;
pub mod local_cluster;

pub use attach::{AttachError, attach, run_jobs_on, start_cluster};
pub use local_cluster::LocalCluster;

use flint_engine::ids::ExecutorId;
use futures::future::BoxFuture;

/// Something that happened to an executor process outside the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorExit {
    /// The executor.
    pub executor: ExecutorId,
    /// What the backend saw, e.g. "exited with signal 9".
    pub reason: String,
}

/// Starts and stops executors, and reports at once when one's process or pod is gone.
pub trait ClusterBackend: Send + Sync + std::fmt::Debug {
    /// Starts the executors, which register with the driver at `driver_url`; exits are sent
    /// on `exits`.
    fn start(
        &self,
        driver_url: String,
        exits: tokio::sync::mpsc::UnboundedSender<ExecutorExit>,
    ) -> BoxFuture<'_, std::io::Result<()>>;

    /// How many executors the backend started.
    fn executors(&self) -> usize;

    /// Stops every executor the backend started.
    fn stop(&self);
}
