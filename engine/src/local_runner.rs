//! `local[N]`: the backend that runs each job's plan in this process, all partitions at
//! once on the session's threads, with no stages and no network. With a
//! [`crate::local_listener`] installed, each job reports to it as one stage whose tasks
//! are the plan's output partitions.

use crate::ids::JobId;
use crate::job_runner::{JobProperties, JobRunner};
use crate::local_listener::{self, LocalJobListener};
use crate::progress::{JobProgress, TaskMetrics, spilled_bytes};
use crate::result_size::ResultSizeLimit;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SessionState, TaskContext};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::limit::{GlobalLimitExec, LimitStream};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet};
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::stream::{RecordBatchReceiverStream, RecordBatchStreamAdapter};
use datafusion::physical_plan::{
    ChildrenPropertiesMode, ExecutionPlan, ExecutionPlanProperties, ReplaceChildrenOptions, SendableRecordBatchStream,
};
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use parking_lot::{Mutex, RwLock};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

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

/// Rows to skip and to keep of a result read in partition order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ResultLimit {
    skip: usize,
    fetch: Option<usize>,
}

/// Spark's `collect` and `take` (so `show`) read a result's partitions in order, while
/// DataFusion's `CoalescePartitionsExec` at the top of a plan merges them as they arrive:
/// `df.show()` of a multi-partition result changed order from run to run. This drops
/// that top merge (and takes the limit over it, and the projections above those, which
/// work a partition at a time); the runner then concatenates the partitions in order and
/// applies the limit itself.
fn in_partition_order(plan: Arc<dyn ExecutionPlan>) -> Result<(Arc<dyn ExecutionPlan>, Option<ResultLimit>)> {
    if let Some(projection) = plan.downcast_ref::<ProjectionExec>() {
        let input = Arc::clone(projection.input());
        let (ordered, limit) = in_partition_order(Arc::clone(&input))?;
        if Arc::ptr_eq(&ordered, &input) {
            return Ok((plan, None));
        }
        let options = ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute);
        return Ok((Arc::clone(&plan).replace_children(vec![ordered], options)?, limit));
    }
    if let Some(limit) = plan.downcast_ref::<GlobalLimitExec>()
        && let Some(coalesce) = limit.input().downcast_ref::<CoalescePartitionsExec>()
    {
        let kept = ResultLimit { skip: limit.skip(), fetch: limit.fetch() };
        return Ok((Arc::clone(coalesce.input()), Some(kept)));
    }
    if let Some(coalesce) = plan.downcast_ref::<CoalescePartitionsExec>() {
        let kept = coalesce.fetch().map(|fetch| ResultLimit { skip: 0, fetch: Some(fetch) });
        return Ok((Arc::clone(coalesce.input()), kept));
    }
    Ok((plan, None))
}

impl JobRunner for LocalJobRunner {
    /// Every partition starts at once, each on its own task feeding a channel of
    /// [`READ_AHEAD`] batches; the stream reads them in partition order (see
    /// [`in_partition_order`]). Dropping it aborts the tasks.
    fn execute_stream(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        progress: Arc<JobProgress>,
    ) -> BoxFuture<'_, Result<SendableRecordBatchStream>> {
        Box::pin(async move {
            let state = self.state.upgrade().ok_or_else(|| DataFusionError::Execution("the session has ended".into()))?;
            let ctx = Arc::new(TaskContext::from(&*state.read()));
            let (plan, limit) = in_partition_order(plan)?;
            // Every partition of a local job runs at once.
            let plan = crate::spillable_join::with_spillable_joins(plan, ctx.memory_pool().memory_limit(), usize::MAX)?;
            let partitions = plan.output_partitioning().partition_count();
            progress.start(partitions);
            let reported = local_listener::next_job().map(|(job, listener)| ReportedJob::start(job, listener, &plan));
            let result_size = Arc::new(ResultSizeLimit::new(self.max_result_size));
            let running = Arc::new(AtomicUsize::new(partitions));
            let schema = plan.schema();
            let mut streams = Vec::with_capacity(partitions);
            for partition in 0..partitions {
                let mut builder = RecordBatchReceiverStream::builder(Arc::clone(&schema), READ_AHEAD);
                let input = plan.execute(partition, Arc::clone(&ctx)).inspect_err(|error| {
                    if let Some(job) = &reported {
                        job.error.lock().get_or_insert_with(|| error.to_string());
                    }
                });
                let (sender, mut input) = (builder.tx(), input?);
                builder.spawn(async move {
                    while let Some(batch) = input.next().await {
                        if sender.send(batch).await.is_err() {
                            break;
                        }
                    }
                    Ok(())
                });
                let (rows, finished) = (Arc::clone(&progress), Arc::clone(&progress));
                let (running, executed) = (Arc::clone(&running), Arc::clone(&plan));
                let mut batches = builder
                    .build()
                    .inspect(move |batch| {
                        if let Ok(batch) = batch {
                            rows.add_rows(batch.num_rows());
                        }
                    })
                    .chain(futures::stream::once(async move {
                        finished.finish_partition();
                        // The last partition to end reports what the plan's operators spilled.
                        if running.fetch_sub(1, Ordering::Relaxed) == 1 {
                            finished.add_spill_bytes(spilled_bytes(&executed));
                        }
                        None::<Result<arrow::array::RecordBatch>>
                    }).filter_map(futures::future::ready))
                    .boxed();
                if let Some(job) = &reported {
                    batches = ReportedJob::watch(Arc::clone(job), partition, batches);
                }
                streams.push(result_size.count_partition(batches));
            }
            let batches = futures::stream::iter(streams).flatten();
            let stream = Box::pin(RecordBatchStreamAdapter::new(schema, batches)) as SendableRecordBatchStream;
            Ok(match limit {
                Some(ResultLimit { skip, fetch }) => {
                    let metrics = BaselineMetrics::new(&ExecutionPlanMetricsSet::new(), 0);
                    Box::pin(LimitStream::new(stream, skip, fetch, metrics)) as SendableRecordBatchStream
                }
                None => stream,
            })
        })
    }
}

/// A running job as its [`LocalJobListener`] sees it: ended (with the first task error,
/// if any) when the last of its partitions' streams is dropped.
struct ReportedJob {
    job: JobId,
    listener: Arc<dyn LocalJobListener>,
    plan: Arc<dyn ExecutionPlan>,
    started: Instant,
    error: Mutex<Option<String>>,
}

impl ReportedJob {
    fn start(job: JobId, listener: Arc<dyn LocalJobListener>, plan: &Arc<dyn ExecutionPlan>) -> Arc<Self> {
        listener.job_started(job, plan, &JobProperties::current());
        Arc::new(Self { job, listener, plan: Arc::clone(plan), started: Instant::now(), error: Mutex::new(None) })
    }

    /// `batches` of task `partition`, reporting the task's end when they end, or its
    /// error at the first failed batch.
    fn watch(
        job: Arc<Self>,
        partition: usize,
        batches: BoxStream<'static, Result<arrow::array::RecordBatch>>,
    ) -> BoxStream<'static, Result<arrow::array::RecordBatch>> {
        let (rows, bytes, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
        let counted = (Arc::clone(&rows), Arc::clone(&bytes), Arc::clone(&failed), Arc::clone(&job));
        batches
            .inspect(move |batch| match batch {
                Ok(batch) => {
                    counted.0.fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
                    counted.1.fetch_add(batch.get_array_memory_size() as u64, Ordering::Relaxed);
                }
                Err(error) if !counted.2.swap(true, Ordering::Relaxed) => {
                    let error = error.to_string();
                    counted.3.error.lock().get_or_insert_with(|| error.clone());
                    counted.3.listener.task_ended(counted.3.job, partition, Err(error));
                }
                Err(_) => {}
            })
            .chain(
                futures::stream::once(async move {
                    if !failed.load(Ordering::Relaxed) {
                        let metrics = TaskMetrics {
                            rows: rows.load(Ordering::Relaxed),
                            bytes: bytes.load(Ordering::Relaxed),
                            duration: job.started.elapsed(),
                            spill_bytes: 0,
                            // A local job runs whole in this process: it reads no shuffle.
                            shuffle_read: Default::default(),
                        };
                        job.listener.task_ended(job.job, partition, Ok(metrics));
                    }
                    None
                })
                .filter_map(futures::future::ready),
            )
            .boxed()
    }
}

impl Drop for ReportedJob {
    fn drop(&mut self) {
        self.listener.job_ended(self.job, &self.plan, self.error.lock().take());
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

    /// A limit over several partitions takes the first rows of the first partitions, as
    /// Spark's take does, not the first rows to arrive.
    #[tokio::test]
    async fn a_limit_reads_partitions_in_order() {
        let session = FlintSession::builder().master("local[2]").build().unwrap();
        let sql = "select id from range(0, 20000) union all select id from range(20000, 40000) limit 25000 offset 10";
        let plan = session.sql(sql).await.unwrap().inner().clone().create_physical_plan().await.unwrap();
        let (ordered, limit) = in_partition_order(Arc::clone(&plan)).unwrap();
        assert_eq!(limit, Some(ResultLimit { skip: 10, fetch: Some(25000) }));
        assert_eq!(ordered.output_partitioning().partition_count(), 2);
        let batches = session.runner().run_job(plan, Arc::default()).await.unwrap();
        let ids: Vec<i64> = batches
            .iter()
            .flat_map(|b| b.column(0).as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec())
            .collect();
        assert_eq!(ids, (10..25010).collect::<Vec<_>>());
    }
}
