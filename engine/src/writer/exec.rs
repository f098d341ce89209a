//! [`WriteFilesExec`]: a write that runs as one task per partition, wherever tasks run.
//!
//! DataFusion plans a write as one `DataSinkExec` over a single partition, so the whole
//! query would run in the process that calls it (the driver). Flint takes DataFusion's
//! sink (its format, options and `partitionBy` columns) and runs it once per partition
//! of the query instead: each task attempt writes its partition's files into a folder of
//! its own under the job's staging directory (`_temporary/<partition>-<attempt>/`) and
//! returns that folder. The job commits only the folders the tasks that finished
//! returned ([`super::commit::StagedWrite::commit_task_outputs`]); a killed or failed
//! attempt's files stay in its folder and are removed with the staging directory.

use arrow::array::{RecordBatch, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::file_format::csv::CsvSink;
use datafusion::datasource::file_format::json::JsonSink;
use datafusion::datasource::file_format::parquet::ParquetSink;
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::datasource::physical_plan::FileSink;
use datafusion::datasource::sink::{DataSink, DataSinkExec};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use std::any::Any;
use std::sync::Arc;

/// The folder under a staging directory that holds the task attempts' folders.
pub const TASK_ATTEMPTS_DIR: &str = "_temporary";

/// Writes each partition of its input with a DataFusion file sink into a folder of the
/// task attempt's own, and returns one row per task: the partition, that folder and the
/// rows written ([`task_output_schema`]).
#[derive(Debug)]
pub struct WriteFilesExec {
    input: Arc<dyn ExecutionPlan>,
    sink: Arc<dyn DataSink>,
    properties: Arc<PlanProperties>,
}

/// What each write task returns: `partition`, `attempt_dir` (a URL of the folder it
/// wrote into) and `rows`.
pub fn task_output_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("partition", DataType::UInt64, false),
        Field::new("attempt_dir", DataType::Utf8, false),
        Field::new("rows", DataType::UInt64, false),
    ]))
}

impl WriteFilesExec {
    /// Runs the write DataFusion planned as `plan` (a `DataSinkExec` over a file sink) one
    /// task per partition of the query under it.
    pub fn from_sink_plan(plan: Arc<dyn ExecutionPlan>) -> Result<Self> {
        let sink_exec = plan
            .downcast_ref::<DataSinkExec>()
            .ok_or_else(|| DataFusionError::Internal(format!("a write planned as {} instead of a DataSinkExec", plan.name())))?;
        let input = Arc::clone(sink_exec.input());
        // DataFusion gathers the input into one partition for its single sink (merging
        // sorted partitions in order); each task writes its own partition instead, and
        // keeps its partition's order in its files, as Spark's write tasks do.
        let input = if let Some(coalesce) = input.downcast_ref::<CoalescePartitionsExec>() {
            Arc::clone(coalesce.input())
        } else if let Some(merge) = input.downcast_ref::<SortPreservingMergeExec>() {
            Arc::clone(merge.input())
        } else {
            input
        };
        Ok(Self::new(input, sink_writing_into(sink_exec.sink(), None)?))
    }

    /// Writes `input`'s partitions with `sink`, each into a folder under the sink's path.
    pub fn new(input: Arc<dyn ExecutionPlan>, sink: Arc<dyn DataSink>) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(task_output_schema()),
            Partitioning::UnknownPartitioning(input.output_partitioning().partition_count()),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        Self { input, sink, properties }
    }

    /// The sink each task writes with (its path is the job's staging directory).
    pub fn sink(&self) -> &Arc<dyn DataSink> {
        &self.sink
    }

    /// Writes one file with the schema and no rows into the job's staging directory.
    pub async fn write_schema_only(&self, context: Arc<TaskContext>) -> Result<()> {
        let empty = RecordBatch::new_empty(self.input.schema());
        let stream = futures::stream::once(async move { Ok(empty) });
        let stream = Box::pin(RecordBatchStreamAdapter::new(self.input.schema(), stream));
        self.sink.write_all(stream, &one_file_per_task(&context)?).await?;
        Ok(())
    }

    /// A plan that carries the sink alone over an empty input, for DataFusion's plan
    /// serialisation, which knows how to encode file sinks and their options.
    pub fn sink_template(&self) -> Arc<dyn ExecutionPlan> {
        let empty = datafusion::physical_plan::empty::EmptyExec::new(self.input.schema());
        Arc::new(DataSinkExec::new(Arc::new(empty), Arc::clone(&self.sink), None))
    }

    /// The sink of a plan made by [`WriteFilesExec::sink_template`].
    pub fn sink_of_template(template: &Arc<dyn ExecutionPlan>) -> Result<Arc<dyn DataSink>> {
        let sink_exec = template
            .downcast_ref::<DataSinkExec>()
            .ok_or_else(|| DataFusionError::Internal(format!("a write's sink decoded as {}", template.name())))?;
        sink_writing_into(sink_exec.sink(), None)
    }
}

/// The file sink `sink` is, writing into `dir` instead of its own path when given.
fn sink_writing_into(sink: &dyn DataSink, dir: Option<ListingTableUrl>) -> Result<Arc<dyn DataSink>> {
    let sink: &dyn Any = sink;
    let with_path = |config: &datafusion::datasource::physical_plan::FileSinkConfig| {
        let mut config = config.clone();
        if let Some(dir) = &dir {
            config.table_paths = vec![dir.clone()];
            config.original_url = dir.to_string();
        }
        config
    };
    if let Some(parquet) = sink.downcast_ref::<ParquetSink>() {
        return Ok(Arc::new(ParquetSink::new(with_path(parquet.config()), parquet.parquet_options().clone())));
    }
    if let Some(csv) = sink.downcast_ref::<CsvSink>() {
        return Ok(Arc::new(CsvSink::new(with_path(csv.config()), csv.writer_options().clone())));
    }
    if let Some(json) = sink.downcast_ref::<JsonSink>() {
        return Ok(Arc::new(JsonSink::new(with_path(json.config()), json.writer_options().clone())));
    }
    Err(not_a_file_sink())
}

/// The job's staging directory: where the sink was planned to write.
fn staging_dir(sink: &dyn DataSink) -> Result<ListingTableUrl> {
    let sink: &dyn Any = sink;
    let file_sink: &dyn FileSink = if let Some(s) = sink.downcast_ref::<ParquetSink>() {
        s
    } else if let Some(s) = sink.downcast_ref::<CsvSink>() {
        s
    } else if let Some(s) = sink.downcast_ref::<JsonSink>() {
        s
    } else {
        return Err(not_a_file_sink());
    };
    file_sink.config().table_paths.first().cloned().ok_or_else(|| DataFusionError::Internal("a write without a path".to_string()))
}

fn not_a_file_sink() -> DataFusionError {
    DataFusionError::NotImplemented("writing to a sink other than Parquet, CSV or JSON files".to_string())
}

/// A folder of its own for one attempt at writing `partition` under the staging directory.
fn attempt_dir(staging: &ListingTableUrl, partition: usize) -> Result<ListingTableUrl> {
    let base = staging.as_str().trim_end_matches('/');
    let attempt = uuid::Uuid::new_v4().simple();
    ListingTableUrl::parse(format!("{base}/{TASK_ATTEMPTS_DIR}/{partition:05}-{attempt}/"))
}

/// `context` with DataFusion's writers set to write one file per task (per `partitionBy`
/// folder), as Spark's tasks do, instead of spreading a task's rows over several files.
fn one_file_per_task(context: &TaskContext) -> Result<Arc<TaskContext>> {
    let mut config = context.session_config().clone();
    config.options_mut().set("datafusion.execution.minimum_parallel_output_files", "1")?;
    Ok(Arc::new(TaskContext::new(
        context.task_id(),
        context.session_id(),
        config,
        context.scalar_functions().clone(),
        context.higher_order_functions().clone(),
        context.aggregate_functions().clone(),
        context.window_functions().clone(),
        context.runtime_env(),
    )))
}

impl DisplayAs for WriteFilesExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "WriteFilesExec: ")?;
        self.sink.fmt_as(t, f)
    }
}

impl ExecutionPlan for WriteFilesExec {
    fn name(&self) -> &str {
        "WriteFilesExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        let [input] = <[_; 1]>::try_from(children)
            .map_err(|_| DataFusionError::Internal("WriteFilesExec takes one child".to_string()))?;
        Ok(Arc::new(Self::new(input, Arc::clone(&self.sink))))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let dir = attempt_dir(&staging_dir(self.sink.as_ref())?, partition)?;
        let sink = sink_writing_into(self.sink.as_ref(), Some(dir.clone()))?;
        let input = self.input.execute(partition, Arc::clone(&context))?;
        let context = one_file_per_task(&context)?;
        let written = async move {
            let rows = sink.write_all(input, &context).await?;
            let columns: Vec<arrow::array::ArrayRef> = vec![
                Arc::new(UInt64Array::from(vec![partition as u64])),
                Arc::new(StringArray::from(vec![dir.to_string()])),
                Arc::new(UInt64Array::from(vec![rows])),
            ];
            Ok(RecordBatch::try_new(task_output_schema(), columns)?)
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(task_output_schema(), futures::stream::once(written))))
    }
}
