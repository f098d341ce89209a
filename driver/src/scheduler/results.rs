//! A cluster job's result as one stream: each result partition stays on the executor
//! that computed it, as a block, and the job's caller streams the blocks from there over
//! Arrow Flight `DoGet` (the executors' block service), in partition order, as the event
//! loop reports them finished. Nothing is gathered whole on the driver: it holds the
//! batch being passed on and the locations of partitions finished out of order.

use super::event_loop::Event;
use super::state::JobError;
use arrow::array::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use flint_engine::ids::{ExecutorId, JobId, ShuffleBlockId, StageId};
use flint_engine::result_size::ResultSizeLimit;
use flint_engine::shuffle::{MapOutputLocation, ShuffleEnv};
use flint_executor::shuffle_client::FlightBlocks;
use flint_proto::auth::AddSecret;
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
    /// Result partition `partition`'s block was lost before it was read; it is computed
    /// again and reported anew.
    Withdrawn {
        /// The result partition.
        partition: usize,
    },
    /// The job ended: `Ok` after every partition was reported and read.
    Finished(std::result::Result<(), JobError>),
}

/// Where the event loop sends a job's [`JobEvent`]s.
pub(super) type JobEvents = mpsc::UnboundedSender<JobEvent>;

/// How often a result partition whose block could not be read before any of its rows
/// was passed on is computed again before the stream fails.
const RESULT_FETCH_ATTEMPTS: u32 = 4;

/// Tells the event loop that a job's caller is done with its results once its result
/// stream is gone (read to the end, failed, or dropped by an interrupted or released
/// Connect operation): a job still running is cancelled and its blocks are removed.
struct ReleaseOnDrop {
    scheduler: mpsc::UnboundedSender<Event>,
    job: JobId,
}

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        let _ = self.scheduler.send(Event::Released(self.job));
    }
}

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
    /// Where the caller's reading is reported (and, on drop, its release).
    release: ReleaseOnDrop,
    events: mpsc::UnboundedReceiver<JobEvent>,
    /// Partitions reported but not yet reached.
    ready: BTreeMap<usize, MapOutputLocation>,
    /// The next partition to pass on.
    next: usize,
    /// The partition being passed on, and whether any of its rows were.
    current: Option<(BoxStream<'static, Result<RecordBatch>>, bool)>,
    /// Failed reads of the next partition's block.
    failed_fetches: u32,
    /// Whether the job ended with every partition reported.
    done: bool,
    blocks: ShuffleEnv,
    limit: Arc<ResultSizeLimit>,
}

/// How the driver reads result blocks: always from the executor's block service, over
/// one Flight connection per executor shared by every job, carrying the application's
/// secret.
pub(super) fn driver_blocks(secret: AddSecret) -> ShuffleEnv {
    ShuffleEnv::local(ExecutorId("driver".to_string()), std::path::PathBuf::new()).with_remote(Arc::new(FlightBlocks::new(secret)))
}

/// The batches of a job's `result` partitions, as the event loop reports them in
/// `events`, read through `blocks` ([`driver_blocks`]), each counted against `limit`
/// (`spark.driver.maxResultSize`). The event loop at `scheduler` is told which partition
/// the stream reads, which block it could not read, and when the stream is gone.
pub(super) fn result_stream(
    result: ResultPartitions,
    events: mpsc::UnboundedReceiver<JobEvent>,
    blocks: ShuffleEnv,
    limit: Option<usize>,
    scheduler: mpsc::UnboundedSender<Event>,
) -> BoxStream<'static, Result<RecordBatch>> {
    let ResultPartitions { job, stage, partitions } = result;
    let reader = ResultReader {
        job,
        stage,
        partitions,
        release: ReleaseOnDrop { scheduler, job },
        events,
        ready: BTreeMap::new(),
        next: 0,
        current: None,
        failed_fetches: 0,
        done: false,
        blocks,
        limit: Arc::new(ResultSizeLimit::new(limit)),
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
            if let Some((current, passed_on)) = self.current.as_mut() {
                match current.next().await {
                    Some(Ok(batch)) => {
                        *passed_on = true;
                        return Ok(Some(batch));
                    }
                    Some(Err(error)) => {
                        let passed_on = *passed_on;
                        self.current = None;
                        self.fetch_failed(error, passed_on)?;
                        continue;
                    }
                    None => {
                        self.current = None;
                        self.next += 1;
                        self.failed_fetches = 0;
                        self.tell(Event::ResultsRead(self.job, self.next));
                        continue;
                    }
                }
            }
            if let Some(location) = (self.next < self.partitions).then(|| self.ready.remove(&self.next)).flatten() {
                let block = ShuffleBlockId { job: self.job, stage: self.stage, map: self.next, reduce: 0 };
                tracing::debug!(job = %self.job, partition = self.next, executor = %location.executor, "streaming a result partition");
                self.current = Some((self.limit.count_partition(self.blocks.open_block(block, &location)), false));
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
                Some(JobEvent::Withdrawn { partition }) => {
                    tracing::info!(job = %self.job, partition, "a result partition was lost before it was read; it runs again");
                    self.ready.remove(&partition);
                }
                Some(JobEvent::Finished(Ok(()))) => self.done = true,
                Some(JobEvent::Finished(Err(error))) => return Err(DataFusionError::Execution(error.to_string())),
                None => return Err(DataFusionError::Execution("the scheduler has stopped".to_string())),
            }
        }
    }

    fn tell(&self, event: Event) {
        let _ = self.release.scheduler.send(event);
    }

    /// The next partition's block could not be read: when none of its rows were passed
    /// on yet, it is computed again (at most [`RESULT_FETCH_ATTEMPTS`] times); otherwise
    /// the stream fails, naming the executor (a limit past `spark.driver.maxResultSize`
    /// fails it as it is).
    fn fetch_failed(&mut self, error: DataFusionError, passed_on: bool) -> Result<()> {
        let Some((_, executor)) = flint_engine::shuffle::fetch_failure(&error) else { return Err(error) };
        self.failed_fetches += 1;
        if passed_on || self.failed_fetches >= RESULT_FETCH_ATTEMPTS {
            return Err(DataFusionError::Execution(format!(
                "result partition {} of {} could not be read from {executor} ({} attempts); run the query again: {error}",
                self.next, self.job, self.failed_fetches
            )));
        }
        tracing::warn!(job = %self.job, partition = self.next, %executor, %error, "a result block could not be read; computing it again");
        self.tell(Event::ResultLost(self.job, self.next, executor));
        Ok(())
    }
}
