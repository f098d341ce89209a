//! What a driver sees of the jobs `local[N]` runs in this process: the one
//! [`LocalJobListener`] a driver installs (its UI's listener bus) is told when a job
//! starts, when each of its tasks ends and when it ends, with the executed plan whose
//! operators hold their metrics.
//!
//! `local[N]` runs a whole plan at once (DataFusion's repartitions stream between
//! threads, with no stage boundary to wait at), so a job is one stage whose tasks are the
//! plan's output partitions. The listener is process-wide as Spark's `SparkContext` is:
//! one driver per process, every session's jobs on its bus.

use crate::ids::JobId;
use crate::job_runner::JobProperties;
use crate::progress::TaskMetrics;
use datafusion::physical_plan::ExecutionPlan;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Reads the jobs `local[N]` runs, in the order they happen.
pub trait LocalJobListener: Send + Sync {
    /// `job` started: one task per output partition of `plan`, all running at once.
    fn job_started(&self, job: JobId, plan: &Arc<dyn ExecutionPlan>, properties: &JobProperties);

    /// Task `partition` of `job` ended: its metrics, or its error.
    fn task_ended(&self, job: JobId, partition: usize, outcome: Result<TaskMetrics, String>);

    /// `job` ended (`error`: why it failed); `plan`, the one [`Self::job_started`] had,
    /// holds its operators' metrics. Tasks not ended by then were cancelled (a `take`
    /// that read enough, or a dropped result).
    fn job_ended(&self, job: JobId, plan: &Arc<dyn ExecutionPlan>, error: Option<String>);
}

static LISTENER: OnceLock<Arc<dyn LocalJobListener>> = OnceLock::new();
static NEXT_JOB: AtomicU64 = AtomicU64::new(0);

/// A second listener for the process was refused: the first stays.
#[derive(Debug, thiserror::Error)]
#[error("a listener of local jobs is already installed in this process (one driver per process)")]
pub struct AlreadyInstalled;

/// Makes every later `local[N]` job of this process report to `listener`.
pub fn install(listener: Arc<dyn LocalJobListener>) -> Result<(), AlreadyInstalled> {
    LISTENER.set(listener).map_err(|_| AlreadyInstalled)
}

/// The installed listener and a new job id for it, when one is installed.
pub(crate) fn next_job() -> Option<(JobId, Arc<dyn LocalJobListener>)> {
    LISTENER.get().map(|listener| (JobId(NEXT_JOB.fetch_add(1, Ordering::Relaxed)), Arc::clone(listener)))
}
