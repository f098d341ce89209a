//! Uncorrelated scalar subqueries on a cluster. As Spark's `SubqueryExec` does, each runs
//! as its own job before the query that uses it; its single value is then a constant of
//! that query, and travels to executors as a literal (see [`crate::proto::encode_plan`]).
//!
//! DataFusion plans such a subquery as a `ScalarSubqueryExec` whose first child is the
//! query and whose other children are the subquery plans; `ScalarSubqueryExpr`s in the
//! query read the values from a container the exec fills when it first runs. A stage
//! shipped to an executor cannot carry that exec, so [`run_scalar_subqueries`] fills the
//! container through the job runner and removes the exec.

use super::cached_relation::CachedRelationExec;
use crate::job_runner::JobRunner;
use crate::progress::JobProgress;
use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Schema};
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::TreeNode;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::ColumnarValue;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::scalar_subquery::ScalarSubqueryExpr;
use datafusion::physical_plan::{ChildrenPropertiesMode, ExecutionPlan, ReplaceChildrenOptions};
use datafusion::physical_plan::scalar_subquery::ScalarSubqueryExec;
use futures::future::BoxFuture;
use std::sync::Arc;

/// Spark's error when a subquery used as a value returns more than one row.
pub const TOO_MANY_ROWS: &str =
    "[SCALAR_SUBQUERY_TOO_MANY_ROWS] More than one row returned by a subquery used as an expression.";

/// DataFusion's error when a scalar subquery run by its own `ScalarSubqueryExec` (in this
/// process, without a job runner) returns more than one row.
const DATAFUSION_TOO_MANY_ROWS: &str = "Scalar subquery returned more than one row";

/// Spark's error in place of DataFusion's for a scalar subquery returning more than one
/// row, so every master reports it alike; `None` for other errors.
pub fn spark_error(error: &DataFusionError) -> Option<DataFusionError> {
    match error {
        DataFusionError::Execution(message) if message == DATAFUSION_TOO_MANY_ROWS => {
            Some(DataFusionError::Execution(TOO_MANY_ROWS.to_string()))
        }
        _ => None,
    }
}

/// Runs every scalar subquery of `plan` as a job on `runner` (a subquery's own subqueries
/// first), stores each value where the query's expressions read it, and returns `plan`
/// without its `ScalarSubqueryExec` nodes, also in the lineage of cached relations it
/// reads. Subqueries run one after another; one that has run keeps its value.
pub fn run_scalar_subqueries<'a>(
    plan: Arc<dyn ExecutionPlan>,
    runner: &'a dyn JobRunner,
    progress: &'a Arc<JobProgress>,
) -> BoxFuture<'a, Result<Arc<dyn ExecutionPlan>>> {
    Box::pin(async move {
        if let Some(exec) = plan.downcast_ref::<ScalarSubqueryExec>() {
            for link in exec.subqueries() {
                if exec.results().get(link.index).is_some() {
                    continue;
                }
                let subquery = run_scalar_subqueries(Arc::clone(&link.plan), runner, progress).await?;
                let data_type = single_column_type(&subquery.schema())?;
                let batches = runner.run_job(subquery, Arc::clone(progress)).await?;
                exec.results().set(link.index, single_value(&batches, &data_type)?)?;
            }
            return run_scalar_subqueries(Arc::clone(exec.input()), runner, progress).await;
        }
        if !has_scalar_subqueries(&plan)? {
            return Ok(plan);
        }
        if let Some(cached) = plan.downcast_ref::<CachedRelationExec>() {
            let lineage = run_scalar_subqueries(Arc::clone(cached.lineage()), runner, progress).await?;
            return Ok(Arc::new(CachedRelationExec::new(cached.cache(), lineage)));
        }
        let mut children = Vec::new();
        for child in plan.children() {
            children.push(run_scalar_subqueries(Arc::clone(child), runner, progress).await?);
        }
        plan.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    })
}

/// Whether `plan`, or the lineage of a cached relation it reads, has scalar subqueries
/// to run.
fn has_scalar_subqueries(plan: &Arc<dyn ExecutionPlan>) -> Result<bool> {
    plan.exists(|node| {
        Ok(node.is::<ScalarSubqueryExec>()
            || match node.downcast_ref::<CachedRelationExec>() {
                Some(cached) => has_scalar_subqueries(cached.lineage())?,
                None => false,
            })
    })
}

/// The value a scalar subquery expression stands for once its subquery has run; `None`
/// for any other expression. A subquery that has not run is an internal error.
pub fn subquery_value(expr: &Arc<dyn PhysicalExpr>) -> Result<Option<ScalarValue>> {
    if !expr.is::<ScalarSubqueryExpr>() {
        return Ok(None);
    }
    let no_rows = RecordBatch::new_empty(Arc::new(Schema::empty()));
    match expr.evaluate(&no_rows)? {
        ColumnarValue::Scalar(value) => Ok(Some(value)),
        ColumnarValue::Array(_) => Err(DataFusionError::Internal("a scalar subquery gave an array".to_string())),
    }
}

/// The value of a scalar subquery from the rows its job returned: NULL of `data_type`
/// for no rows, the only row's value, or Spark's error for more than one row.
pub fn single_value(batches: &[RecordBatch], data_type: &DataType) -> Result<ScalarValue> {
    let mut rows = batches.iter().flat_map(|batch| (0..batch.num_rows()).map(move |row| (batch, row)));
    let value = match rows.next() {
        None => return ScalarValue::try_from(data_type),
        Some((batch, row)) => ScalarValue::try_from_array(batch.column(0), row)?,
    };
    if rows.next().is_some() {
        return Err(DataFusionError::Execution(TOO_MANY_ROWS.to_string()));
    }
    if value.data_type() == *data_type { Ok(value) } else { value.cast_to(data_type) }
}

/// The type of a subquery's only column.
fn single_column_type(schema: &Schema) -> Result<DataType> {
    match schema.fields().iter().collect::<Vec<_>>().as_slice() {
        [field] => Ok(field.data_type().clone()),
        fields => Err(DataFusionError::Plan(format!(
            "a scalar subquery must return one column, this one returns {}",
            fields.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::FlintSession;
    use crate::config::SparkConf;
    use crate::planner::in_process::InProcessRunner;
    use arrow::array::{Int64Array, StringArray};
    use arrow::util::pretty::pretty_format_batches;

    fn batch(values: &[i64]) -> RecordBatch {
        RecordBatch::try_from_iter([("v", Arc::new(Int64Array::from(values.to_vec())) as _)]).unwrap()
    }

    #[test]
    fn no_rows_is_a_typed_null_one_row_its_value_and_more_an_error() {
        assert_eq!(single_value(&[], &DataType::Int64).unwrap(), ScalarValue::Int64(None));
        assert_eq!(single_value(&[batch(&[]), batch(&[7])], &DataType::Int64).unwrap(), ScalarValue::Int64(Some(7)));
        assert_eq!(single_value(&[batch(&[7])], &DataType::Float64).unwrap(), ScalarValue::Float64(Some(7.0)));
        let error = single_value(&[batch(&[7]), batch(&[8])], &DataType::Int64).unwrap_err().to_string();
        assert!(error.contains(TOO_MANY_ROWS), "{error}");
        let strings = RecordBatch::try_from_iter([("s", Arc::new(StringArray::from(vec!["a", "b"])) as _)]).unwrap();
        assert!(single_value(&[strings], &DataType::Utf8).is_err());
    }

    async fn run(sql: &str) -> (Result<String>, u64) {
        let mut conf = SparkConf::new();
        conf.set("spark.master", "local[2]");
        let session = FlintSession::new(conf).unwrap();
        let ctx = session.context();
        ctx.sql("create table t (k int, v int) as values (1, 10), (2, 20), (3, 30), (4, 40)").await.unwrap();
        let runner = InProcessRunner::new(ctx.task_ctx());
        let plan = ctx.sql(sql).await.unwrap().create_physical_plan().await.unwrap();
        let progress = Arc::new(JobProgress::default());
        let result = async {
            let plan = run_scalar_subqueries(plan, &runner, &progress).await?;
            assert!(!plan.exists(|n| Ok(n.is::<ScalarSubqueryExec>())).unwrap());
            let batches = runner.run_job(plan, Arc::clone(&progress)).await?;
            Ok(pretty_format_batches(&batches)?.to_string())
        }
        .await;
        (result, runner.jobs())
    }

    #[tokio::test]
    async fn nested_subqueries_run_first_and_their_values_ship_as_literals() {
        let sql = "select k from t where v > (select avg(v) from t where v < (select max(v) from t)) order by k";
        let (table, jobs) = run(sql).await;
        let table = table.unwrap();
        assert_eq!(table.lines().filter(|l| l.starts_with("| ")).count(), 3, "{table}");
        assert!(table.contains("| 3 |") && table.contains("| 4 |") && !table.contains("| 2 |"), "{table}");
        assert_eq!(jobs, 3, "the inner subquery, the outer subquery, then the query");
    }

    #[tokio::test]
    async fn an_empty_subquery_is_null_and_a_multi_row_one_fails_as_in_spark() {
        let (table, _) = run("select k, (select v from t where v > 100) as none from t where k = 1").await;
        assert!(table.unwrap().contains("| 1 |      |"));
        let (error, _) = run("select k from t where v = (select v from t)").await;
        assert!(error.unwrap_err().to_string().contains(TOO_MANY_ROWS));
    }
}
