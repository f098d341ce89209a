//! `cogroup().applyInPandas`: [`PythonCoGroupNode`] and its [`PythonCoGroupExec`], which
//! walks two inputs partitioned and sorted by their keys side by side and sends each key's
//! rows of both sides to the worker as one group of two Arrow streams.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::SortOptions;
use arrow::datatypes::SchemaRef;
use arrow::ipc::writer::StreamWriter;
use arrow::row::{OwnedRow, RowConverter, Rows, SortField};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Column, DFSchema, DFSchemaRef};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};
use datafusion::physical_expr::{EquivalenceProperties, LexRequirement, OrderingRequirements, PhysicalExpr, PhysicalSortRequirement};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::expressions::Column as ColumnExpr;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, ExecutionPlanProperties, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use futures::StreamExt;
use prost::Message;

use crate::python::error::PythonError;
use crate::python::function::{PythonFunction, eval_type};
use crate::python::map_exec::from_worker;
use crate::python::map_node::output_schema;
use crate::python::protocol::{self, TaskHeader};
use crate::python::runner::run_task;

/// A Python function over the groups of two inputs with the same keys.
#[derive(Debug, Clone)]
pub struct PythonCoGroupNode {
    /// The left input and its grouping columns.
    pub left: LogicalPlan,
    /// The right input.
    pub right: LogicalPlan,
    /// The function; its return type is a struct of the output columns.
    pub function: PythonFunction,
    /// Grouping columns of the left input.
    pub left_keys: Vec<Column>,
    /// Grouping columns of the right input, as many as the left's.
    pub right_keys: Vec<Column>,
    schema: DFSchemaRef,
}

impl PythonCoGroupNode {
    /// The node of `function` over the groups of `left` and `right`.
    pub fn try_new(
        left: LogicalPlan,
        right: LogicalPlan,
        function: PythonFunction,
        left_keys: Vec<Column>,
        right_keys: Vec<Column>,
    ) -> Result<Self> {
        if left_keys.len() != right_keys.len() || left_keys.is_empty() {
            return Err(DataFusionError::Plan(format!(
                "cogroup needs the same number of grouping columns on both sides, not {} and {}",
                left_keys.len(),
                right_keys.len()
            )));
        }
        let schema = Arc::new(DFSchema::try_from(output_schema(&function)?)?);
        Ok(Self { left, right, function, left_keys, right_keys, schema })
    }

    /// The node as a logical plan.
    pub fn into_plan(self) -> LogicalPlan {
        LogicalPlan::Extension(datafusion::logical_expr::Extension { node: Arc::new(self) })
    }
}

impl PartialEq for PythonCoGroupNode {
    fn eq(&self, other: &Self) -> bool {
        self.left == other.left
            && self.right == other.right
            && self.function == other.function
            && self.left_keys == other.left_keys
            && self.right_keys == other.right_keys
    }
}

impl Eq for PythonCoGroupNode {}

impl Hash for PythonCoGroupNode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.left.hash(state);
        self.right.hash(state);
        self.function.encode_to_vec().hash(state);
        self.left_keys.hash(state);
        self.right_keys.hash(state);
    }
}

impl PartialOrd for PythonCoGroupNode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (self == other).then_some(Ordering::Equal)
    }
}

impl UserDefinedLogicalNodeCore for PythonCoGroupNode {
    fn name(&self) -> &str {
        "PythonCoGroup"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.left, &self.right]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        self.left_keys.iter().chain(&self.right_keys).cloned().map(Expr::Column).collect()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "PythonCoGroup: {} keys={:?} / {:?}", self.function.name, self.left_keys, self.right_keys)
    }

    fn with_exprs_and_inputs(&self, exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        let [left, right] = <[_; 2]>::try_from(inputs).map_err(|_| DataFusionError::Internal("PythonCoGroup takes two inputs".into()))?;
        let mut columns = exprs
            .into_iter()
            .map(|e| match e {
                Expr::Column(c) => Ok(c),
                other => Err(DataFusionError::Internal(format!("PythonCoGroup key {other} is not a column"))),
            })
            .collect::<Result<Vec<_>>>()?;
        let right_keys = columns.split_off(self.left_keys.len());
        Ok(Self { left, right, function: self.function.clone(), left_keys: columns, right_keys, schema: self.schema.clone() })
    }
}

/// Runs a cogrouped-map Python function over two inputs co-partitioned by their keys.
#[derive(Debug)]
pub struct PythonCoGroupExec {
    left: Arc<dyn ExecutionPlan>,
    right: Arc<dyn ExecutionPlan>,
    function: PythonFunction,
    left_keys: Vec<usize>,
    right_keys: Vec<usize>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl PythonCoGroupExec {
    /// The node of `function` over `left` and `right` grouped by the given input columns.
    pub fn try_new(
        left: Arc<dyn ExecutionPlan>,
        right: Arc<dyn ExecutionPlan>,
        function: PythonFunction,
        left_keys: Vec<usize>,
        right_keys: Vec<usize>,
    ) -> Result<Self> {
        if function.eval_type != eval_type::COGROUPED_MAP_PANDAS_UDF {
            return Err(DataFusionError::NotImplemented(format!(
                "Python function {} of eval type {} over cogroups",
                function.name, function.eval_type
            )));
        }
        for (&l, &r) in left_keys.iter().zip(&right_keys) {
            let (lt, rt) = (left.schema().field(l).data_type().clone(), right.schema().field(r).data_type().clone());
            if lt != rt {
                return Err(DataFusionError::Plan(format!(
                    "cogroup keys {} and {} have different types ({lt} and {rt}); cast one side first",
                    left.schema().field(l).name(),
                    right.schema().field(r).name()
                )));
            }
        }
        let schema = Arc::new(output_schema(&function)?);
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(left.output_partitioning().partition_count()),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(Self { left, right, function, left_keys, right_keys, schema, properties })
    }

    /// The function it runs.
    pub fn function(&self) -> &PythonFunction {
        &self.function
    }

    /// The grouping columns of the left and right inputs.
    pub fn keys(&self) -> (&[usize], &[usize]) {
        (&self.left_keys, &self.right_keys)
    }

    fn exprs(input: &Arc<dyn ExecutionPlan>, keys: &[usize]) -> Vec<Arc<dyn PhysicalExpr>> {
        let schema = input.schema();
        keys.iter().map(|&i| Arc::new(ColumnExpr::new(schema.field(i).name(), i)) as Arc<dyn PhysicalExpr>).collect()
    }

    fn ordering(input: &Arc<dyn ExecutionPlan>, keys: &[usize]) -> Option<OrderingRequirements> {
        let sort = Self::exprs(input, keys).into_iter().map(|e| PhysicalSortRequirement::new(e, Some(SortOptions::default())));
        LexRequirement::new(sort).map(OrderingRequirements::new)
    }
}

impl DisplayAs for PythonCoGroupExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "PythonCoGroupExec: {} keys={:?} / {:?}", self.function.name, self.left_keys, self.right_keys)
    }
}

impl ExecutionPlan for PythonCoGroupExec {
    fn name(&self) -> &str {
        "PythonCoGroupExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn required_input_distribution(&self) -> Vec<Distribution> {
        vec![
            Distribution::KeyPartitioned(Self::exprs(&self.left, &self.left_keys)),
            Distribution::KeyPartitioned(Self::exprs(&self.right, &self.right_keys)),
        ]
    }

    fn required_input_ordering(&self) -> Vec<Option<OrderingRequirements>> {
        vec![Self::ordering(&self.left, &self.left_keys), Self::ordering(&self.right, &self.right_keys)]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.left, &self.right]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        let [left, right] = <[_; 2]>::try_from(children)
            .map_err(|_| DataFusionError::Internal("PythonCoGroupExec takes two children".to_string()))?;
        Ok(Arc::new(Self::try_new(left, right, self.function.clone(), self.left_keys.clone(), self.right_keys.clone())?))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let left = self.left.execute(partition, context.clone())?;
        let right = self.right.execute(partition, context)?;
        let function = self.function.clone();
        let sides = [(left, self.left_keys.clone()), (right, self.right_keys.clone())];
        let schema = self.schema.clone();
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<RecordBatch>>(2);
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let sender = tx.clone();
            let result = run_cogroup(&function, partition, sides, &handle, |batch| {
                let batch = from_worker(&function, &schema, batch)?;
                sender
                    .blocking_send(Ok(batch))
                    .map_err(|_| DataFusionError::Execution("the consumer of the Python task went away".into()).into())
            });
            if let Err(error) = result {
                let _ = tx.blocking_send(Err(error.into()));
            }
        });
        let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream)))
    }
}

/// Spark's offsets of one side: `[length, key count, keys…, every column]`.
fn side_offsets(keys: &[usize], columns: usize) -> Vec<i32> {
    let mut offsets = vec![1 + keys.len() as i32 + columns as i32, keys.len() as i32];
    offsets.extend(keys.iter().map(|&k| k as i32));
    offsets.extend(0..columns as i32);
    offsets
}

fn run_cogroup(
    function: &PythonFunction,
    partition: usize,
    sides: [(SendableRecordBatchStream, Vec<usize>); 2],
    handle: &tokio::runtime::Handle,
    sink: impl FnMut(RecordBatch) -> Result<(), PythonError>,
) -> Result<(), PythonError> {
    let [(left, left_keys), (right, right_keys)] = sides;
    let mut offsets = side_offsets(&left_keys, left.schema().fields().len());
    offsets.extend(side_offsets(&right_keys, right.schema().fields().len()));
    let runner_conf = function.runner_conf();
    let header = TaskHeader {
        partition,
        python_ver: &function.python_ver,
        eval_type: function.eval_type,
        runner_conf: &runner_conf,
        eval_conf: &[],
        arg_offsets: &offsets,
        command: &function.command,
    };
    let write_input = |out: &mut std::io::BufWriter<std::os::unix::net::UnixStream>| -> Result<(), PythonError> {
        let mut left = Cursor::new(left, left_keys, handle)?;
        let mut right = Cursor::new(right, right_keys, handle)?;
        loop {
            let key = match (left.key()?, right.key()?) {
                (None, None) => return Ok(()),
                (Some(l), None) => l,
                (None, Some(r)) => r,
                (Some(l), Some(r)) => l.min(r),
            };
            protocol::write_group_start(out, 2)?;
            left.write_group(out, &key)?;
            right.write_group(out, &key)?;
        }
    };
    run_task(&function.interpreter(), &header, true, write_input, sink)
}

/// One sorted input read group by group.
struct Cursor<'h> {
    input: SendableRecordBatchStream,
    keys: Vec<usize>,
    converter: RowConverter,
    handle: &'h tokio::runtime::Handle,
    current: Option<(RecordBatch, Rows)>,
    position: usize,
    done: bool,
}

impl<'h> Cursor<'h> {
    fn new(input: SendableRecordBatchStream, keys: Vec<usize>, handle: &'h tokio::runtime::Handle) -> Result<Self, PythonError> {
        let schema = input.schema();
        let fields = keys.iter().map(|&k| SortField::new(schema.field(k).data_type().clone())).collect();
        Ok(Self { input, keys, converter: RowConverter::new(fields)?, handle, current: None, position: 0, done: false })
    }

    /// Makes `current` a batch with rows left, unless the input is exhausted.
    fn fill(&mut self) -> Result<(), PythonError> {
        while !self.done && self.current.as_ref().is_none_or(|(b, _)| self.position >= b.num_rows()) {
            match self.handle.block_on(self.input.next()).transpose()? {
                Some(batch) => {
                    let keys: Vec<ArrayRef> = self.keys.iter().map(|&k| batch.column(k).clone()).collect();
                    let rows = self.converter.convert_columns(&keys)?;
                    self.current = Some((batch, rows));
                    self.position = 0;
                }
                None => {
                    self.current = None;
                    self.done = true;
                }
            }
        }
        Ok(())
    }

    /// The key of the next row.
    fn key(&mut self) -> Result<Option<OwnedRow>, PythonError> {
        self.fill()?;
        Ok(self.current.as_ref().map(|(_, rows)| rows.row(self.position).owned()))
    }

    /// Writes the rows of `key` that come next (maybe none) as one Arrow stream.
    fn write_group<W: Write>(&mut self, out: &mut W, key: &OwnedRow) -> Result<(), PythonError> {
        let schema = self.input.schema();
        let mut writer = StreamWriter::try_new(out, &schema)?;
        let mut written = false;
        loop {
            self.fill()?;
            let Some((batch, rows)) = self.current.as_ref() else { break };
            let start = self.position;
            let mut end = start;
            while end < batch.num_rows() && rows.row(end) == key.row() {
                end += 1;
            }
            if end > start {
                writer.write(&batch.slice(start, end - start))?;
                written = true;
            }
            self.position = end;
            if end < batch.num_rows() {
                break;
            }
        }
        // The worker builds a table of each side's batches, which needs one even when
        // the side has no rows for the key.
        if !written {
            writer.write(&RecordBatch::new_empty(schema))?;
        }
        writer.finish()?;
        Ok(())
    }
}
