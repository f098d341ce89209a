//! `ShuffleReaderExec`: a leaf of a consuming stage that reads a map stage's blocks.

use super::ShuffleError;
use super::fetch::{BlockBytes, ShuffleEnv};
use crate::ids::{ExecutorId, JobId, ShuffleBlockId, StageId};
use arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{ExecutionPlanMetricsSet, MetricBuilder, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties, SendableRecordBatchStream,
};
use futures::StreamExt;
use std::path::PathBuf;
use std::sync::Arc;

/// Where one map task's output lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapOutputLocation {
    /// The executor that ran the map task and keeps its blocks.
    pub executor: ExecutorId,
    /// That executor's shuffle work directory.
    pub work_dir: PathBuf,
    /// That executor's block service address (`host:port`), for remote fetches.
    pub address: String,
}

/// Which blocks each output partition reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShuffleRead {
    /// Partition `r` reads block `(m, r)` of every map task `m` (after a hash or
    /// round-robin shuffle).
    Reduce {
        /// The number of reduce partitions.
        partitions: usize,
    },
    /// Partition `m` reads block `(m, 0)`: each map task's output stays one partition, so
    /// a sort-preserving merge above can merge sorted runs.
    PerMap,
}

/// Reads the blocks a map stage wrote. Locations are filled in by the driver, through
/// [`ShuffleReaderExec::with_locations`], once the map stage has run; the process that
/// runs the task gives it its [`ShuffleEnv`] when it decodes the plan.
#[derive(Debug, Clone)]
pub struct ShuffleReaderExec {
    job: JobId,
    stage: StageId,
    maps: usize,
    read: ShuffleRead,
    locations: Vec<Option<MapOutputLocation>>,
    env: Option<ShuffleEnv>,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

/// The metric of the bytes a reader read from its own executor's disk.
pub const LOCAL_BYTES_READ: &str = "local_bytes_read";
/// The metric of the bytes a reader fetched from other executors.
pub const REMOTE_BYTES_READ: &str = "remote_bytes_read";

/// What the shuffle readers of an executed plan read (Spark's shuffle read metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShuffleReadTotals {
    /// Rows read.
    pub records: u64,
    /// Bytes of blocks read from the executor's own disk.
    pub local_bytes: u64,
    /// Bytes of blocks fetched from other executors.
    pub remote_bytes: u64,
}

/// The sum of what every [`ShuffleReaderExec`] in `plan` read, once it ran.
pub fn shuffle_read(plan: &Arc<dyn ExecutionPlan>) -> ShuffleReadTotals {
    let mut totals = ShuffleReadTotals::default();
    if let Some(metrics) = plan.downcast_ref::<ShuffleReaderExec>().and_then(|reader| reader.metrics()) {
        let sum = |name: &str| metrics.sum_by_name(name).map_or(0, |m| m.as_usize() as u64);
        totals.records = metrics.output_rows().unwrap_or(0) as u64;
        totals.local_bytes = sum(LOCAL_BYTES_READ);
        totals.remote_bytes = sum(REMOTE_BYTES_READ);
    }
    for child in plan.children() {
        totals += shuffle_read(child);
    }
    totals
}

impl std::ops::AddAssign for ShuffleReadTotals {
    fn add_assign(&mut self, other: Self) {
        self.records += other.records;
        self.local_bytes += other.local_bytes;
        self.remote_bytes += other.remote_bytes;
    }
}

impl ShuffleReaderExec {
    /// A reader of map stage `stage` (which has `maps` tasks) producing rows of `schema`.
    pub fn new(schema: SchemaRef, job: JobId, stage: StageId, maps: usize, read: ShuffleRead) -> Self {
        let partitions = match read {
            ShuffleRead::Reduce { partitions } => partitions,
            ShuffleRead::PerMap => maps,
        };
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self { job, stage, maps, read, locations: vec![None; maps], env: None, properties, metrics: ExecutionPlanMetricsSet::new() }
    }

    /// The job this reader belongs to.
    pub fn job(&self) -> JobId {
        self.job
    }

    /// The map stage this reader reads.
    pub fn stage(&self) -> StageId {
        self.stage
    }

    /// The number of map tasks in the map stage.
    pub fn maps(&self) -> usize {
        self.maps
    }

    /// Which blocks each partition reads.
    pub fn read(&self) -> ShuffleRead {
        self.read
    }

    /// The known location of each map task's output, by map index.
    pub fn locations(&self) -> &[Option<MapOutputLocation>] {
        &self.locations
    }

    /// The same reader with map output locations (one per map task, by map index).
    pub fn with_locations(&self, locations: Vec<Option<MapOutputLocation>>) -> Self {
        Self { locations, ..self.clone() }
    }

    /// The same reader running in the process described by `env` (with metrics of its
    /// own: what it reads there).
    pub fn with_env(&self, env: ShuffleEnv) -> Self {
        Self { env: Some(env), metrics: ExecutionPlanMetricsSet::new(), ..self.clone() }
    }

    fn blocks(&self, partition: usize) -> Vec<ShuffleBlockId> {
        let (job, stage) = (self.job, self.stage);
        match self.read {
            ShuffleRead::Reduce { .. } => {
                (0..self.maps).map(|map| ShuffleBlockId { job, stage, map, reduce: partition }).collect()
            }
            ShuffleRead::PerMap => vec![ShuffleBlockId { job, stage, map: partition, reduce: 0 }],
        }
    }
}

impl DisplayAs for ShuffleReaderExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "ShuffleReaderExec: stage={}, maps={}, read={:?}", self.stage.0, self.maps, self.read)
    }
}

impl ExecutionPlan for ShuffleReaderExec {
    leaf_exec_methods!("ShuffleReaderExec");

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }

    fn execute(&self, partition: usize, _context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let env = self.env.clone().ok_or_else(|| {
            DataFusionError::Internal(format!(
                "the shuffle reader of stage {} runs without a shuffle environment: decode task plans with decode_plan",
                self.stage.0
            ))
        })?;
        let mut sources = Vec::new();
        for block in self.blocks(partition) {
            let location = self
                .locations
                .get(block.map)
                .cloned()
                .flatten()
                .ok_or_else(|| DataFusionError::External(Box::new(ShuffleError::Unresolved { block })))?;
            sources.push((block, location));
        }
        let bytes = BlockBytes {
            local: MetricBuilder::new(&self.metrics).counter(LOCAL_BYTES_READ, partition),
            remote: MetricBuilder::new(&self.metrics).counter(REMOTE_BYTES_READ, partition),
        };
        let records = MetricBuilder::new(&self.metrics).output_rows(partition);
        // One block open at a time: the next opens when the previous one ends.
        let stream = futures::stream::iter(sources)
            .flat_map(move |(block, location)| env.open_counted(block, &location, &bytes))
            .inspect(move |batch| {
                if let Ok(batch) = batch {
                    records.add(batch.num_rows());
                }
            });
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema(), stream)))
    }
}
