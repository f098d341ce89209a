//! Spark's `range(end)`, `range(start, end[, step])`: one BIGINT column named `id`
//! (DataFusion's own `range` names it `value`).

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider, view::ViewTable};
use datafusion::common::Result;
use datafusion::datasource::provider_as_source;
use datafusion::functions_table::range;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::prelude::col;

/// The `range` table function with Spark's column name.
#[derive(Debug, Default)]
pub struct SparkRange;

impl TableFunctionImpl for SparkRange {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let values = range().create_table_provider_with_args(args)?;
        let plan = LogicalPlanBuilder::scan("range", provider_as_source(values), None)?
            .project([col("value").alias("id")])?
            .build()?;
        Ok(Arc::new(ViewTable::new(plan, None)))
    }
}
