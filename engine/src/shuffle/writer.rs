//! `ShuffleWriterExec`: the root of a shuffle-map stage; writes one block per reduce partition.

use super::{ShuffleError, layout};
use crate::ids::{JobId, ShuffleBlockId, StageId};
use arrow::array::{ArrayRef, RecordBatch, UInt32Array, UInt64Array};
use arrow::compute::BatchCoalescer;
use arrow::error::ArrowError;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::ipc::CompressionType;
use arrow::ipc::writer::{FileWriter, IpcWriteOptions};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryPool, MemoryReservation};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::Time;
use datafusion::physical_plan::repartition::BatchPartitioner;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning, PlanProperties, SendableRecordBatchStream,
};
use futures::StreamExt;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::Arc;

/// How a map task splits its rows among reduce partitions.
#[derive(Debug, Clone)]
pub enum ShuffleOutput {
    /// By hash of the expressions, as Spark's `HashPartitioning`.
    Hash {
        /// The key expressions, over the writer's input schema.
        exprs: Vec<Arc<dyn PhysicalExpr>>,
        /// The number of reduce partitions.
        partitions: usize,
    },
    /// Batches dealt round-robin, as `repartition(n)`.
    RoundRobin {
        /// The number of reduce partitions.
        partitions: usize,
    },
    /// Everything to reduce partition 0 (before a coalesce or a sort-preserving merge).
    Single,
}

impl ShuffleOutput {
    /// The number of reduce partitions.
    pub fn partitions(&self) -> usize {
        match self {
            Self::Hash { partitions, .. } | Self::RoundRobin { partitions } => *partitions,
            Self::Single => 1,
        }
    }
}

/// Runs its input's partition `p` as map task `p` and writes the rows, split by
/// [`ShuffleOutput`], as Arrow IPC blocks (LZ4-compressed unless turned off) under
/// `work_dir`. Its output is one row per block: `reduce`, `rows`, `bytes`.
#[derive(Debug)]
pub struct ShuffleWriterExec {
    input: Arc<dyn ExecutionPlan>,
    job: JobId,
    stage: StageId,
    output: ShuffleOutput,
    work_dir: PathBuf,
    /// Whether blocks are LZ4-compressed (`spark.shuffle.compress`).
    compress: bool,
    properties: Arc<PlanProperties>,
}

/// The schema of a map task's result: one row per block written.
pub fn map_status_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("reduce", DataType::UInt32, false),
        Field::new("rows", DataType::UInt64, false),
        Field::new("bytes", DataType::UInt64, false),
    ]))
}

impl ShuffleWriterExec {
    /// A writer for map stage `stage` of `job`, writing compressed blocks under `work_dir`.
    pub fn new(
        input: Arc<dyn ExecutionPlan>,
        job: JobId,
        stage: StageId,
        output: ShuffleOutput,
        work_dir: PathBuf,
    ) -> Self {
        let partitions = input.output_partitioning().partition_count();
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(map_status_schema()),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        Self { input, job, stage, output, work_dir, compress: true, properties }
    }

    /// The job this writer belongs to.
    pub fn job(&self) -> JobId {
        self.job
    }

    /// The stage (and shuffle) this writer writes.
    pub fn stage(&self) -> StageId {
        self.stage
    }

    /// How rows are split among reduce partitions.
    pub fn output(&self) -> &ShuffleOutput {
        &self.output
    }

    /// The plan whose partitions the map tasks run.
    pub fn input(&self) -> &Arc<dyn ExecutionPlan> {
        &self.input
    }

    /// The same writer, compressing its blocks or not (`spark.shuffle.compress`).
    pub fn with_compression(self, compress: bool) -> Self {
        Self { compress, ..self }
    }
}

impl DisplayAs for ShuffleWriterExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "ShuffleWriterExec: stage={}, output={:?}", self.stage.0, self.output)
    }
}

impl ExecutionPlan for ShuffleWriterExec {
    fn name(&self) -> &str {
        "ShuffleWriterExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        if let ShuffleOutput::Hash { exprs, .. } = &self.output {
            for expr in exprs {
                if f(expr)? == TreeNodeRecursion::Stop {
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        let [input] = <[_; 1]>::try_from(children)
            .map_err(|_| DataFusionError::Internal("ShuffleWriterExec takes one child".to_string()))?;
        let writer = Self::new(input, self.job, self.stage, self.output.clone(), self.work_dir.clone());
        Ok(Arc::new(writer.with_compression(self.compress)))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let task = MapTask {
            job: self.job,
            stage: self.stage,
            map: partition,
            num_maps: self.input.output_partitioning().partition_count(),
            output: self.output.clone(),
            work_dir: self.work_dir.clone(),
            compress: self.compress,
            batch_size: context.session_config().batch_size(),
            memory: Arc::clone(context.memory_pool()),
        };
        let input = self.input.execute(partition, context)?;
        let result = futures::stream::once(write_map_output(input, task));
        Ok(Box::pin(RecordBatchStreamAdapter::new(map_status_schema(), result)))
    }
}

/// One reduce partition's open file.
struct BlockFile {
    writer: FileWriter<BufWriter<File>>,
    /// Gathers the slices of many input batches into full batches, copying string views
    /// into compact buffers (a slice would otherwise drag its whole source buffers along).
    coalescer: BatchCoalescer,
    tmp: PathBuf,
    path: PathBuf,
    rows: u64,
}

/// What a [`BlockFile`] holds in memory besides the rows its coalescer buffers: its
/// `BufWriter`'s buffer.
const FILE_BUFFER_BYTES: usize = 8 * 1024;

impl BlockFile {
    /// Buffers `part`, writing every batch that fills up.
    fn append(&mut self, part: RecordBatch) -> std::result::Result<(), ArrowError> {
        self.rows += part.num_rows() as u64;
        self.coalescer.push_batch(part)?;
        self.write_completed()
    }

    /// Writes what is still buffered.
    fn flush(&mut self) -> std::result::Result<(), ArrowError> {
        self.coalescer.finish_buffered_batch()?;
        self.write_completed()
    }

    /// The bytes the file holds in memory: its coalescer's buffers and its `BufWriter`.
    fn memory_size(&self) -> usize {
        self.coalescer.size() + FILE_BUFFER_BYTES
    }

    fn write_completed(&mut self) -> std::result::Result<(), ArrowError> {
        while let Some(batch) = self.coalescer.next_completed_batch() {
            self.writer.write(&batch)?;
        }
        Ok(())
    }
}

/// What one map task writes, and where.
struct MapTask {
    job: JobId,
    stage: StageId,
    map: usize,
    num_maps: usize,
    output: ShuffleOutput,
    work_dir: PathBuf,
    compress: bool,
    /// Rows per written batch.
    batch_size: usize,
    /// The executor's memory pool (`spark.executor.memory`), which the rows the task
    /// buffers are counted in.
    memory: Arc<dyn MemoryPool>,
}

/// The memory a map task's open block files use, counted in the executor's pool: when the
/// pool cannot give more, the task writes what it buffers (smaller batches) instead of
/// growing past `spark.executor.memory`.
struct BufferedBlocks {
    reservation: MemoryReservation,
}

impl BufferedBlocks {
    fn new(memory: &Arc<dyn MemoryPool>, stage: StageId, map: usize, files: usize) -> Result<Self> {
        let reservation =
            MemoryConsumer::new(format!("ShuffleWriterExec[stage={}, map={map}]", stage.0)).with_can_spill(true).register(memory);
        reservation.try_grow(files * FILE_BUFFER_BYTES)?;
        Ok(Self { reservation })
    }

    /// Counts what `files` buffer now; when the pool has no room for it, writes every
    /// file's buffered rows out first.
    fn account(&mut self, files: &mut [BlockFile], write_err: impl Fn(usize, ArrowError) -> DataFusionError) -> Result<()> {
        if self.reservation.try_resize(files.iter().map(BlockFile::memory_size).sum()).is_ok() {
            return Ok(());
        }
        for (reduce, file) in files.iter_mut().enumerate() {
            file.flush().map_err(|e| write_err(reduce, e))?;
        }
        self.reservation.try_resize(files.iter().map(BlockFile::memory_size).sum())
    }
}

async fn write_map_output(mut input: SendableRecordBatchStream, task: MapTask) -> Result<RecordBatch> {
    let MapTask { job, stage, map, num_maps, output, work_dir, compress, batch_size, memory } = task;
    let schema = input.schema();
    let reduces = output.partitions();
    let block = |reduce| ShuffleBlockId { job, stage, map, reduce };
    let write_err = |reduce: usize, e: Box<dyn std::error::Error + Send + Sync>| {
        DataFusionError::External(Box::new(ShuffleError::WriteFailed { block: block(reduce), source: e }))
    };
    let dir = layout::map_dir(&work_dir, job, stage, map);
    std::fs::create_dir_all(&dir).map_err(|e| write_err(0, e.into()))?;
    let options = IpcWriteOptions::default()
        .try_with_compression(compress.then_some(CompressionType::LZ4_FRAME))
        .map_err(|e| write_err(0, e.into()))?;
    let mut files = Vec::with_capacity(reduces);
    for reduce in 0..reduces {
        let path = layout::block_path(&work_dir, &block(reduce));
        let tmp = path.with_extension(format!("arrow.tmp{}", std::process::id()));
        let file = File::create(&tmp).map_err(|e| write_err(reduce, e.into()))?;
        let writer = FileWriter::try_new_with_options(BufWriter::new(file), &schema, options.clone())
            .map_err(|e| write_err(reduce, e.into()))?;
        let coalescer = BatchCoalescer::new(Arc::clone(&schema), batch_size);
        files.push(BlockFile { writer, coalescer, tmp, path, rows: 0 });
    }
    let mut partitioner = match &output {
        ShuffleOutput::Hash { exprs, partitions } => Some(BatchPartitioner::try_new(
            Partitioning::Hash(exprs.clone(), *partitions),
            Time::new(),
            map,
            num_maps,
        )?),
        ShuffleOutput::RoundRobin { partitions } => Some(BatchPartitioner::try_new(
            Partitioning::RoundRobinBatch(*partitions),
            Time::new(),
            map,
            num_maps,
        )?),
        ShuffleOutput::Single => None,
    };
    let mut buffered = BufferedBlocks::new(&memory, stage, map, reduces)?;
    while let Some(batch) = input.next().await {
        let batch = batch?;
        let mut write = |reduce: usize, part: RecordBatch| -> Result<()> {
            if part.num_rows() == 0 {
                return Ok(());
            }
            let file = files
                .get_mut(reduce)
                .ok_or_else(|| DataFusionError::Internal(format!("reduce partition {reduce} out of range")))?;
            file.append(part).map_err(|e| write_err(reduce, e.into()))
        };
        match partitioner.as_mut() {
            Some(partitioner) => partitioner.partition(batch, &mut write)?,
            None => write(0, batch)?,
        }
        buffered.account(&mut files, |reduce, e| write_err(reduce, e.into()))?;
    }
    let (mut reduce_col, mut rows_col, mut bytes_col) = (Vec::new(), Vec::new(), Vec::new());
    for (reduce, mut file) in files.into_iter().enumerate() {
        file.flush().map_err(|e| write_err(reduce, e.into()))?;
        let buffered = file.writer.into_inner().map_err(|e| write_err(reduce, e.into()))?;
        buffered.into_inner().map_err(|e| write_err(reduce, e.into_error().into()))?;
        std::fs::rename(&file.tmp, &file.path).map_err(|e| write_err(reduce, e.into()))?;
        let bytes = std::fs::metadata(&file.path).map(|m| m.len()).unwrap_or(0);
        reduce_col.push(reduce as u32);
        rows_col.push(file.rows);
        bytes_col.push(bytes);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(reduce_col)),
        Arc::new(UInt64Array::from(rows_col)),
        Arc::new(UInt64Array::from(bytes_col)),
    ];
    Ok(RecordBatch::try_new(map_status_schema(), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::ipc::reader::FileReader;
    use datafusion::datasource::memory::MemorySourceConfig;
    use datafusion::execution::memory_pool::GreedyMemoryPool;
    use datafusion::execution::runtime_env::RuntimeEnvBuilder;
    use datafusion::physical_expr::expressions::col;

    const REDUCES: usize = 16;
    const BATCHES: i64 = 32;

    /// Writes 32 batches of 8,192 rows into a hash shuffle of 16 partitions under `dir`, on
    /// an executor whose memory pool holds `pool_bytes`.
    async fn shuffle_with_pool(dir: &std::path::Path, pool_bytes: usize) -> Result<Vec<RecordBatch>> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("s", DataType::Utf8, false),
        ]));
        let batches: Vec<RecordBatch> = (0..BATCHES)
            .map(|b| {
                let ids: Vec<i64> = (b * 8192..(b + 1) * 8192).collect();
                let strings: Vec<String> = ids.iter().map(|i| format!("{i:0>48}")).collect();
                let columns: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(ids)), Arc::new(StringArray::from(strings))];
                RecordBatch::try_new(Arc::clone(&schema), columns)
            })
            .collect::<std::result::Result<_, _>>()?;
        let input = MemorySourceConfig::try_new_exec(&[batches], Arc::clone(&schema), None)?;
        let output = ShuffleOutput::Hash { exprs: vec![col("id", &schema)?], partitions: REDUCES };
        let writer = ShuffleWriterExec::new(input, JobId(1), StageId(0), output, dir.to_path_buf());
        let runtime = RuntimeEnvBuilder::new().with_memory_pool(Arc::new(GreedyMemoryPool::new(pool_bytes))).build_arc()?;
        let context = Arc::new(TaskContext::default().with_runtime(runtime));
        datafusion::physical_plan::common::collect(writer.execute(0, context)?).await
    }

    /// (batches, rows) in the blocks a map task wrote under `dir`.
    fn written(dir: &std::path::Path) -> (usize, usize) {
        let (mut batches, mut rows) = (0, 0);
        for reduce in 0..REDUCES {
            let block = ShuffleBlockId { job: JobId(1), stage: StageId(0), map: 0, reduce };
            let file = File::open(layout::block_path(dir, &block)).expect("block file");
            for batch in FileReader::try_new(file, None).expect("IPC file") {
                batches += 1;
                rows += batch.expect("batch").num_rows();
            }
        }
        (batches, rows)
    }

    #[tokio::test]
    async fn what_the_shuffle_writer_buffers_is_counted_in_the_executor_memory_pool() -> Result<()> {
        let (roomy, tight) = (tempfile::tempdir()?, tempfile::tempdir()?);
        shuffle_with_pool(roomy.path(), 1 << 30).await?;
        shuffle_with_pool(tight.path(), 2 << 20).await?;
        let ((roomy_batches, roomy_rows), (tight_batches, tight_rows)) = (written(roomy.path()), written(tight.path()));
        assert_eq!(roomy_rows, BATCHES as usize * 8192);
        assert_eq!(tight_rows, roomy_rows, "a tight pool changes how rows are batched, not which");
        assert!(
            tight_batches > 2 * roomy_batches,
            "a pool too small for every reduce partition's buffers makes the task write them out early: \
             {tight_batches} batches in 2 MiB, {roomy_batches} in 1 GiB"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_pool_too_small_for_the_file_buffers_fails_the_task_with_a_memory_error() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let error = shuffle_with_pool(dir.path(), REDUCES * FILE_BUFFER_BYTES / 2).await.expect_err("no room for the files");
        let message = error.to_string();
        assert!(message.contains("Resources exhausted") && message.contains("ShuffleWriterExec[stage=0, map=0]"), "{message}");
        Ok(())
    }
}
