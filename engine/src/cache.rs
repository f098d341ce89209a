//! Cached relations (`DataFrame.cache()`, `CACHE TABLE`): computed by the first job that
//! reads them, then read instead of their source until released.
//!
//! Unless the session's job runner keeps cached partitions, they are kept in driver
//! memory. On a cluster they stay in the executors' block managers: a scan yields a
//! [`CachedRelationExec`], and the cluster scheduler computes only the partitions no live
//! executor holds, from the relation's lineage.

use std::sync::{Arc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::listing::ListingTable;
use datafusion::datasource::{MemTable, ViewTable, source_as_provider};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, LogicalPlan, TableType};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::projection::ProjectionExpr;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::{ExecutionPlan, collect_partitioned};
use tokio::sync::Mutex;

use crate::ids::CacheId;
use crate::job_runner::JobRunner;
use crate::planner::CachedRelationExec;

/// A table holding the result of `plan` once it has first been scanned.
#[derive(Debug)]
pub struct CachedTable {
    plan: LogicalPlan,
    schema: SchemaRef,
    storage: Storage,
    released: AtomicBool,
}

/// Where the partitions are kept.
#[derive(Debug)]
enum Storage {
    /// In driver memory, once computed.
    Driver(Mutex<Option<Arc<MemTable>>>),
    /// In the block managers of `runner`'s executors.
    Executors {
        runner: Arc<dyn JobRunner>,
        /// The id the executors keep the partitions under, and the physical plan
        /// computing them, planned once so every job computes a partition the same way;
        /// `None` until the first scan and after the partitions are dropped.
        computed: Mutex<Option<(CacheId, Arc<dyn ExecutionPlan>)>>,
    },
}

/// Every live cache of this process, as Spark's shared cache manager knows them: a write
/// to a path drops the partitions of the caches that read it ([`refresh_caches_reading`]).
static LIVE_CACHES: std::sync::LazyLock<parking_lot::Mutex<Vec<Weak<CachedTable>>>> =
    std::sync::LazyLock::new(Default::default);

/// Drops the partitions of every cache whose plan reads files at or under `url` (a
/// `file://` or object-store URL), so that its next scan reads the files as they are now:
/// Spark's `recacheByPath` after a write.
pub async fn refresh_caches_reading(url: &str) -> Result<()> {
    let target = url.trim_end_matches('/');
    let caches: Vec<Arc<CachedTable>> = {
        let mut live = LIVE_CACHES.lock();
        live.retain(|cache| cache.strong_count() > 0);
        live.iter().filter_map(Weak::upgrade).collect()
    };
    for cache in caches {
        if reads_under(&cache.plan, target)? {
            tracing::info!(path = %url, "a write refreshed a cache reading it");
            cache.drop_partitions().await?;
        }
    }
    Ok(())
}

/// Whether `plan` scans files at or under `target` (views and caches inside it too).
fn reads_under(plan: &LogicalPlan, target: &str) -> Result<bool> {
    let mut found = false;
    plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && let Ok(provider) = source_as_provider(&scan.source)
        {
            found |= provider_reads_under(provider.as_ref(), target)?;
        }
        Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    })?;
    Ok(found)
}

/// Whether `provider` is a file listing at or under `target`, or a view or cache over one.
fn provider_reads_under(provider: &dyn TableProvider, target: &str) -> Result<bool> {
    if let Some(listing) = provider.downcast_ref::<ListingTable>() {
        return Ok(listing.table_paths().iter().any(|path| {
            let path = path.as_str().trim_end_matches('/');
            path == target || path.strip_prefix(target).is_some_and(|rest| rest.starts_with('/'))
        }));
    }
    if let Some(view) = provider.downcast_ref::<ViewTable>() {
        return reads_under(view.logical_plan(), target);
    }
    if let Some(cache) = provider.downcast_ref::<CachedTable>() {
        return reads_under(&cache.plan, target);
    }
    Ok(false)
}

impl CachedTable {
    /// A cache of `plan`, empty until the first scan; kept by `runner` when it keeps
    /// cached partitions (a cluster's executors), in driver memory otherwise.
    pub fn new(plan: LogicalPlan, runner: Option<Arc<dyn JobRunner>>) -> Arc<Self> {
        let schema = Arc::new(plan.schema().as_arrow().clone());
        let storage = match runner.filter(|runner| runner.keeps_cached_partitions()) {
            Some(runner) => Storage::Executors { runner, computed: Mutex::new(None) },
            None => Storage::Driver(Mutex::new(None)),
        };
        let table = Arc::new(Self { plan, schema, storage, released: AtomicBool::new(false) });
        LIVE_CACHES.lock().push(Arc::downgrade(&table));
        table
    }

    /// Drops the cached partitions (as `unpersist`); later scans compute the plan again.
    pub async fn release(&self) -> Result<()> {
        self.released.store(true, Ordering::Relaxed);
        self.drop_partitions().await
    }

    /// Drops the partitions computed so far; the next scan computes them again.
    async fn drop_partitions(&self) -> Result<()> {
        match &self.storage {
            Storage::Driver(memory) => {
                memory.lock().await.take();
                Ok(())
            }
            Storage::Executors { runner, computed } => match computed.lock().await.take() {
                Some((cache, _)) => runner.release_cache(cache).await,
                None => Ok(()),
            },
        }
    }

    async fn in_memory(&self, state: &dyn Session, memory: &Mutex<Option<Arc<MemTable>>>) -> Result<Arc<MemTable>> {
        let mut memory = memory.lock().await;
        if let Some(table) = memory.as_ref() {
            return Ok(Arc::clone(table));
        }
        let physical = state.create_physical_plan(&self.plan).await?;
        let partitions = collect_partitioned(physical, state.task_ctx()).await?;
        let table = Arc::new(MemTable::try_new(Arc::clone(&self.schema), partitions)?);
        *memory = Some(Arc::clone(&table));
        Ok(table)
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
        if self.released.load(Ordering::Relaxed) {
            return project(state.create_physical_plan(&self.plan).await?, projection);
        }
        match &self.storage {
            Storage::Driver(memory) => self.in_memory(state, memory).await?.scan(state, projection, filters, limit).await,
            Storage::Executors { computed, .. } => {
                let mut computed = computed.lock().await;
                let (cache, lineage) = match computed.as_ref() {
                    Some(known) => known.clone(),
                    None => computed.insert((CacheId::next(), state.create_physical_plan(&self.plan).await?)).clone(),
                };
                project(Arc::new(CachedRelationExec::new(cache, lineage)), projection)
            }
        }
    }
}

/// `plan` with only the columns at `projection`, as a scan returns them.
pub(crate) fn project(plan: Arc<dyn ExecutionPlan>, projection: Option<&Vec<usize>>) -> Result<Arc<dyn ExecutionPlan>> {
    let Some(projection) = projection else { return Ok(plan) };
    let schema = plan.schema();
    let exprs = projection.iter().map(|&i| {
        let name = schema.field(i).name().clone();
        ProjectionExpr { expr: Arc::new(Column::new(&name, i)), alias: name }
    });
    Ok(Arc::new(ProjectionExec::try_new(exprs.collect::<Vec<_>>(), plan)?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::FlintSession;
    use crate::planner::in_process::InProcessRunner;
    use arrow::util::pretty::pretty_format_batches;
    use datafusion::common::tree_node::TreeNode;

    async fn session() -> FlintSession {
        let session = FlintSession::builder().master("local[2]").build().unwrap();
        let create = "create table t (k int, v int) as values (1, 10), (2, 20), (3, 30), (4, 40)";
        session.context().sql(create).await.unwrap().collect().await.unwrap();
        session
    }

    async fn reads_cache(df: &crate::DataFrame) -> bool {
        let plan = df.inner().clone().create_physical_plan().await.unwrap();
        plan.exists(|node| Ok(node.is::<CachedRelationExec>())).unwrap()
    }

    #[tokio::test]
    async fn on_a_job_runner_a_cache_is_a_stage_and_its_subqueries_run_once() {
        let session = session().await;
        let runner = Arc::new(InProcessRunner::new(session.context().task_ctx()));
        session.set_job_runner(Arc::clone(&runner) as _);
        let source = session.sql("select k, v from t where v > (select avg(v) from t)").await.unwrap();
        let cached = source.cache().unwrap();
        assert!(reads_cache(&cached).await);
        let first = pretty_format_batches(&cached.collect().await.unwrap()).unwrap().to_string();
        assert!(first.contains("| 3 | 30 |") && first.contains("| 4 | 40 |") && !first.contains("| 2 |"), "{first}");
        assert_eq!(runner.jobs(), 2, "the subquery, then the query");
        assert_eq!(cached.count().await.unwrap(), 2);
        assert_eq!(runner.jobs(), 3, "the subquery's value is kept with the cache's lineage");
        cached.unpersist().await.unwrap();
        assert!(!reads_cache(&cached).await, "an unpersisted DataFrame reads its source");
        assert_eq!(cached.count().await.unwrap(), 2);
    }

    #[tokio::test]
    async fn without_a_job_runner_unpersist_reads_the_source_again() {
        let session = session().await;
        let cached = session.table("t").await.unwrap().persist().unwrap();
        assert!(cached.select(vec![crate::functions::col("t.v")]).is_ok(), "columns keep their qualifier");
        assert_eq!(cached.count().await.unwrap(), 4);
        session.context().sql("insert into t values (5, 50)").await.unwrap().collect().await.unwrap();
        assert_eq!(cached.count().await.unwrap(), 4, "the cache, not the table");
        cached.unpersist().await.unwrap();
        assert_eq!(cached.count().await.unwrap(), 5);
    }
}
