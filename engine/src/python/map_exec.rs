//! [`PythonMapExec`]: runs a map or grouped-map Python function over each partition as
//! one task on a pooled worker, streaming batches both ways (`mapInPandas`,
//! `mapInArrow`, `groupBy().applyInPandas`, `groupBy().applyInArrow`).

use std::io::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StructArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::ipc::writer::StreamWriter;
use arrow::row::{OwnedRow, RowConverter, SortField};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, LexRequirement, OrderingRequirements, PhysicalExpr, PhysicalSortRequirement};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::expressions::Column as ColumnExpr;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, ExecutionPlanProperties, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use futures::StreamExt;

use crate::python::error::PythonError;
use crate::python::function::{PythonFunction, eval_type};
use crate::python::map_node::output_schema;
use crate::python::protocol::{self, TaskHeader};
use crate::python::runner::run_task;

/// A map (no keys) or grouped-map (keys) Python function over its input's partitions.
/// For a grouped map the input must be hash-partitioned and sorted by the keys, which
/// it requires of the planner; each group then travels to the worker as a stream of
/// its own.
#[derive(Debug)]
pub struct PythonMapExec {
    input: Arc<dyn ExecutionPlan>,
    function: PythonFunction,
    keys: Vec<usize>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl PythonMapExec {
    /// The node of `function` over `input`, grouped by the input columns `keys`.
    pub fn try_new(input: Arc<dyn ExecutionPlan>, function: PythonFunction, keys: Vec<usize>) -> Result<Self> {
        let supported = if keys.is_empty() {
            matches!(function.eval_type, eval_type::MAP_PANDAS_ITER_UDF | eval_type::MAP_ARROW_ITER_UDF)
        } else {
            matches!(function.eval_type, eval_type::GROUPED_MAP_PANDAS_UDF | eval_type::GROUPED_MAP_ARROW_UDF)
        };
        if !supported {
            return Err(DataFusionError::NotImplemented(format!(
                "Python function {} of eval type {} {}",
                function.name,
                function.eval_type,
                if keys.is_empty() { "over partitions" } else { "over groups" }
            )));
        }
        let schema = Arc::new(output_schema(&function)?);
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(input.output_partitioning().partition_count()),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(Self { input, function, keys, schema, properties })
    }

    /// The function it runs.
    pub fn function(&self) -> &PythonFunction {
        &self.function
    }

    /// The grouping columns (indices into the input), empty for a map.
    pub fn keys(&self) -> &[usize] {
        &self.keys
    }

    fn key_exprs(&self) -> Vec<Arc<dyn PhysicalExpr>> {
        let input = self.input.schema();
        self.keys.iter().map(|&i| Arc::new(ColumnExpr::new(input.field(i).name(), i)) as Arc<dyn PhysicalExpr>).collect()
    }
}

impl DisplayAs for PythonMapExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "PythonMapExec: {} (eval type {}) keys={:?}", self.function.name, self.function.eval_type, self.keys)
    }
}

impl ExecutionPlan for PythonMapExec {
    fn name(&self) -> &str {
        "PythonMapExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn required_input_distribution(&self) -> Vec<Distribution> {
        if self.keys.is_empty() {
            vec![Distribution::UnspecifiedDistribution]
        } else {
            vec![Distribution::KeyPartitioned(self.key_exprs())]
        }
    }

    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        let requirement = LexRequirement::new(self.key_exprs().into_iter().map(|e| PhysicalSortRequirement::new(e, None)));
        vec![requirement.map(OrderingRequirements::new)]
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
            .map_err(|_| DataFusionError::Internal("PythonMapExec takes one child".to_string()))?;
        Ok(Arc::new(Self::try_new(input, self.function.clone(), self.keys.clone())?))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let task = MapTask {
            function: self.function.clone(),
            keys: self.keys.clone(),
            input_schema: self.input.schema(),
            schema: self.schema.clone(),
            partition,
        };
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch>>(2);
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let sender = tx.clone();
            if let Err(error) = task.run(input, &handle, |batch| {
                sender.blocking_send(Ok(batch)).map_err(|_| DataFusionError::Execution("the consumer of the Python task went away".into()).into())
            }) {
                let _ = tx.blocking_send(Err(error.into()));
            }
        });
        let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream)))
    }
}

/// One partition's run of a [`PythonMapExec`].
struct MapTask {
    function: PythonFunction,
    keys: Vec<usize>,
    input_schema: SchemaRef,
    schema: SchemaRef,
    partition: usize,
}

impl MapTask {
    /// Whether the worker expects the input columns wrapped in one struct column.
    fn wraps_input(&self) -> bool {
        matches!(
            self.function.eval_type,
            eval_type::MAP_PANDAS_ITER_UDF | eval_type::MAP_ARROW_ITER_UDF | eval_type::GROUPED_MAP_ARROW_UDF
        )
    }

    /// The argument offsets: the struct column of a map; for a grouped map Spark's
    /// `[length, key count, keys…, values…]` with every input column a value.
    fn arg_offsets(&self) -> Vec<i32> {
        if self.keys.is_empty() {
            return vec![0];
        }
        let columns = self.input_schema.fields().len() as i32;
        let mut offsets = vec![1 + self.keys.len() as i32 + columns, self.keys.len() as i32];
        offsets.extend(self.keys.iter().map(|&k| k as i32));
        offsets.extend(0..columns);
        offsets
    }

    fn worker_schema(&self) -> SchemaRef {
        if self.wraps_input() {
            Arc::new(Schema::new(vec![Field::new("_0", DataType::Struct(self.input_schema.fields().clone()), false)]))
        } else {
            self.input_schema.clone()
        }
    }

    fn to_worker(&self, batch: RecordBatch) -> Result<RecordBatch, PythonError> {
        if !self.wraps_input() {
            return Ok(batch);
        }
        let schema = self.worker_schema();
        let rows = batch.num_rows();
        let wrapped = StructArray::from(batch);
        Ok(RecordBatch::try_new_with_options(
            schema,
            vec![Arc::new(wrapped) as ArrayRef],
            &arrow::array::RecordBatchOptions::new().with_row_count(Some(rows)),
        )?)
    }

    fn run(
        &self,
        mut input: SendableRecordBatchStream,
        handle: &tokio::runtime::Handle,
        mut sink: impl FnMut(RecordBatch) -> Result<(), PythonError>,
    ) -> Result<(), PythonError> {
        let offsets = self.arg_offsets();
        let runner_conf = self.function.runner_conf();
        let header = TaskHeader {
            partition: self.partition,
            python_ver: &self.function.python_ver,
            eval_type: self.function.eval_type,
            runner_conf: &runner_conf,
            eval_conf: &[],
            arg_offsets: &offsets,
            command: &self.function.command,
        };
        let grouped = !self.keys.is_empty();
        let write_input = |out: &mut std::io::BufWriter<std::os::unix::net::UnixStream>| -> Result<(), PythonError> {
            let mut next = || handle.block_on(input.next()).transpose().map_err(PythonError::from);
            if grouped {
                self.write_groups(out, &mut next)
            } else {
                let mut writer = StreamWriter::try_new(out, &self.worker_schema())?;
                while let Some(batch) = next()? {
                    writer.write(&self.to_worker(batch)?)?;
                }
                writer.finish()?;
                Ok(())
            }
        };
        run_task(&self.function.interpreter(), &header, grouped, write_input, |batch| sink(from_worker(&self.function, &self.schema, batch)?))
    }

    /// Writes sorted input as one Arrow stream per group of equal keys.
    fn write_groups<W: Write>(
        &self,
        out: &mut W,
        next: &mut dyn FnMut() -> Result<Option<RecordBatch>, PythonError>,
    ) -> Result<(), PythonError> {
        let schema = self.worker_schema();
        let fields = self.keys.iter().map(|&k| SortField::new(self.input_schema.field(k).data_type().clone())).collect();
        let converter = RowConverter::new(fields)?;
        let mut idle: Option<&mut W> = Some(out);
        let mut writer: Option<StreamWriter<&mut W>> = None;
        let mut last_key: Option<OwnedRow> = None;
        while let Some(batch) = next()? {
            let keys: Vec<ArrayRef> = self.keys.iter().map(|&k| batch.column(k).clone()).collect();
            let rows = converter.convert_columns(&keys)?;
            let mut start = 0;
            for row in 0..=batch.num_rows() {
                let boundary = row == batch.num_rows()
                    || match (row, &last_key) {
                        (0, Some(last)) => rows.row(0) != last.row(),
                        (0, None) => true,
                        _ => rows.row(row) != rows.row(row - 1),
                    };
                if !boundary {
                    continue;
                }
                if row > start {
                    let open = writer.as_mut().ok_or_else(|| PythonError::Protocol { what: "rows before a group".into() })?;
                    open.write(&self.to_worker(batch.slice(start, row - start))?)?;
                }
                if row < batch.num_rows() {
                    let out = match writer.take() {
                        Some(mut open) => {
                            open.finish()?;
                            open.into_inner()?
                        }
                        None => idle.take().ok_or_else(|| PythonError::Protocol { what: "lost the socket".into() })?,
                    };
                    protocol::write_group_start(out, 1)?;
                    writer = Some(StreamWriter::try_new(out, &schema)?);
                    last_key = Some(rows.row(row).owned());
                }
                start = row;
            }
        }
        if let Some(mut open) = writer {
            open.finish()?;
        }
        Ok(())
    }
}

/// A worker's output batch as the columns of `schema`: struct results unwrapped, types cast
/// to the declared schema.
pub(crate) fn from_worker(function: &PythonFunction, schema: &SchemaRef, batch: RecordBatch) -> Result<RecordBatch, PythonError> {
    let columns: Vec<ArrayRef> = match batch.columns() {
        [only] if matches!(only.data_type(), DataType::Struct(_)) && !is_single_struct(schema) => {
            let rows = only.len();
            let array = only.as_any().downcast_ref::<StructArray>().map(|s| s.columns().to_vec()).unwrap_or_default();
            if array.is_empty() && rows > 0 && !schema.fields().is_empty() {
                return Err(PythonError::Protocol { what: "a struct result without columns".into() });
            }
            array
        }
        columns => columns.to_vec(),
    };
    if columns.len() != schema.fields().len() {
        return Err(PythonError::Protocol {
            what: format!("{} returned {} columns, its schema has {}", function.name, columns.len(), schema.fields().len()),
        });
    }
    let columns = columns
        .into_iter()
        .zip(schema.fields())
        .map(|(c, f)| if c.data_type() == f.data_type() { Ok(c) } else { cast(&c, f.data_type()) })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
    )?)
}

fn is_single_struct(schema: &Schema) -> bool {
    matches!(schema.fields().iter().map(|f| f.data_type()).collect::<Vec<_>>().as_slice(), [DataType::Struct(_)])
}
