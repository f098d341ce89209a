//! `ShuffleReaderExec`: a leaf of a consuming stage that reads a map stage's blocks.

use super::ShuffleError;
use super::fetch::ShuffleEnv;
use crate::ids::{ExecutorId, JobId, ShuffleBlockId, StageId};
use arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
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
        Self { job, stage, maps, read, locations: vec![None; maps], env: None, properties }
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

    /// The same reader running in the process described by `env`.
    pub fn with_env(&self, env: ShuffleEnv) -> Self {
        Self { env: Some(env), ..self.clone() }
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
        // One block open at a time: the next opens when the previous one ends.
        let stream = futures::stream::iter(sources).flat_map(move |(block, location)| env.open_block(block, &location));
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema(), stream)))
    }
}
