//! SQL `CACHE [LAZY] TABLE name [[AS] query]` and `UNCACHE TABLE [IF EXISTS] name`: the
//! name reads a [`CachedTable`] until it is uncached, then what it read before.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::dataframe::DataFrame as DfDataFrame;
use datafusion::error::DataFusionError;
use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::{ObjectName, Query, Statement as SqlStatement};

use crate::cache::CachedTable;
use crate::error::Result;
use crate::session::FlintSession;

/// The names a session cached, each with the table it named before.
#[derive(Debug, Default)]
pub struct CachedTables {
    entries: HashMap<String, CachedName>,
}

#[derive(Debug)]
struct CachedName {
    reference: String,
    original: Arc<dyn TableProvider>,
    cached: Arc<CachedTable>,
}

/// Runs `statement` if it is `CACHE TABLE` or `UNCACHE TABLE`; returns whether it was.
pub async fn execute(session: &FlintSession, statement: &Statement) -> Result<bool> {
    let Statement::Statement(inner) = statement else { return Ok(false) };
    match inner.as_ref() {
        SqlStatement::Cache { table_flag, table_name, query, .. } => {
            let lazy = table_flag.as_ref().is_some_and(|flag| flag.to_string().eq_ignore_ascii_case("lazy"));
            cache_table(session, table_name, lazy, query.as_deref()).await?;
            Ok(true)
        }
        SqlStatement::UNCache { table_name, if_exists } => {
            uncache_table(session, table_name, *if_exists).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Caches what `name` reads, or the result of `query` under the new view `name`; unless
/// `lazy`, computes it at once, as Spark does.
async fn cache_table(session: &FlintSession, name: &ObjectName, lazy: bool, query: Option<&Query>) -> Result<()> {
    let (ctx, reference) = (session.context(), name.to_string());
    let already = session.cached_tables().lock().entries.contains_key(&key(session, name));
    if already && query.is_some() {
        uncache_table(session, name, true).await?;
    }
    if !already || query.is_some() {
        let (plan, original) = match query {
            Some(query) => {
                let statement = Statement::Statement(Box::new(SqlStatement::Query(Box::new(query.clone()))));
                let plan = ctx.state().statement_to_plan(statement).await?;
                let view = DfDataFrame::new(ctx.state(), plan.clone()).into_view();
                (plan, view)
            }
            None => {
                let table = ctx.table(reference.as_str()).await.map_err(|_| not_found(name))?;
                (table.logical_plan().clone(), ctx.table_provider(reference.as_str()).await?)
            }
        };
        let cached = CachedTable::new(plan, session.job_runner());
        ctx.deregister_table(reference.as_str())?;
        ctx.register_table(reference.as_str(), Arc::clone(&cached) as _)?;
        session.cached_tables().lock().entries.insert(key(session, name), CachedName { reference: reference.clone(), original, cached });
    }
    if !lazy {
        session.table(&reference).await?.count().await?;
    }
    Ok(())
}

/// Drops the cached partitions of `name`, which then reads what it read before.
async fn uncache_table(session: &FlintSession, name: &ObjectName, if_exists: bool) -> Result<()> {
    let (ctx, reference) = (session.context(), name.to_string());
    let entry = session.cached_tables().lock().entries.remove(&key(session, name));
    match entry {
        Some(CachedName { original, cached, .. }) => {
            ctx.deregister_table(reference.as_str())?;
            ctx.register_table(reference.as_str(), original)?;
            cached.release().await?;
            Ok(())
        }
        None if if_exists || ctx.table_exist(reference.as_str())? => Ok(()),
        None => Err(not_found(name)),
    }
}

/// Spark compares unquoted names without case, `t` and `spark_catalog.default.t` alike.
fn key(session: &FlintSession, name: &ObjectName) -> String {
    crate::managed_tables::table_key(session, &name.to_string())
}

/// Whether `name` (a table or view) is cached, as `spark.catalog.isCached`; a name that
/// is not there fails with Spark's TABLE_OR_VIEW_NOT_FOUND.
pub fn is_cached(session: &FlintSession, name: &str) -> Result<bool> {
    if !session.context().table_exist(name)? {
        return Err(crate::managed_tables::table_not_found(name));
    }
    let key = crate::managed_tables::table_key(session, name);
    Ok(session.cached_tables().lock().entries.contains_key(&key))
}

/// Uncaches every cached name, as `spark.catalog.clearCache()` and `CLEAR CACHE`.
pub async fn clear(session: &FlintSession) -> Result<()> {
    let entries: Vec<CachedName> = session.cached_tables().lock().entries.drain().map(|(_, e)| e).collect();
    for CachedName { reference, original, cached } in entries {
        session.context().deregister_table(reference.as_str())?;
        session.context().register_table(reference.as_str(), original)?;
        cached.release().await?;
    }
    Ok(())
}

fn not_found(name: &ObjectName) -> crate::error::FlintError {
    DataFusionError::Plan(format!(
        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `{name}` cannot be found. Verify the spelling and \
         correctness of the schema and catalog, or create it first (CREATE TEMPORARY VIEW)."
    ))
    .into()
}
