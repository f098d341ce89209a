//! Spark's `range(end)`, `range(start, end[, step])`: one BIGINT column named `id`
//! (DataFusion's own `range` names it `value`).

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider, view::ViewTable};
use datafusion::common::Result;
use datafusion::datasource::provider_as_source;
use datafusion::functions_table::range;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::col;

/// The `range` table function with Spark's column name.
#[derive(Debug, Default)]
pub struct SparkRange;

impl TableFunctionImpl for SparkRange {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let values = Arc::new(WholeScan(range().create_table_provider_with_args(args)?));
        let plan = LogicalPlanBuilder::scan("range", provider_as_source(values), None)?
            .project([col("value").alias("id")])?
            .build()?;
        Ok(Arc::new(ViewTable::new(plan, None)))
    }
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
