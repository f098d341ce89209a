//! The lazy DataFrame API with Spark's names, over DataFusion's DataFrame.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, JoinType};
use datafusion::dataframe::DataFrame as DfDataFrame;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, SortExpr};
use datafusion::physical_plan::{ExecutionPlan, displayable};
use futures::StreamExt;
use futures::stream::BoxStream;
use datafusion::prelude::coalesce;

use crate::cache::CachedTable;
use crate::error::{FlintError, Result};
use crate::planner::run_scalar_subqueries;
use crate::progress::JobProgress;
use crate::session::FlintSession;
use crate::spark::show::show_string;
use crate::writer::DataFrameWriter;

/// A lazy, immutable plan over a session: nothing runs until an action
/// (`collect`, `count`, `show`, `write`).
#[derive(Clone, Debug)]
pub struct DataFrame {
    session: FlintSession,
    inner: DfDataFrame,
    /// The cache this DataFrame reads, when it was returned by `cache()`.
    cached: Option<Arc<CachedTable>>,
}

impl DataFrame {
    /// Wraps a DataFusion DataFrame of `session`.
    pub fn new(session: FlintSession, inner: DfDataFrame) -> Self {
        Self { session, inner, cached: None }
    }

    /// The DataFusion DataFrame underneath, for the layers that plan and run jobs.
    pub fn inner(&self) -> &DfDataFrame {
        &self.inner
    }

    /// The session this DataFrame belongs to.
    pub fn session(&self) -> &FlintSession {
        &self.session
    }

    fn wrap(&self, inner: std::result::Result<DfDataFrame, DataFusionError>) -> Result<Self> {
        Ok(Self::new(self.session.clone(), inner?))
    }

    /// The output schema.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(self.inner.schema().as_arrow().clone())
    }

    /// The output column names.
    pub fn columns(&self) -> Vec<String> {
        self.inner.schema().fields().iter().map(|f| f.name().clone()).collect()
    }

    /// Projects expressions, as `select`.
    pub fn select(&self, exprs: Vec<Expr>) -> Result<Self> {
        self.wrap(select_with_aggregates(self.inner.clone(), exprs))
    }

    /// Projects SQL expression strings, as `selectExpr`.
    pub fn select_expr(&self, exprs: &[&str]) -> Result<Self> {
        let parsed = exprs.iter().map(|e| self.inner.parse_sql_expr(e)).collect::<std::result::Result<Vec<_>, _>>()?;
        self.select(parsed)
    }

    /// Keeps rows where `predicate` is true, as `filter`.
    pub fn filter(&self, predicate: Expr) -> Result<Self> {
        self.wrap(self.inner.clone().filter(predicate))
    }

    /// Spark's alias of [`DataFrame::filter`].
    pub fn r#where(&self, predicate: Expr) -> Result<Self> {
        self.filter(predicate)
    }

    /// Adds or replaces a column, as `withColumn`.
    pub fn with_column(&self, name: &str, expr: Expr) -> Result<Self> {
        self.wrap(self.inner.clone().with_column(name, expr))
    }

    /// Renames a column, as `withColumnRenamed`; a missing column is a no-op, as in Spark.
    pub fn with_column_renamed(&self, old: &str, new: &str) -> Result<Self> {
        self.wrap(self.inner.clone().with_column_renamed(old, new))
    }

    /// Drops columns by name, as `drop`.
    pub fn drop(&self, columns: &[&str]) -> Result<Self> {
        self.wrap(self.inner.clone().drop_columns(columns))
    }

    /// Groups by expressions, as `groupBy`; finish with [`GroupedData::agg`].
    pub fn group_by(&self, keys: Vec<Expr>) -> GroupedData {
        GroupedData { df: self.clone(), keys }
    }

    /// Joins on a boolean expression, as `join(other, on=expr, how)`.
    pub fn join(&self, right: &DataFrame, on: Expr, how: &str) -> Result<Self> {
        let join_type = parse_join_type(how)?;
        let (_, right_plan) = right.inner.clone().into_parts();
        let (state, left_plan) = self.inner.clone().into_parts();
        let plan = LogicalPlanBuilder::from(left_plan).join_on(right_plan, join_type, [on])?.build()?;
        Ok(Self::new(self.session.clone(), DfDataFrame::new(state, plan)))
    }

    /// Joins on equal columns of the same name, as `join(other, on=["k"], how)`: the
    /// key columns appear once, first, as in Spark.
    pub fn join_using(&self, right: &DataFrame, keys: &[&str], how: &str) -> Result<Self> {
        const LEFT: &str = "__flint_left";
        const RIGHT: &str = "__flint_right";
        let join_type = parse_join_type(how)?;
        let (left_columns, right_columns) = (self.columns(), right.columns());
        let (_, right_plan) = right.inner.clone().into_parts();
        let (state, left_plan) = self.inner.clone().into_parts();
        let right_plan = LogicalPlanBuilder::from(right_plan).alias(RIGHT)?.build()?;
        let using = keys.iter().map(|k| Column::from_name(*k)).collect();
        let joined = LogicalPlanBuilder::from(left_plan).alias(LEFT)?.join_using(right_plan, join_type, using)?;
        let side = |qualifier: &str, name: &str| Expr::Column(Column::new(Some(qualifier), name));
        let mut projection: Vec<Expr> = keys
            .iter()
            .map(|key| {
                let expr = match join_type {
                    JoinType::Right | JoinType::RightSemi | JoinType::RightAnti => side(RIGHT, key),
                    JoinType::Full => coalesce(vec![side(LEFT, key), side(RIGHT, key)]),
                    _ => side(LEFT, key),
                };
                expr.alias(*key)
            })
            .collect();
        let is_key = |name: &String| keys.iter().any(|k| k == name);
        projection.extend(left_columns.iter().filter(|c| !is_key(c)).map(|c| side(LEFT, c).alias(c)));
        if !matches!(join_type, JoinType::LeftSemi | JoinType::LeftAnti) {
            projection.extend(right_columns.iter().filter(|c| !is_key(c)).map(|c| side(RIGHT, c).alias(c)));
        }
        let plan = joined.project(projection)?.build()?;
        Ok(Self::new(self.session.clone(), DfDataFrame::new(state, plan)))
    }

    /// Sorts rows, as `orderBy` / `sort`.
    pub fn order_by(&self, sort: Vec<SortExpr>) -> Result<Self> {
        self.wrap(self.inner.clone().sort(sort))
    }

    /// Keeps the first `n` rows, as `limit`.
    pub fn limit(&self, n: usize) -> Result<Self> {
        self.wrap(self.inner.clone().limit(0, Some(n)))
    }

    /// Removes duplicate rows, as `distinct`.
    pub fn distinct(&self) -> Result<Self> {
        self.wrap(self.inner.clone().distinct())
    }

    /// Appends rows by column position, keeping duplicates, as Spark's `union`.
    pub fn union(&self, other: &DataFrame) -> Result<Self> {
        self.wrap(self.inner.clone().union(other.inner.clone()))
    }

    /// Appends rows matching columns by name, as `unionByName`.
    pub fn union_by_name(&self, other: &DataFrame) -> Result<Self> {
        self.wrap(self.inner.clone().union_by_name(other.inner.clone()))
    }

    /// Marks this DataFrame to be kept once first computed, as `cache`: in the executors'
    /// block managers on a cluster, in memory otherwise. Lazy: the first action computes
    /// and stores it, later ones read it.
    /// The columns keep their qualifiers, so `t.x` still resolves.
    pub fn cache(&self) -> Result<Self> {
        let table = CachedTable::new(self.inner.logical_plan().clone(), self.session.job_runner());
        let scan = self.session.context().read_table(Arc::clone(&table) as _)?;
        let columns = (0..scan.schema().fields().len()).map(|i| {
            let (qualifier, field) = self.inner.schema().qualified_field(i);
            Expr::Column(Column::from(scan.schema().qualified_field(i))).alias_qualified(qualifier.cloned(), field.name())
        });
        let mut cached = self.wrap(scan.clone().select(columns.collect::<Vec<_>>()))?;
        cached.cached = Some(table);
        Ok(cached)
    }

    /// Spark's `persist`: Flint has one storage level, so this is [`DataFrame::cache`].
    pub fn persist(&self) -> Result<Self> {
        self.cache()
    }

    /// Drops the partitions `cache()` kept, as `unpersist`; a DataFrame that is not a
    /// cache is left as it is. Later actions compute it from its source again.
    pub async fn unpersist(&self) -> Result<()> {
        if let Some(table) = &self.cached {
            table.release().await?;
        }
        Ok(())
    }

    /// Registers this DataFrame as a temporary view, as `createOrReplaceTempView`.
    pub fn create_or_replace_temp_view(&self, name: &str) -> Result<()> {
        let ctx = self.session.context();
        ctx.deregister_table(name)?;
        ctx.register_table(name, self.inner.clone().into_view())?;
        Ok(())
    }

    /// The plans as text, as `explain`: the physical plan, and with `extended` the
    /// parsed and optimised logical plans before it.
    pub async fn explain(&self, extended: bool) -> Result<String> {
        let physical = self.inner.clone().create_physical_plan().await?;
        let physical = displayable(physical.as_ref()).indent(false).to_string();
        if !extended {
            return Ok(format!("== Physical Plan ==\n{physical}"));
        }
        let parsed = self.inner.logical_plan().display_indent().to_string();
        let optimized = self.inner.clone().into_optimized_plan()?.display_indent().to_string();
        Ok(format!(
            "== Parsed Logical Plan ==\n{parsed}\n\n== Optimized Logical Plan ==\n{optimized}\n\n== Physical Plan ==\n{physical}"
        ))
    }

    /// Runs the job and returns every row.
    pub async fn collect(&self) -> Result<Vec<RecordBatch>> {
        self.collect_with_progress(&Arc::new(JobProgress::default())).await
    }

    /// Runs the job, recording finished partitions and rows in `progress` as it goes.
    pub async fn collect_with_progress(&self, progress: &Arc<JobProgress>) -> Result<Vec<RecordBatch>> {
        let plan = self.inner.clone().create_physical_plan().await?;
        self.run_plan_with_progress(plan, progress).await
    }

    /// Runs `plan`, a physical plan made from this DataFrame (such as its write), as a
    /// job on the session's job runner, and returns every row it returns.
    pub async fn run_plan(&self, plan: Arc<dyn ExecutionPlan>) -> Result<Vec<RecordBatch>> {
        self.run_plan_with_progress(plan, &Arc::new(JobProgress::default())).await
    }

    async fn run_plan_with_progress(&self, plan: Arc<dyn ExecutionPlan>, progress: &Arc<JobProgress>) -> Result<Vec<RecordBatch>> {
        let plan = self.with_subqueries_run(plan, progress).await?;
        self.session.runner().run_job(plan, Arc::clone(progress)).await.map_err(|e| explain_error(&self.session, e))
    }

    /// Runs the job and streams its rows as they come, in partition order: the caller
    /// holds only what it keeps (Spark Connect results, `toLocalIterator`). Dropping the
    /// stream cancels what of the job still runs.
    pub async fn execute_stream(&self) -> Result<RecordBatches> {
        let runner = self.session.runner();
        let progress = Arc::new(JobProgress::default());
        let plan = self.physical_plan(&progress).await?;
        let stream = runner.execute_stream(plan, progress).await.map_err(|e| explain_error(&self.session, e))?;
        let session = self.session.clone();
        Ok(Box::pin(stream.map(move |batch| batch.map_err(|e| explain_error(&session, e)))))
    }

    /// The physical plan of an action, with its scalar subqueries run first.
    async fn physical_plan(&self, progress: &Arc<JobProgress>) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = self.inner.clone().create_physical_plan().await?;
        self.with_subqueries_run(plan, progress).await
    }

    /// `plan` with its scalar subqueries run and replaced by their values.
    async fn with_subqueries_run(&self, plan: Arc<dyn ExecutionPlan>, progress: &Arc<JobProgress>) -> Result<Arc<dyn ExecutionPlan>> {
        run_scalar_subqueries(plan, self.session.runner().as_ref(), progress)
            .await
            .map_err(|e| explain_error(&self.session, e))
    }

    /// Counts the rows, as `count`; a job like any other action, so it runs on the
    /// session's job runner when there is one.
    pub async fn count(&self) -> Result<usize> {
        let count_all = datafusion::functions_aggregate::count::count_all();
        let counted = self.wrap(self.inner.clone().aggregate(vec![], vec![count_all]))?.collect().await?;
        let count = counted
            .iter()
            .find(|batch| batch.num_rows() > 0)
            .and_then(|batch| batch.column(0).as_any().downcast_ref::<arrow::array::Int64Array>().map(|c| c.value(0)));
        count.map(|n| n as usize).ok_or_else(|| DataFusionError::Internal("count returned no row".to_string()).into())
    }

    /// The first `num_rows` rows as Spark's `show()` prints them, cells cut to
    /// `truncate` characters (0: no cut).
    pub async fn show_string(&self, num_rows: usize, truncate: usize) -> Result<String> {
        self.show_string_with_progress(num_rows, truncate, &Arc::new(JobProgress::default())).await
    }

    /// [`DataFrame::show_string`], recording progress.
    pub async fn show_string_with_progress(
        &self,
        num_rows: usize,
        truncate: usize,
        progress: &Arc<JobProgress>,
    ) -> Result<String> {
        let batches = self.limit(num_rows.saturating_add(1))?.collect_with_progress(progress).await?;
        let batches = crate::spark::show::in_time_zone(&batches, self.session.conf().time_zone()).map_err(DataFusionError::from)?;
        Ok(show_string(&self.schema(), &batches, num_rows, truncate))
    }

    /// Writes this DataFrame out, as `write`.
    pub fn write(&self) -> DataFrameWriter {
        DataFrameWriter::new(self.clone())
    }
}

/// A job's rows as they come, in partition order ([`DataFrame::execute_stream`]).
pub type RecordBatches = BoxStream<'static, Result<RecordBatch>>;

/// Adds what to do to errors the user can act on.
fn explain_error(session: &FlintSession, error: DataFusionError) -> FlintError {
    let root = error.find_root();
    if let Some(spark) = crate::planner::subqueries::spark_error(root) {
        return spark.into();
    }
    match root {
        DataFusionError::ResourcesExhausted(_) => {
            let key = crate::config::DRIVER_MEMORY;
            let value = session.conf().get_or_default(&key).unwrap_or_default().to_string();
            FlintError::OutOfMemory { key: key.name, value, source: error }
        }
        _ => error.into(),
    }
}

/// Aggregation of a grouped DataFrame, as Spark's `GroupedData`.
#[derive(Debug, Clone)]
pub struct GroupedData {
    df: DataFrame,
    keys: Vec<Expr>,
}

impl GroupedData {
    /// Computes aggregates per group, as `agg`; the keys come first in the output.
    pub fn agg(self, aggregates: Vec<Expr>) -> Result<DataFrame> {
        self.df.wrap(self.df.inner.clone().aggregate(self.keys, aggregates))
    }

    /// Counts rows per group into a column named `count`, as `count`.
    pub fn count(self) -> Result<DataFrame> {
        let count = datafusion::functions_aggregate::expr_fn::count(datafusion::prelude::lit(1)).alias("count");
        self.agg(vec![count])
    }
}

/// `df.select(exprs)` as Spark reads it: a select whose expressions hold aggregate
/// functions (outside windows) aggregates the whole DataFrame into one row, as
/// `df.agg(...)` does (`df.select(sum("x"))`, `selectExpr("count(*)")`).
pub fn select_with_aggregates(df: DfDataFrame, exprs: Vec<Expr>) -> std::result::Result<DfDataFrame, DataFusionError> {
    let aggregates = datafusion::logical_expr::utils::find_aggregate_exprs(&exprs);
    if aggregates.is_empty() {
        return df.select(exprs);
    }
    let aggregated = df.aggregate(vec![], aggregates.clone())?;
    let over_aggregates = exprs
        .into_iter()
        .map(|expr| {
            expr.transform_up(|e| {
                Ok(if aggregates.contains(&e) {
                    Transformed::yes(Expr::Column(Column::from_name(e.schema_name().to_string())))
                } else {
                    Transformed::no(e)
                })
            })
            .map(|t| t.data)
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    aggregated.select(over_aggregates)
}

/// Spark's join type names (`inner`, `left_outer`, `leftsemi`, …) as DataFusion join types.
pub fn parse_join_type(how: &str) -> Result<JoinType> {
    let normalized = how.to_ascii_lowercase().replace('_', "");
    Ok(match normalized.as_str() {
        "inner" | "cross" => JoinType::Inner,
        "outer" | "full" | "fullouter" => JoinType::Full,
        "left" | "leftouter" => JoinType::Left,
        "right" | "rightouter" => JoinType::Right,
        "semi" | "leftsemi" => JoinType::LeftSemi,
        "anti" | "leftanti" => JoinType::LeftAnti,
        _ => {
            return Err(DataFusionError::Plan(format!(
                "unsupported join type '{how}': use one of inner, cross, outer, full, fullouter, full_outer, \
                 left, leftouter, left_outer, right, rightouter, right_outer, semi, leftsemi, left_semi, \
                 anti, leftanti, left_anti"
            ))
            .into());
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_types_use_spark_names() {
        assert!(matches!(parse_join_type("left_outer"), Ok(JoinType::Left)));
        assert!(matches!(parse_join_type("LeftAnti"), Ok(JoinType::LeftAnti)));
        assert!(matches!(parse_join_type("fullouter"), Ok(JoinType::Full)));
        let error = parse_join_type("sideways").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("unsupported join type 'sideways'"), "{error}");
    }
}
