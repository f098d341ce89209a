//! Lazily cached DataFrames: computed by the first action that reads them, then kept in memory.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, LogicalPlan, TableType};
use datafusion::physical_plan::{ExecutionPlan, collect_partitioned};
use tokio::sync::OnceCell;

/// A table holding the result of `plan` once it has first been scanned.
#[derive(Debug)]
pub struct CachedTable {
    plan: LogicalPlan,
    schema: SchemaRef,
    partitions: OnceCell<Arc<MemTable>>,
}

impl CachedTable {
    /// A cache of `plan`, empty until the first scan.
    pub fn new(plan: LogicalPlan) -> Self {
        let schema = Arc::new(plan.schema().as_arrow().clone());
        Self { plan, schema, partitions: OnceCell::new() }
    }

    /// Whether the data has been computed and is held in memory.
    pub fn is_materialized(&self) -> bool {
        self.partitions.initialized()
    }

    async fn materialize(&self, state: &dyn Session) -> Result<&Arc<MemTable>> {
        self.partitions
            .get_or_try_init(|| async {
                let physical = state.create_physical_plan(&self.plan).await?;
                let partitions = collect_partitioned(physical, state.task_ctx()).await?;
                Ok(Arc::new(MemTable::try_new(Arc::clone(&self.schema), partitions)?))
            })
            .await
    }
}

#[async_trait]
impl TableProvider for CachedTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.materialize(state).await?.scan(state, projection, filters, limit).await
    }
}
