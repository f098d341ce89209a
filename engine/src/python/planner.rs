//! Physical planning of Python nodes: [`FlintQueryPlanner`] is DataFusion's planner with
//! [`PythonPlanner`], which turns a [`PythonMapNode`] into a [`PythonMapExec`].

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::QueryPlanner;
use datafusion::catalog::Session;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{LogicalPlan, UserDefinedLogicalNode};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};

use crate::python::cogroup::{PythonCoGroupExec, PythonCoGroupNode};
use crate::python::map_exec::PythonMapExec;
use crate::python::map_node::PythonMapNode;

/// DataFusion's physical planner plus Flint's extension nodes.
#[derive(Debug, Default)]
pub struct FlintQueryPlanner;

#[async_trait]
impl QueryPlanner for FlintQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(PythonPlanner)])
            .create_physical_plan(logical_plan, session)
            .await
    }
}

/// Plans [`PythonMapNode`]s and [`PythonCoGroupNode`]s.
#[derive(Debug, Default)]
pub struct PythonPlanner;

#[async_trait]
impl ExtensionPlanner for PythonPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn Session,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        if let Some(cogroup) = node.as_any().downcast_ref::<PythonCoGroupNode>() {
            let ([left_plan, right_plan], [left, right]) = (logical_inputs, physical_inputs) else {
                return Err(DataFusionError::Internal("PythonCoGroup without its two inputs".into()));
            };
            let indices = |plan: &LogicalPlan, keys: &[datafusion::common::Column]| {
                keys.iter().map(|k| plan.schema().index_of_column(k)).collect::<Result<Vec<_>>>()
            };
            let exec = PythonCoGroupExec::try_new(
                left.clone(),
                right.clone(),
                cogroup.function.clone(),
                indices(left_plan, &cogroup.left_keys)?,
                indices(right_plan, &cogroup.right_keys)?,
            )?;
            return Ok(Some(Arc::new(exec)));
        }
        let Some(map) = node.as_any().downcast_ref::<PythonMapNode>() else { return Ok(None) };
        let (Some(logical), Some(input)) = (logical_inputs.first(), physical_inputs.first()) else {
            return Err(DataFusionError::Internal("PythonMap without an input".into()));
        };
        let keys = map
            .keys
            .iter()
            .map(|key| logical.schema().index_of_column(key))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Arc::new(PythonMapExec::try_new(input.clone(), map.function.clone(), keys)?)))
    }
}
