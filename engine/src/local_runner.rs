//! `local[N]`: the backend that runs each job's plan in this process, all partitions at
//! once on the session's threads, with no stages and no network.

use crate::job_runner::JobRunner;
use crate::progress::JobProgress;
use crate::result_size::ResultSizeLimit;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SessionState, TaskContext};
use datafusion::physical_plan::stream::{RecordBatchReceiverStream, RecordBatchStreamAdapter};
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties, SendableRecordBatchStream};
use futures::StreamExt;
use futures::future::BoxFuture;
use parking_lot::RwLock;
use std::sync::{Arc, Weak};

/// Batches each partition computes ahead of the consumer: a partition not yet read waits
/// once it has this many ready, so a slow reader (`toLocalIterator`) holds only a few
/// batches per partition.
const READ_AHEAD: usize = 2;

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
    /// Every partition starts at once, each on its own task feeding a channel of
    /// [`READ_AHEAD`] batches; the stream reads them in partition order. Dropping it
    /// aborts the tasks.
    fn execute_stream(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        progress: Arc<JobProgress>,
    ) -> BoxFuture<'_, Result<SendableRecordBatchStream>> {
        Box::pin(async move {
            let state = self.state.upgrade().ok_or_else(|| DataFusionError::Execution("the session has ended".into()))?;
            let ctx = Arc::new(TaskContext::from(&*state.read()));
            let partitions = plan.output_partitioning().partition_count();
            progress.start(partitions);
            let result_size = Arc::new(ResultSizeLimit::new(self.max_result_size));
            let schema = plan.schema();
            let mut streams = Vec::with_capacity(partitions);
            for partition in 0..partitions {
                let mut builder = RecordBatchReceiverStream::builder(Arc::clone(&schema), READ_AHEAD);
                let (sender, mut input) = (builder.tx(), plan.execute(partition, Arc::clone(&ctx))?);
                builder.spawn(async move {
                    while let Some(batch) = input.next().await {
                        if sender.send(batch).await.is_err() {
                            break;
                        }
                    }
                    Ok(())
                });
                let (rows, finished) = (Arc::clone(&progress), Arc::clone(&progress));
                let batches = builder
                    .build()
                    .inspect(move |batch| {
                        if let Ok(batch) = batch {
                            rows.add_rows(batch.num_rows());
                        }
                    })
                    .chain(futures::stream::once(async move {
                        finished.finish_partition();
                        None::<Result<arrow::array::RecordBatch>>
                    }).filter_map(futures::future::ready))
                    .boxed();
                streams.push(result_size.count_partition(batches));
            }
            let batches = futures::stream::iter(streams).flatten();
            Ok(Box::pin(RecordBatchStreamAdapter::new(schema, batches)) as SendableRecordBatchStream)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::FlintSession;
    use arrow::array::Int64Array;
    use std::time::{Duration, Instant};

    /// Partitions come back in order, and a stream over far more rows than are read
    /// gives its first batch at once and stops the job when dropped.
    #[tokio::test]
    async fn partitions_stream_in_order_and_only_what_is_read_is_computed() {
        let session = FlintSession::builder().master("local[2]").build().unwrap();
        let df = session.sql("select id from range(0, 40000)").await.unwrap();
        let plan = df.inner().clone().create_physical_plan().await.unwrap();
        let runner = session.runner();
        let batches = runner.run_job(plan, Arc::default()).await.unwrap();
        let ids: Vec<i64> = batches
            .iter()
            .flat_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec())
            .collect();
        assert_eq!(ids, (0..40000).collect::<Vec<_>>());

        let huge = session.sql("select id from range(0, 1000000000000)").await.unwrap();
        let plan = huge.inner().clone().create_physical_plan().await.unwrap();
        let started = Instant::now();
        let mut stream = runner.execute_stream(plan, Arc::default()).await.unwrap();
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.column(0).as_any().downcast_ref::<Int64Array>().unwrap().value(0), 0);
        assert!(started.elapsed() < Duration::from_secs(5), "the first batch took {:?}", started.elapsed());
        drop(stream);
    }
}
