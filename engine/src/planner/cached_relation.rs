//! `CachedRelationExec`: the leaf a query plan has where it reads a cached relation on a
//! cluster. [`super::split_into_stages`] turns it into a reader of the cache's map stage
//! and adds that stage, computed from the relation's lineage.

use crate::ids::CacheId;
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use std::sync::Arc;

/// Reads cache `cache`, whose partitions are those of `lineage`. The lineage is not a
/// child: the query's optimiser must not rewrite it, so every job computes a cache
/// partition the same way.
#[derive(Debug)]
pub struct CachedRelationExec {
    cache: CacheId,
    lineage: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
}

impl CachedRelationExec {
    /// A reader of `cache`, computed by `lineage` when partitions are missing.
    pub fn new(cache: CacheId, lineage: Arc<dyn ExecutionPlan>) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(lineage.schema()),
            Partitioning::UnknownPartitioning(lineage.output_partitioning().partition_count()),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self { cache, lineage, properties }
    }

    /// The cache read.
    pub fn cache(&self) -> CacheId {
        self.cache
    }

    /// The plan that computes the cache's partitions.
    pub fn lineage(&self) -> &Arc<dyn ExecutionPlan> {
        &self.lineage
    }
}

impl DisplayAs for CachedRelationExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "CachedRelationExec: {}, partitions={}", self.cache, self.properties.partitioning.partition_count())
    }
}

impl ExecutionPlan for CachedRelationExec {
    leaf_exec_methods!("CachedRelationExec");

    /// Outside the cluster scheduler (a write running in the driver), computes the
    /// partition from lineage.
    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        self.lineage.execute(partition, context)
    }
}
