//! Relations that run Python functions over whole partitions or groups: `mapInPandas`
//! and `mapInArrow` (MapPartitions), `groupBy().applyInPandas`/`applyInArrow` (GroupMap),
//! `cogroup().applyInPandas` (CoGroupMap).

use datafusion::common::Column;
use datafusion::logical_expr::Expr;
use flint_engine::DataFrame;
use flint_engine::python::{PythonCoGroupNode, PythonMapNode};
use spark_connect_proto::{CoGroupMap, Expression, GroupMap, MapPartitions};

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
    let keys = key_columns(planner, &input, &group.grouping_expressions)?;
    let (state, plan) = input.inner().clone().into_parts();
    let function = python_function(&state, udf)?;
    let node = PythonMapNode::try_new(plan, function, keys)?;
    Ok(planner.wrap(datafusion::dataframe::DataFrame::new(state, node.into_plan())))
}

/// `groupBy(...).cogroup(other.groupBy(...)).applyInPandas`: the function over each key's
/// rows of both sides.
pub async fn cogroup_map(planner: &RelationPlanner, cogroup: &CoGroupMap) -> Result<DataFrame> {
    let left = planner.input(cogroup.input.as_deref(), "cogroup").await?;
    let right = planner.input(cogroup.other.as_deref(), "cogroup").await?;
    let udf = cogroup.func.as_ref().ok_or_else(|| ConnectError::InvalidPlan { reason: "CoGroupMap without a function".into() })?;
    let left_keys = key_columns(planner, &left, &cogroup.input_grouping_expressions)?;
    let right_keys = key_columns(planner, &right, &cogroup.other_grouping_expressions)?;
    let (state, left_plan) = left.inner().clone().into_parts();
    let (_, right_plan) = right.inner().clone().into_parts();
    let function = python_function(&state, udf)?;
    let node = PythonCoGroupNode::try_new(left_plan, right_plan, function, left_keys, right_keys)?;
    Ok(planner.wrap(datafusion::dataframe::DataFrame::new(state, node.into_plan())))
}

/// Grouping expressions that must be columns of `input`.
fn key_columns(planner: &RelationPlanner, input: &DataFrame, exprs: &[Expression]) -> Result<Vec<Column>> {
    planner.with_exprs(input, |c| {
        exprs
            .iter()
            .map(|e| match c.expr(e)? {
                Expr::Column(column) => Ok(column),
                other => Err(ConnectError::Unsupported {
                    what: format!("grouping a Python grouped map by the expression {other}; add it as a column with withColumn first"),
                }),
            })
            .collect()
    })
}
