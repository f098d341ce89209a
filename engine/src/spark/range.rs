//! Spark's `range(end)`, `range(start, end[, step[, numPartitions]])`: one BIGINT column
//! named `id` (DataFusion's own `range` names it `value`).

use std::sync::Arc;

use arrow::datatypes::{DataType, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider, view::ViewTable};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::datasource::provider_as_source;
use datafusion::functions_table::range;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, TableType, lit};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::col;

/// The `range` table function with Spark's column name, and Spark's fourth argument
/// `numPartitions`: the rows split into that many partitions as Spark splits them.
#[derive(Debug, Default)]
pub struct SparkRange;

impl TableFunctionImpl for SparkRange {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let plan = match args.exprs() {
            [start, end, step, partitions] => {
                let [start, end, step, partitions] = [start, end, step, partitions].map(integer_argument);
                let step = step?;
                let mut parts = partition_bounds(start?, end?, step, partitions?)?
                    .into_iter()
                    .map(|(start, end)| range_scan(&[lit(start), lit(end), lit(step)], args.session()));
                let Some(first) = parts.next() else {
                    return plan_err!("range takes at least one partition");
                };
                parts.try_fold(LogicalPlanBuilder::from(first?), |union, part| union.union(part?))?.build()?
            }
            exprs => range_scan(exprs, args.session())?,
        };
        Ok(Arc::new(ViewTable::new(plan, None)))
    }
}

/// The scan of DataFusion's `range(exprs)`, its column named `id`.
fn range_scan(exprs: &[Expr], session: &dyn Session) -> Result<LogicalPlan> {
    let values = Arc::new(WholeScan(range().create_table_provider_with_args(TableFunctionArgs::new(exprs, session))?));
    LogicalPlanBuilder::scan("range", provider_as_source(values), None)?.project([col("value").alias("id")])?.build()
}

/// The literal integer argument of `range`.
fn integer_argument(expr: &Expr) -> Result<i64> {
    match expr {
        Expr::Literal(value, _) if value.data_type().is_integer() => match value.cast_to(&DataType::Int64)? {
            ScalarValue::Int64(Some(value)) => Ok(value),
            _ => plan_err!("range takes integer literals, not NULL"),
        },
        other => plan_err!("range takes integer literals, not {other}"),
    }
}

/// The `[start, end)` bounds of each of `partitions` partitions of `range(start, end,
/// step)`, as Spark's `RangeExec` splits its elements: partition i starts at element
/// `i * n / partitions`.
pub fn partition_bounds(start: i64, end: i64, step: i64, partitions: i64) -> Result<Vec<(i64, i64)>> {
    if step == 0 {
        return plan_err!("range step (0) cannot be 0");
    }
    if partitions <= 0 {
        return plan_err!("range takes a positive number of partitions, not {partitions}");
    }
    let (start, end, step, slices) = (i128::from(start), i128::from(end), i128::from(step), i128::from(partitions));
    let elements = if (step > 0 && start >= end) || (step < 0 && start <= end) {
        0
    } else {
        let span = end - start;
        span / step + i128::from(span % step != 0)
    };
    let clamp = |value: i128| i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX });
    let bound = |i: i128| clamp(i * elements / slices * step + start);
    Ok((0..slices).map(|i| (bound(i), bound(i + 1))).collect())
}

/// DataFusion's range table, always scanned whole with the projection applied above:
/// scanned with a projection (`count(*)` asks for no column) it makes a `LazyMemoryExec`
/// that datafusion-proto encodes with the projected schema but without the projection,
/// so on executors its batches no longer matched its schema (`spark.range(n).count()`
/// failed on local-cluster).
#[derive(Debug)]
struct WholeScan(Arc<dyn TableProvider>);

#[async_trait]
impl TableProvider for WholeScan {
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }

    fn table_type(&self) -> TableType {
        self.0.table_type()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        crate::cache::project(self.0.scan(state, None, filters, limit).await?, projection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_split_the_elements_as_spark_does() {
        // spark.range(0, 10, 1, 4): partitions of 2, 3, 2 and 3 rows.
        assert_eq!(partition_bounds(0, 10, 1, 4).unwrap(), vec![(0, 2), (2, 5), (5, 7), (7, 10)]);
        assert_eq!(partition_bounds(10, 0, -3, 2).unwrap(), vec![(10, 4), (4, -2)]);
        assert_eq!(partition_bounds(5, 5, 1, 2).unwrap(), vec![(5, 5), (5, 5)]);
        assert!(partition_bounds(0, 10, 1, 0).is_err());
    }
}
