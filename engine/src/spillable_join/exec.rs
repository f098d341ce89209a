//! `SpillableHashJoinExec`: a partitioned hash join that turns into a sort-merge join, in
//! the partitions whose build side does not fit the memory pool.

use super::once::OnceStreamExec;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::SortOptions;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::utils::memory::estimate_memory_size;
use datafusion::common::JoinType;
use datafusion::error::Result;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation, UnboundedMemoryPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{LexOrdering, PhysicalExpr, PhysicalSortExpr};
use datafusion::physical_plan::expressions::Column;
use datafusion::physical_plan::joins::{HashJoinExec, PartitionMode, SortMergeJoinExec};
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties, SendableRecordBatchStream,
};
use futures::{StreamExt, TryStreamExt};
use parking_lot::Mutex;
use std::sync::Arc;

/// Runs `join` (a `Partitioned` hash join) partition by partition: each partition first
/// reads its build side into memory reserved from the pool, as much as the hash join will
/// hold (the batches twice while they are concatenated, and the hash table). When all of
/// it fits, the hash join runs on what was read, its memory already counted. When the pool
/// refuses, that partition sorts both sides with spilling sorts and merge-joins them, as
/// Spark's sort-merge join does: the rows read so far and the rest of the build side feed
/// one sort, the untouched probe side the other.
#[derive(Debug)]
pub struct SpillableHashJoinExec {
    join: Arc<HashJoinExec>,
    /// The bytes one partition's build side may hold before it falls back.
    build_cap: usize,
    /// The joins built at run time, for their metrics.
    ran: Arc<Mutex<Vec<Arc<dyn ExecutionPlan>>>>,
}

impl SpillableHashJoinExec {
    /// Wraps `join`, or `None` when it cannot fall back: not `Partitioned`, null-aware (a
    /// sort-merge join has no null-aware anti join), a right mark join (which the
    /// sort-merge join lacks), a join with a filter beside its keys (DataFusion 55's
    /// sort-merge join, given the filter of a swapped hash join, returned too few rows of
    /// an inner join and failed an outer one with "declared as non-nullable but contains
    /// null values") unless it is a semi or anti join (which the sort-merge join runs
    /// apart, keeping a bit per outer row: TPC-H q21's), or a join whose output order
    /// comes from its probe side (a sort-merge join's output is ordered by the join keys
    /// instead).
    /// A partition's build side holds at most `build_cap` bytes as a hash join.
    pub fn try_wrap(join: &HashJoinExec, build_cap: usize) -> Result<Option<Self>> {
        let semi_or_anti = matches!(
            join.join_type(),
            JoinType::LeftSemi | JoinType::LeftAnti | JoinType::RightSemi | JoinType::RightAnti
        );
        let falls_back = *join.partition_mode() == PartitionMode::Partitioned
            && !join.null_aware
            && *join.join_type() != JoinType::RightMark
            && (join.filter().is_none() || semi_or_anti)
            && join.properties().output_ordering().is_none()
            && join.right().output_ordering().is_none();
        if !falls_back {
            return Ok(None);
        }
        Ok(Some(Self { join: Arc::new(join.builder().build()?), build_cap, ran: Arc::default() }))
    }

    /// The hash join this runs.
    pub fn join(&self) -> &HashJoinExec {
        &self.join
    }
}

impl DisplayAs for SpillableHashJoinExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "SpillableHashJoinExec, falling back to sort-merge: ")?;
        self.join.fmt_as(t, f)
    }
}

impl ExecutionPlan for SpillableHashJoinExec {
    fn name(&self) -> &str {
        "SpillableHashJoinExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.join.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        self.join.children()
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.join.apply_expressions(f)
    }

    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        let join = self.join.builder().with_new_children(children)?.recompute_properties().build()?;
        Ok(Arc::new(Self { join: Arc::new(join), build_cap: self.build_cap, ran: Arc::default() }))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let build = self.join.left().execute(partition, Arc::clone(&context))?;
        let probe = self.join.right().execute(partition, Arc::clone(&context))?;
        let run = PartitionJoin { join: Arc::clone(&self.join), build_cap: self.build_cap, partition, context, ran: Arc::clone(&self.ran) };
        let stream = futures::stream::once(run.start(build, probe)).try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema(), stream)))
    }

    /// The metrics of the joins that ran (their spills included).
    fn metrics(&self) -> Option<MetricsSet> {
        let mut set = MetricsSet::new();
        for plan in self.ran.lock().iter() {
            add_metrics(plan, &mut set);
        }
        Some(set)
    }
}

/// Every metric of `plan` and its descendants, into `set`.
fn add_metrics(plan: &Arc<dyn ExecutionPlan>, set: &mut MetricsSet) {
    for metric in plan.metrics().iter().flat_map(MetricsSet::iter) {
        set.push(Arc::clone(metric));
    }
    for child in plan.children() {
        add_metrics(child, set);
    }
}

/// One partition of a [`SpillableHashJoinExec`] being run.
struct PartitionJoin {
    join: Arc<HashJoinExec>,
    build_cap: usize,
    partition: usize,
    context: Arc<TaskContext>,
    ran: Arc<Mutex<Vec<Arc<dyn ExecutionPlan>>>>,
}


impl PartitionJoin {
    /// Reads the build side while the pool grants it, then joins by hash or by sort-merge.
    async fn start(
        self,
        mut build: SendableRecordBatchStream,
        probe: SendableRecordBatchStream,
    ) -> Result<SendableRecordBatchStream> {
        let consumer = format!("SpillableHashJoinExec[partition={}]", self.partition);
        // Unspillable, as DataFusion's own hash join build is: a spillable consumer of a
        // `FairSpillPool` gets only its share among every spillable consumer, which sent
        // q18 at SF1 to sort-merge with gigabytes free. `build_cap` leaves the rest of the
        // pool to the sorts and aggregations beside the join (and to its fallback).
        let reservation = MemoryConsumer::new(consumer).register(self.context.memory_pool());
        let cap = self.build_cap;
        let grow = |bytes: usize| reservation.size().saturating_add(bytes) <= cap && reservation.try_grow(bytes).is_ok();
        let mut batches: Vec<RecordBatch> = Vec::new();
        let (mut rows, mut concatenation) = (0, 0);
        while let Some(batch) = build.next().await.transpose()? {
            // The hash join concatenates its build batches: twice their size at the peak.
            if !grow(2 * batch.get_array_memory_size()) {
                batches.push(batch);
                return self.sort_merge(batches, reservation, Some(build), probe);
            }
            rows += batch.num_rows();
            concatenation += batch.get_array_memory_size();
            batches.push(batch);
        }
        let table = estimate_memory_size::<(u64, u64)>(rows, rows * size_of::<u64>() + rows.div_ceil(8))?;
        if !grow(table) {
            return self.sort_merge(batches, reservation, None, probe);
        }
        self.hash_join(batches, concatenation, reservation, probe)
    }

    /// The hash join over the build batches read, drawing on `reservation` (which already
    /// counts its memory, and `concatenation` bytes more while it concatenates the
    /// batches) instead of the pool.
    fn hash_join(
        self,
        batches: Vec<RecordBatch>,
        concatenation: usize,
        reservation: MemoryReservation,
        probe: SendableRecordBatchStream,
    ) -> Result<SendableRecordBatchStream> {
        let build_schema = self.join.left().schema();
        let build = futures::stream::iter(batches.into_iter().map(Ok));
        let build = Arc::new(OnceStreamExec::new(
            Arc::clone(&build_schema),
            Box::pin(RecordBatchStreamAdapter::new(build_schema, build)),
        ));
        let probe = Arc::new(OnceStreamExec::new(self.join.right().schema(), probe));
        let join = self.join.builder().with_new_children(vec![build, probe])?.reset_state().recompute_properties().build_exec()?;
        let runtime = RuntimeEnvBuilder::from_runtime_env(&self.context.runtime_env())
            .with_memory_pool(Arc::new(UnboundedMemoryPool::default()))
            .build_arc()?;
        let counted = Arc::new(
            TaskContext::new(
                self.context.task_id(),
                self.context.session_id(),
                self.context.session_config().clone(),
                self.context.scalar_functions().clone(),
                self.context.higher_order_functions().clone(),
                self.context.aggregate_functions().clone(),
                self.context.window_functions().clone(),
                runtime,
            ),
        );
        self.ran.lock().push(Arc::clone(&join));
        let schema = join.schema();
        let mut concatenated = false;
        let stream = join.execute(0, counted)?.inspect(move |_| {
            // The first output means the build is done: its batches were concatenated and dropped.
            if !concatenated {
                reservation.shrink(concatenation.min(reservation.size()));
                concatenated = true;
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }

    /// Sorts the build rows read so far and the rest of the build side, and the probe side,
    /// with spilling sorts, and merge-joins them.
    fn sort_merge(
        self,
        batches: Vec<RecordBatch>,
        reservation: MemoryReservation,
        rest: Option<SendableRecordBatchStream>,
        probe: SendableRecordBatchStream,
    ) -> Result<SendableRecordBatchStream> {
        let read: usize = batches.iter().map(RecordBatch::num_rows).sum();
        tracing::info!(
            partition = self.partition,
            rows_read = read,
            bytes_reserved = reservation.size(),
            "hash join build side does not fit the memory pool; joining this partition by sort-merge"
        );
        // The sorts count the rows read as they take them; holding their reservation
        // until then would starve the sort of the probe side, which may run first.
        drop(reservation);
        let read = futures::stream::iter(batches.into_iter().map(Ok));
        let build_schema = self.join.left().schema();
        let build: SendableRecordBatchStream = match rest {
            Some(rest) => Box::pin(RecordBatchStreamAdapter::new(Arc::clone(&build_schema), read.chain(rest))),
            None => Box::pin(RecordBatchStreamAdapter::new(Arc::clone(&build_schema), read)),
        };
        let (left_keys, right_keys): (Vec<_>, Vec<_>) = self.join.on().iter().cloned().unzip();
        let left = sorted(Arc::new(OnceStreamExec::new(build_schema, build)), left_keys)?;
        let right = sorted(Arc::new(OnceStreamExec::new(self.join.right().schema(), probe)), right_keys)?;
        let merge: Arc<dyn ExecutionPlan> = Arc::new(SortMergeJoinExec::try_new(
            left,
            right,
            self.join.on().to_vec(),
            self.join.filter().cloned(), // only semi and anti joins have one here (see `try_wrap`)
            *self.join.join_type(),
            vec![SortOptions::default(); self.join.on().len()],
            self.join.null_equality(),
        )?);
        let plan = match &self.join.projection {
            Some(columns) => {
                let schema = merge.schema();
                let exprs = columns.iter().map(|&i| {
                    (Arc::new(Column::new(schema.field(i).name(), i)) as Arc<dyn PhysicalExpr>, schema.field(i).name().clone())
                });
                Arc::new(ProjectionExec::try_new(exprs.collect::<Vec<_>>(), merge)?) as Arc<dyn ExecutionPlan>
            }
            None => merge,
        };
        self.ran.lock().push(Arc::clone(&plan));
        plan.execute(0, self.context)
    }
}

/// `input` sorted ascending on `keys`, nulls first (the order [`SortMergeJoinExec`]
/// merges in with default sort options), spilling when the pool is full.
fn sorted(input: Arc<dyn ExecutionPlan>, keys: Vec<Arc<dyn PhysicalExpr>>) -> Result<Arc<dyn ExecutionPlan>> {
    let exprs = keys.into_iter().map(|expr| PhysicalSortExpr { expr, options: SortOptions::default() });
    let ordering = LexOrdering::new(exprs).ok_or_else(|| {
        datafusion::error::DataFusionError::Internal("a hash join without join keys cannot fall back to sort-merge".into())
    })?;
    Ok(Arc::new(SortExec::new(ordering, input)))
}
