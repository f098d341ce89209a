//! `OnceStreamExec`: a leaf that hands out a stream its caller already opened, once, so
//! an operator built at run time can read it.

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties, SendableRecordBatchStream,
};
use parking_lot::Mutex;
use std::sync::Arc;

/// One partition whose rows come from a stream given at construction; executing it a
/// second time is an internal error.
pub struct OnceStreamExec {
    stream: Mutex<Option<SendableRecordBatchStream>>,
    properties: Arc<PlanProperties>,
}

impl OnceStreamExec {
    /// A leaf reading `stream` (whose rows have `schema`).
    pub fn new(schema: SchemaRef, stream: SendableRecordBatchStream) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self { stream: Mutex::new(Some(stream)), properties }
    }
}

impl std::fmt::Debug for OnceStreamExec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnceStreamExec").finish_non_exhaustive()
    }
}

impl DisplayAs for OnceStreamExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "OnceStreamExec")
    }
}

impl ExecutionPlan for OnceStreamExec {
    leaf_exec_methods!("OnceStreamExec");

    fn execute(&self, partition: usize, _context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        match (partition, self.stream.lock().take()) {
            (0, Some(stream)) => Ok(stream),
            _ => Err(DataFusionError::Internal(format!(
                "OnceStreamExec has one partition, readable once; partition {partition} was asked for again"
            ))),
        }
    }
}
