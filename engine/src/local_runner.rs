//! `local[N]`: the backend that runs each job's plan in this process, all partitions at
//! once on the session's threads, with no stages and no network.

use crate::job_runner::JobRunner;
use crate::progress::JobProgress;
use crate::result_size::ResultSizeLimit;
use arrow::array::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SessionState, TaskContext};
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};
use futures::StreamExt;
use futures::future::BoxFuture;
use parking_lot::RwLock;
use std::sync::{Arc, Weak};

/// Runs jobs in this process with the session's current configuration.
#[derive(Debug)]
pub struct LocalJobRunner {
    state: Weak<RwLock<SessionState>>,
    /// `spark.driver.maxResultSize` in bytes (`None`: no limit).
    max_result_size: Option<usize>,
}

impl LocalJobRunner {
    /// A runner for the session whose state `state` refers to, failing jobs whose result
    /// grows past `max_result_size` bytes.
    pub fn new(state: Weak<RwLock<SessionState>>, max_result_size: Option<usize>) -> Self {
        Self { state, max_result_size }
    }
}

impl JobRunner for LocalJobRunner {
    fn run_job(&self, plan: Arc<dyn ExecutionPlan>, progress: Arc<JobProgress>) -> BoxFuture<'_, Result<Vec<RecordBatch>>> {
        Box::pin(async move {
            let state = self.state.upgrade().ok_or_else(|| DataFusionError::Execution("the session has ended".into()))?;
            let ctx = Arc::new(TaskContext::from(&*state.read()));
            let partitions = plan.output_partitioning().partition_count();
            progress.start(partitions);
            let result_size = Arc::new(ResultSizeLimit::new(self.max_result_size));
            let mut tasks = tokio::task::JoinSet::new();
            for partition in 0..partitions {
                let mut stream = plan.execute(partition, Arc::clone(&ctx))?;
                let progress = Arc::clone(&progress);
                let result_size = Arc::clone(&result_size);
                tasks.spawn(async move {
                    let mut batches = Vec::new();
                    while let Some(batch) = stream.next().await {
                        let batch = batch?;
                        progress.add_rows(batch.num_rows());
                        result_size.add_bytes(batch.get_array_memory_size())?;
                        batches.push(batch);
                    }
                    result_size.add_task(0)?;
                    progress.finish_partition();
                    Ok::<_, DataFusionError>((partition, batches))
                });
            }
            let mut outputs = Vec::with_capacity(partitions);
            while let Some(joined) = tasks.join_next().await {
                outputs.push(joined.map_err(|e| DataFusionError::ExecutionJoin(Box::new(e)))??);
            }
            outputs.sort_by_key(|(partition, _)| *partition);
            Ok(outputs.into_iter().flat_map(|(_, batches)| batches).collect())
        })
    }
}
