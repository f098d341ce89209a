//! The one trait every backend implements: a session hands each action's physical plan to
//! its [`JobRunner`] — `local[N]`'s runs it in this process
//! ([`crate::local_runner::LocalJobRunner`]), a cluster's splits it into stages and runs
//! them on executors (`flint_driver::cluster_scheduler::ClusterScheduler`).

use crate::ids::CacheId;
use crate::progress::JobProgress;
use arrow::array::RecordBatch;
use datafusion::error::Result;
use datafusion::physical_plan::ExecutionPlan;
use futures::future::BoxFuture;
use std::sync::Arc;

/// Runs a job's optimised physical plan somewhere (for example on a cluster's executors)
/// and returns its rows in partition order.
pub trait JobRunner: Send + Sync + std::fmt::Debug {
    /// Runs `plan`, recording finished tasks in `progress`.
    fn run_job(&self, plan: Arc<dyn ExecutionPlan>, progress: Arc<JobProgress>) -> BoxFuture<'_, Result<Vec<RecordBatch>>>;

    /// Whether this backend keeps the partitions of cached relations itself, between
    /// jobs (see `crate::planner::CachedRelationExec`); when not, a session keeps them in
    /// driver memory.
    fn keeps_cached_partitions(&self) -> bool {
        false
    }

    /// Forgets the partitions of `cache` and removes them; a backend that keeps no cached
    /// partitions has nothing to do.
    fn release_cache(&self, _cache: CacheId) -> BoxFuture<'_, Result<()>> {
        Box::pin(async { Ok(()) })
    }
}
