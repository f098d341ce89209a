//! The one trait every backend implements: a session hands each action's physical plan to
//! its [`JobRunner`] — `local[N]`'s runs it in this process
//! ([`crate::local_runner::LocalJobRunner`]), a cluster's splits it into stages and runs
//! them on executors (`flint_driver::scheduler::ClusterScheduler`).

use crate::ids::CacheId;
use crate::progress::JobProgress;
use arrow::array::RecordBatch;
use datafusion::error::Result;
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream, common::collect};
use futures::future::BoxFuture;
use std::future::Future;
use std::sync::Arc;

/// Runs a job's optimised physical plan somewhere (for example on a cluster's executors)
/// and streams its rows back in partition order.
pub trait JobRunner: Send + Sync + std::fmt::Debug {
    /// Starts `plan`, recording finished tasks in `progress`, and streams its rows as they
    /// come, partition 0 first, then 1, … (so an ordered plan's rows arrive in order).
    /// Each batch is counted against `spark.driver.maxResultSize` as it passes: the
    /// stream ends with Spark's error once the total is past it. The caller holds what it
    /// keeps, no more; dropping the stream cancels what of the job still runs.
    fn execute_stream(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        progress: Arc<JobProgress>,
    ) -> BoxFuture<'_, Result<SendableRecordBatchStream>>;

    /// Runs `plan` to the end and gathers its rows (for callers that need them all, such
    /// as scalar subqueries): [`JobRunner::execute_stream`], collected.
    fn run_job(&self, plan: Arc<dyn ExecutionPlan>, progress: Arc<JobProgress>) -> BoxFuture<'_, Result<Vec<RecordBatch>>> {
        Box::pin(async move { collect(self.execute_stream(plan, progress).await?).await })
    }

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

    /// Cancels the running jobs `selector` picks (Spark's `cancelJobGroup`,
    /// `cancelJobsWithTag`, `cancelAllJobs`): their stages stop and their running tasks are
    /// killed; each job's caller gets an error naming `reason`. Returns how many jobs were
    /// cancelled. A backend whose jobs run inside their caller's future (`local[N]`) has
    /// nothing to do: dropping that future cancels the job.
    fn cancel_jobs(&self, _selector: JobSelector, _reason: String) -> BoxFuture<'_, usize> {
        Box::pin(async { 0 })
    }
}

/// Which running jobs to cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobSelector {
    /// Every job (`cancelAllJobs`).
    All,
    /// Jobs of one job group (`spark.jobGroup.id`, `cancelJobGroup`).
    Group(String),
    /// Jobs carrying a tag (`spark.job.tags`, `cancelJobsWithTag`).
    Tag(String),
}

impl JobSelector {
    /// Whether a job with `properties` is one this selector picks.
    pub fn matches(&self, properties: &JobProperties) -> bool {
        match self {
            JobSelector::All => true,
            JobSelector::Group(group) => properties.group.as_ref() == Some(group),
            JobSelector::Tag(tag) => properties.tags.iter().any(|t| t == tag),
        }
    }
}

/// Spark's local properties of a job: what the thread (here, the task) that runs an
/// action has set. Jobs started inside [`JobProperties::scope`] carry them; the cluster
/// scheduler groups jobs into pools and cancels them by group or tag with them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobProperties {
    /// `spark.jobGroup.id`: the group `cancelJobGroup` cancels.
    pub group: Option<String>,
    /// `spark.job.description`: shown with the job.
    pub description: Option<String>,
    /// `spark.job.tags`: tags `cancelJobsWithTag` cancels by (Spark Connect adds one per
    /// operation and one per session).
    pub tags: Vec<String>,
    /// `spark.scheduler.pool`: the fair-scheduler pool the job runs in (`default` when
    /// unset).
    pub pool: Option<String>,
    /// The `spark.hadoop.*` keys of the job's session when the action started (including
    /// those set at run time): executors build the job's object stores from them, as
    /// Spark ships a session's Hadoop configuration with each job. Its `Debug` shows key
    /// names only.
    pub hadoop_conf: crate::storage::HadoopConf,
}

tokio::task_local! {
    static JOB_PROPERTIES: JobProperties;
}

impl JobProperties {
    /// Runs `future` with these properties for every job it starts (Spark sets local
    /// properties on a thread; a Flint action runs in one task).
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        JOB_PROPERTIES.scope(self, future).await
    }

    /// The properties of the current task's jobs; empty outside [`JobProperties::scope`].
    pub fn current() -> Self {
        JOB_PROPERTIES.try_with(Clone::clone).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn properties_apply_inside_their_scope_and_selectors_match_them() {
        assert_eq!(JobProperties::current(), JobProperties::default());
        let properties = JobProperties { group: Some("g".into()), tags: vec!["a".into(), "b".into()], ..Default::default() };
        let seen = properties.clone().scope(async { JobProperties::current() }).await;
        assert_eq!(seen, properties);
        assert!(JobSelector::All.matches(&seen));
        assert!(JobSelector::Group("g".into()).matches(&seen));
        assert!(!JobSelector::Group("h".into()).matches(&seen));
        assert!(JobSelector::Tag("b".into()).matches(&seen));
        assert!(!JobSelector::Tag("c".into()).matches(&seen));
    }
}
