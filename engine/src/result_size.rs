//! `spark.driver.maxResultSize`: a job whose result would grow past it fails with Spark's
//! error instead of exhausting the driver's memory (issue 10). Every backend counts the
//! bytes of its result partitions as they stream through the driver with a
//! [`ResultSizeLimit`] ([`ResultSizeLimit::count_partition`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::RecordBatch;
use datafusion::error::DataFusionError;
use futures::StreamExt;
use futures::stream::BoxStream;

/// A job's results grew past `spark.driver.maxResultSize`; the message is Spark's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Job aborted due to stage failure: Total size of serialized results of {tasks} tasks ({}) is bigger than spark.driver.maxResultSize ({})",
    bytes_to_string(*.total),
    bytes_to_string(*.limit)
)]
pub struct ResultTooLarge {
    /// Result tasks counted so far.
    pub tasks: usize,
    /// Their bytes.
    pub total: usize,
    /// The limit.
    pub limit: usize,
}

impl From<ResultTooLarge> for DataFusionError {
    fn from(error: ResultTooLarge) -> Self {
        DataFusionError::Execution(error.to_string())
    }
}

/// The running total of one job's result against the limit; shared by its tasks.
#[derive(Debug, Default)]
pub struct ResultSizeLimit {
    /// The limit in bytes; `None` (Spark's 0) is no limit.
    limit: Option<usize>,
    bytes: AtomicUsize,
    tasks: AtomicUsize,
}

impl ResultSizeLimit {
    /// A limit of `limit` bytes (`None`: unlimited).
    pub fn new(limit: Option<usize>) -> Self {
        Self { limit, ..Default::default() }
    }

    /// Adds one finished result task's `bytes`; fails once the job's results exceed the
    /// limit, with Spark's message.
    pub fn add_task(&self, bytes: usize) -> Result<(), ResultTooLarge> {
        let tasks = self.tasks.fetch_add(1, Ordering::Relaxed) + 1;
        self.check(self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes, tasks)
    }

    /// Adds `bytes` of a result task still running (a local task's batches as they come),
    /// so a result far over the limit stops early.
    pub fn add_bytes(&self, bytes: usize) -> Result<(), ResultTooLarge> {
        let total = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.check(total, self.tasks.load(Ordering::Relaxed).max(1))
    }

    /// One result partition's batches, each counted as it passes (its in-memory size) and
    /// the partition counted as a task at its end; the stream ends with Spark's error at
    /// the first batch past the limit.
    pub fn count_partition(
        self: &Arc<Self>,
        partition: BoxStream<'static, datafusion::error::Result<RecordBatch>>,
    ) -> BoxStream<'static, datafusion::error::Result<RecordBatch>> {
        let (limit, at_end) = (Arc::clone(self), Arc::clone(self));
        let counted = partition.map(move |batch| {
            let batch = batch?;
            limit.add_bytes(batch.get_array_memory_size())?;
            Ok(batch)
        });
        let end = futures::stream::once(async move { at_end.add_task(0).map_err(DataFusionError::from) })
            .filter_map(|counted| async move { counted.err().map(Err) });
        let mut failed = false;
        counted
            .chain(end)
            .take_while(move |item| {
                let go_on = !failed;
                failed |= item.is_err();
                async move { go_on }
            })
            .boxed()
    }

    fn check(&self, total: usize, tasks: usize) -> Result<(), ResultTooLarge> {
        match self.limit {
            Some(limit) if total > limit => Err(ResultTooLarge { tasks, total, limit }),
            _ => Ok(()),
        }
    }
}

/// A size as Spark's `Utils.bytesToString` writes it: `512.0 B`, `1024.0 MiB`, `2.5 GiB`
/// (a unit is used from twice its size up).
pub fn bytes_to_string(bytes: usize) -> String {
    const UNITS: [(u32, &str); 4] = [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")];
    let size = bytes as f64;
    let (value, unit) = UNITS
        .iter()
        .find(|(shift, _)| size >= 2.0 * (1u64 << shift) as f64)
        .map_or((size, "B"), |(shift, unit)| (size / (1u64 << shift) as f64, unit));
    format!("{value:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_as_spark_prints_them() {
        assert_eq!(bytes_to_string(100), "100.0 B");
        assert_eq!(bytes_to_string(1 << 30), "1024.0 MiB");
        assert_eq!(bytes_to_string(5 << 29), "2.5 GiB");
        assert_eq!(bytes_to_string(3000), "2.9 KiB");
    }

    #[test]
    fn results_past_the_limit_fail_with_sparks_message() {
        let limit = ResultSizeLimit::new(Some(1 << 20));
        assert!(limit.add_task(1 << 19).is_ok());
        let error = limit.add_task(3 << 19).unwrap_err().to_string();
        assert!(
            error.contains("Total size of serialized results of 2 tasks (2.0 MiB) is bigger than spark.driver.maxResultSize (1024.0 KiB)"),
            "{error}"
        );
        assert!(ResultSizeLimit::new(None).add_task(usize::MAX / 2).is_ok(), "no limit");
    }

    /// Batches pass until the total is past the limit; the stream then ends with the
    /// error, and a second partition is not read further.
    #[tokio::test]
    async fn a_partition_stream_ends_at_the_first_batch_past_the_limit() {
        let column = Arc::new(arrow::array::Int64Array::from_iter_values(0..1024)) as arrow::array::ArrayRef;
        let batch = RecordBatch::try_from_iter([("v", column)]).unwrap();
        let size = batch.get_array_memory_size();
        let limit = Arc::new(ResultSizeLimit::new(Some(size * 5 / 2)));
        let batches = futures::stream::iter((0..4).map(|_| Ok(batch.clone())).collect::<Vec<_>>()).boxed();
        let items: Vec<_> = limit.count_partition(batches).collect().await;
        assert_eq!(items.len(), 3, "two batches, then the error");
        assert!(items[0].is_ok() && items[1].is_ok());
        let error = items[2].as_ref().unwrap_err().to_string();
        assert!(error.contains("Total size of serialized results of 1 tasks"), "{error}");

        let unlimited = Arc::new(ResultSizeLimit::new(None));
        let batches = futures::stream::iter((0..4).map(|_| Ok(batch.clone())).collect::<Vec<_>>()).boxed();
        assert_eq!(unlimited.count_partition(batches).collect::<Vec<_>>().await.len(), 4);
    }
}
