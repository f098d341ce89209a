//! A cluster job's result as one stream: each result partition stays on the executor
//! that computed it, as a block, and the job's caller streams the blocks from there over
//! Arrow Flight `DoGet` (the executors' block service), in partition order, as the event
//! loop reports them finished. Nothing is gathered whole on the driver: it holds the
//! batch being passed on and the locations of partitions finished out of order.

use super::state::JobError;
use arrow::array::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use flint_engine::ids::{ExecutorId, JobId, ShuffleBlockId, StageId};
use flint_engine::result_size::ResultSizeLimit;
use flint_engine::shuffle::{MapOutputLocation, ShuffleEnv};
use flint_executor::shuffle_client::FlightBlocks;
use futures::StreamExt;
use futures::stream::BoxStream;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What the event loop tells a job's caller, in order: finished result partitions, then
/// how the job ended.
#[derive(Debug)]
pub(super) enum JobEvent {
    /// Result partition `partition`'s block is on the executor at `location`.
    Partition {
        /// The result partition.
        partition: usize,
        /// Where its block is.
        location: MapOutputLocation,
    },
    /// The job ended: `Ok` after every partition was reported.
    Finished(std::result::Result<(), JobError>),
}

/// Where the event loop sends a job's [`JobEvent`]s.
pub(super) type JobEvents = mpsc::UnboundedSender<JobEvent>;

/// A job's result stage: what its caller streams.
#[derive(Debug, Clone, Copy)]
pub(super) struct ResultPartitions {
    /// The job.
    pub job: JobId,
    /// Its result stage.
    pub stage: StageId,
    /// The result stage's partitions.
    pub partitions: usize,
}

/// A job's result stream in the making: what it has read and what it waits for.
struct ResultReader {
    job: JobId,
    stage: StageId,
    partitions: usize,
    /// Tells the event loop which partition the caller reads now.
    read: Box<dyn Fn(usize) + Send>,
    events: mpsc::UnboundedReceiver<JobEvent>,
    /// Partitions reported but not yet reached.
    ready: BTreeMap<usize, MapOutputLocation>,
    /// The next partition to pass on.
    next: usize,
    /// The partition being passed on.
    current: Option<BoxStream<'static, Result<RecordBatch>>>,
    /// Whether the job ended with every partition reported.
    done: bool,
    blocks: ShuffleEnv,
    limit: Arc<ResultSizeLimit>,
    /// Dropped with the stream: tells the event loop the caller is done with the job.
    _release: Box<dyn Send>,
}

/// The batches of a job's `result` partitions, as the event loop reports them in
/// `events`, each counted against `limit` (`spark.driver.maxResultSize`). `read` is told
/// each partition as the stream reaches it; `release` is dropped with the stream.
pub(super) fn result_stream(
    result: ResultPartitions,
    events: mpsc::UnboundedReceiver<JobEvent>,
    limit: Option<usize>,
    read: impl Fn(usize) + Send + 'static,
    release: impl Send + 'static,
) -> BoxStream<'static, Result<RecordBatch>> {
    let ResultPartitions { job, stage, partitions } = result;
    let blocks = ShuffleEnv::local(ExecutorId("driver".to_string()), std::path::PathBuf::new())
        .with_remote(Arc::new(FlightBlocks::default()));
    let reader = ResultReader {
        job,
        stage,
        partitions,
        read: Box::new(read),
        events,
        ready: BTreeMap::new(),
        next: 0,
        current: None,
        done: false,
        blocks,
        limit: Arc::new(ResultSizeLimit::new(limit)),
        _release: Box::new(release),
    };
    futures::stream::try_unfold(reader, |mut reader| async move {
        let batch = reader.next_batch().await?;
        Ok(batch.map(|batch| (batch, reader)))
    })
    .boxed()
}

impl ResultReader {
    /// The next batch in partition order; `None` once the job ended and every partition
    /// was passed on.
    async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            if let Some(current) = self.current.as_mut() {
                match current.next().await {
                    Some(batch) => return batch.map(Some).map_err(|e| self.lost(e)),
                    None => {
                        self.current = None;
                        self.next += 1;
                        (self.read)(self.next);
                        continue;
                    }
                }
            }
            if let Some(location) = (self.next < self.partitions).then(|| self.ready.remove(&self.next)).flatten() {
                let block = ShuffleBlockId { job: self.job, stage: self.stage, map: self.next, reduce: 0 };
                tracing::debug!(job = %self.job, partition = self.next, executor = %location.executor, "streaming a result partition");
                self.current = Some(self.limit.count_partition(self.blocks.open_block(block, &location)));
                continue;
            }
            if self.done {
                // Every partition was reported before the job finished.
                return match self.next >= self.partitions {
                    true => Ok(None),
                    false => Err(DataFusionError::Internal(format!("{} finished without result partition {}", self.job, self.next))),
                };
            }
            match self.events.recv().await {
                Some(JobEvent::Partition { partition, location }) => {
                    self.ready.insert(partition, location);
                }
                Some(JobEvent::Finished(Ok(()))) => self.done = true,
                Some(JobEvent::Finished(Err(error))) => return Err(DataFusionError::Execution(error.to_string())),
                None => return Err(DataFusionError::Execution("the scheduler has stopped".to_string())),
            }
        }
    }

    /// The error of a result partition that could not be streamed: a limit past
    /// `spark.driver.maxResultSize` as it is, a lost block named with its executor.
    fn lost(&self, error: DataFusionError) -> DataFusionError {
        match flint_engine::shuffle::fetch_failure(&error) {
            Some((_, executor)) => DataFusionError::Execution(format!(
                "result partition {} of {} was lost with {executor} before the driver read it; run the query again: {error}",
                self.next, self.job
            )),
            None => error,
        }
    }
}
