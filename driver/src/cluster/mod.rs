//! Cluster backends: where executors come from. Every master runs jobs through one trait,
//! `flint_engine::job_runner::JobRunner`: `local[N]` in process (no executors);
//! `local-cluster[E,C,M]` through the [`ClusterScheduler`](crate::scheduler::ClusterScheduler)
//! over a [`ClusterBackend`] that spawns executor processes ([`LocalCluster`]); on
//! Kubernetes ([`kubernetes::KubernetesCluster`]) the operator creates executor pods and
//! the backend asks for them through the app's `/scale` and watches the app's status.

pub mod attach;
pub mod kubernetes;
pub mod local_cluster;

pub use attach::{AttachError, Driver, attach, run_jobs_on, start_cluster};
pub use local_cluster::LocalCluster;

use flint_engine::ids::ExecutorId;
use flint_proto::auth::AppSecret;
use futures::future::BoxFuture;

/// Where executors find the driver, and the secret they prove themselves with.
#[derive(Debug, Clone)]
pub struct DriverEndpoint {
    /// The driver's `DriverService` URL, e.g. `http://10.0.0.5:7078`.
    pub url: String,
    /// The application's secret, required on every driver and executor call.
    pub secret: AppSecret,
}

/// What a backend saw happen to an executor outside the protocol, or decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendEvent {
    /// An executor's process or pod is gone.
    Exited {
        /// The executor.
        executor: ExecutorId,
        /// What the backend saw, e.g. "exited with signal 9".
        reason: String,
    },
    /// An executor asked for has not started yet (its pod is Pending).
    Pending {
        /// The executor.
        executor: ExecutorId,
        /// Why it waits, when known.
        reason: String,
    },
    /// Executor pods cannot be placed anywhere: the Kubernetes scheduler's reason (the
    /// app's `ExecutorsScheduled` condition).
    Unschedulable {
        /// The operator's message, naming the pod, e.g. "executor pod pi-1-exec-1 cannot
        /// be scheduled: 0/1 nodes are available: 1 Insufficient cpu".
        reason: String,
    },
    /// The backend will provide no more executors; jobs fail once none is registered.
    GaveUp {
        /// Why, for the jobs' error.
        reason: String,
    },
}

/// Why a backend request failed.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Starting or stopping executor processes failed.
    #[error("the local cluster cannot {what}: {source}")]
    Process {
        /// What was attempted.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The Kubernetes API refused or failed a request.
    #[error(transparent)]
    Kubernetes(#[from] kubernetes::KubernetesError),
}

/// Starts and stops executors and reports what happens to them. Every method returns
/// once the request is under way: executors register with the driver on their own, and
/// what becomes of them arrives as [`BackendEvent`]s.
pub trait ClusterBackend: Send + Sync + std::fmt::Debug {
    /// Begins watching for executors of the driver at `driver`; events go to `events`.
    /// Starts none: the scheduler asks for them with [`ClusterBackend::request_total`].
    fn start(
        &self,
        driver: DriverEndpoint,
        events: tokio::sync::mpsc::UnboundedSender<BackendEvent>,
    ) -> BoxFuture<'_, Result<(), BackendError>>;

    /// Asks for `total` executors in all: more are started, or surplus ones stopped.
    fn request_total(&self, total: usize) -> BoxFuture<'_, Result<(), BackendError>>;

    /// Ends these executors' processes (the scheduler declared them lost); whether they
    /// are replaced is the backend's policy.
    fn kill(&self, executors: Vec<ExecutorId>) -> BoxFuture<'_, Result<(), BackendError>>;

    /// Stops every executor and the backend's own tasks.
    fn stop(&self) -> BoxFuture<'_, ()>;
}
