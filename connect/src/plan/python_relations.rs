//! Relations that run Python functions over whole partitions or groups: `mapInPandas`
//! and `mapInArrow` (MapPartitions), `groupBy().applyInPandas`/`applyInArrow` (GroupMap).

use datafusion::logical_expr::Expr;
use flint_engine::DataFrame;
use flint_engine::python::PythonMapNode;
use spark_connect_proto::{GroupMap, MapPartitions};

use crate::errors::{ConnectError, Result};
use crate::plan::python_udf::python_function;
use crate::plan::relations::RelationPlanner;

/// `mapInPandas` / `mapInArrow`: the function over each partition's batches.
pub async fn map_partitions(planner: &RelationPlanner, map: &MapPartitions) -> Result<DataFrame> {
    let input = planner.input(map.input.as_deref(), "mapInPandas").await?;
    let udf = map.func.as_ref().ok_or_else(|| ConnectError::InvalidPlan { reason: "MapPartitions without a function".into() })?;
    if map.is_barrier == Some(true) {
        return Err(ConnectError::Unsupported { what: "barrier execution mode (mapInPandas(barrier=True))".into() });
    }
    let (state, plan) = input.inner().clone().into_parts();
    let function = python_function(&state, udf)?;
    let node = PythonMapNode::try_new(plan, function, Vec::new())?;
    Ok(planner.wrap(datafusion::dataframe::DataFrame::new(state, node.into_plan())))
}

/// `groupBy(...).applyInPandas` / `applyInArrow`: the function over each group.
pub async fn group_map(planner: &RelationPlanner, group: &GroupMap) -> Result<DataFrame> {
    let input = planner.input(group.input.as_deref(), "applyInPandas").await?;
    let udf = group.func.as_ref().ok_or_else(|| ConnectError::InvalidPlan { reason: "GroupMap without a function".into() })?;
    if group.is_map_groups_with_state == Some(true) || group.transform_with_state_info.is_some() {
        return Err(ConnectError::Unsupported { what: "stateful grouped maps (applyInPandasWithState, transformWithState)".into() });
    }
    let keys = planner.with_exprs(&input, |c| {
        group
            .grouping_expressions
            .iter()
            .map(|e| match c.expr(e)? {
                Expr::Column(column) => Ok(column),
                other => Err(ConnectError::Unsupported {
                    what: format!("grouping a Python grouped map by the expression {other}; add it as a column with withColumn first"),
                }),
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let (state, plan) = input.inner().clone().into_parts();
    let function = python_function(&state, udf)?;
    let node = PythonMapNode::try_new(plan, function, keys)?;
    Ok(planner.wrap(datafusion::dataframe::DataFrame::new(state, node.into_plan())))
}
