//! `spark.catalog`: databases, tables, columns and functions of the session catalog,
//! existence checks, caching, and the DDL calls (create, drop, truncate), each answered
//! as the one-row (or listing) DataFrame Spark Connect's client reads by column position.

use flint_engine::managed_tables::{table_key, table_not_found};
use flint_engine::session::DEFAULT_CATALOG;
use flint_engine::{DataFrame, FlintSession};
use spark_connect_proto::catalog::CatType;

use crate::errors::{ConnectError, Result};
use crate::plan::catalog_rows::{self, Rows};

/// The DataFrame a catalog call returns.
pub async fn catalog(session: &FlintSession, catalog: &spark_connect_proto::Catalog) -> Result<DataFrame> {
    let ctx = session.context();
    let Some(call) = catalog.cat_type.as_ref() else {
        return Err(ConnectError::InvalidPlan { reason: "catalog call without a type".into() });
    };
    let rows = match call {
        CatType::CurrentDatabase(_) => Rows::value(session.current_database()),
        CatType::CurrentCatalog(_) => Rows::value(DEFAULT_CATALOG),
        CatType::SetCurrentCatalog(c) => {
            if c.catalog_name != DEFAULT_CATALOG {
                return Err(plan_error(format!(
                    "[CATALOG_NOT_FOUND] The catalog `{}` not found. Flint has one catalog, `{DEFAULT_CATALOG}`.",
                    c.catalog_name
                )));
            }
            Rows::Empty
        }
        CatType::ListCatalogs(l) => catalog_rows::catalogs(l.pattern.as_deref())?,
        CatType::SetCurrentDatabase(d) => {
            session.set_current_database(&database(&d.db_name))?;
            Rows::Empty
        }
        CatType::ListDatabases(l) => catalog_rows::databases(session, l.pattern.as_deref(), None)?,
        CatType::GetDatabase(d) => {
            let name = database(&d.db_name);
            let rows = catalog_rows::databases(session, None, Some(&name))?;
            if rows.is_empty() {
                return Err(plan_error(format!(
                    "[SCHEMA_NOT_FOUND] The schema `{name}` cannot be found. Verify the spelling and correctness of the \
                     schema and catalog."
                )));
            }
            rows
        }
        CatType::DatabaseExists(d) => {
            let name = database(&d.db_name);
            Rows::value(ctx.catalog(DEFAULT_CATALOG).is_some_and(|c| c.schema(&name).is_some()))
        }
        CatType::CreateDatabase(d) => {
            if !d.properties.is_empty() {
                return Err(ConnectError::Unsupported { what: "database properties".into() });
            }
            let if_not_exists = if d.if_not_exists { "IF NOT EXISTS " } else { "" };
            run(session, &format!("CREATE DATABASE {if_not_exists}{}", d.db_name)).await?
        }
        CatType::DropDatabase(d) => {
            let if_exists = if d.if_exists { "IF EXISTS " } else { "" };
            let cascade = if d.cascade { " CASCADE" } else { "" };
            run(session, &format!("DROP DATABASE {if_exists}{}{cascade}", d.db_name)).await?
        }
        CatType::ListTables(l) => catalog_rows::tables(session, l.db_name.as_deref(), l.pattern.as_deref(), false)?,
        CatType::ListViews(l) => catalog_rows::tables(session, l.db_name.as_deref(), l.pattern.as_deref(), true)?,
        CatType::GetTable(t) => {
            let name = qualified(&t.table_name, t.db_name.as_deref());
            catalog_rows::table(session, &name).await?
        }
        CatType::TableExists(t) => {
            let name = qualified(&t.table_name, t.db_name.as_deref());
            Rows::value(ctx.table_exist(name.as_str())?)
        }
        CatType::ListColumns(c) => {
            let name = qualified(&c.table_name, c.db_name.as_deref());
            catalog_rows::columns(session, &name).await?
        }
        CatType::ListFunctions(f) => catalog_rows::functions(session, f.pattern.as_deref())?,
        CatType::FunctionExists(f) => {
            let exists = match f.db_name.as_deref() {
                Some(_) => false,
                None if f.function_name.contains('.') => false,
                None => catalog_rows::function_names(session).contains(&f.function_name.to_ascii_lowercase()),
            };
            Rows::value(exists)
        }
        CatType::GetTableProperties(t) => {
            ensure_table(session, &t.table_name)?;
            let entry = session.catalog_tables().lock().get(&table_key(session, &t.table_name)).cloned();
            catalog_rows::properties(entry.map(|e| e.properties).unwrap_or_default())?
        }
        CatType::DropTempView(v) => Rows::value(drop_view(session, &v.view_name)?),
        CatType::DropGlobalTempView(v) => Rows::value(drop_view(session, &format!("global_temp.{}", v.view_name))?),
        CatType::DropTable(t) => {
            if t.purge {
                return Err(ConnectError::Unsupported { what: "dropTable(purge=True)".into() });
            }
            let if_exists = if t.if_exists { "IF EXISTS " } else { "" };
            run(session, &format!("DROP TABLE {if_exists}{}", t.table_name)).await?
        }
        CatType::DropView(v) => {
            if !v.if_exists {
                ensure_table(session, &v.view_name)?;
            }
            drop_view(session, &v.view_name)?;
            Rows::Empty
        }
        CatType::CreateTable(t) => {
            let sql = catalog_rows::create_table_sql(
                &t.table_name,
                t.path.as_deref(),
                t.source.as_deref(),
                t.schema.as_ref(),
                &t.options,
            )?;
            run(session, &sql).await?;
            catalog_rows::table(session, &t.table_name).await?
        }
        CatType::CreateExternalTable(t) => {
            let sql = catalog_rows::create_table_sql(
                &t.table_name,
                t.path.as_deref(),
                t.source.as_deref(),
                t.schema.as_ref(),
                &t.options,
            )?;
            run(session, &sql).await?;
            catalog_rows::table(session, &t.table_name).await?
        }
        CatType::TruncateTable(t) => {
            flint_engine::managed_tables::truncate_table(session, &t.table_name).await?;
            Rows::Empty
        }
        CatType::IsCached(t) => Rows::value(flint_engine::cache_table::is_cached(session, &t.table_name)?),
        // Flint keeps every cache one way (in memory, spilling), so the storage level is
        // not a choice to honour.
        CatType::CacheTable(t) => run(session, &format!("CACHE TABLE {}", t.table_name)).await?,
        CatType::UncacheTable(t) => run(session, &format!("UNCACHE TABLE {}", t.table_name)).await?,
        CatType::ClearCache(_) => {
            flint_engine::cache_table::clear(session).await?;
            Rows::Empty
        }
        // Flint lists a table's files at every read (no listing cache), so a refresh
        // has nothing to drop; the name must still be there.
        CatType::RefreshTable(t) => {
            ensure_table(session, &t.table_name)?;
            Rows::Empty
        }
        // Statistics only steer plans; the table must exist.
        CatType::AnalyzeTable(t) => {
            ensure_table(session, &t.table_name)?;
            Rows::Empty
        }
        other => {
            let debug = format!("{other:?}");
            let name = debug.split('(').next().unwrap_or("unknown").to_string();
            return Err(ConnectError::Unsupported { what: format!("spark.catalog {name}") });
        }
    };
    rows.into_dataframe(session)
}

/// Runs a SQL statement for its effect.
async fn run(session: &FlintSession, sql: &str) -> Result<Rows> {
    session.sql(sql).await?.collect().await?;
    Ok(Rows::Empty)
}

fn ensure_table(session: &FlintSession, name: &str) -> Result<()> {
    if session.context().table_exist(name)? { Ok(()) } else { Err(table_not_found(name).into()) }
}

fn drop_view(session: &FlintSession, name: &str) -> Result<bool> {
    Ok(session.context().deregister_table(name)?.is_some())
}

/// A database name without the `spark_catalog.` prefix.
fn database(name: &str) -> String {
    name.strip_prefix(&format!("{DEFAULT_CATALOG}.")).unwrap_or(name).to_string()
}

fn qualified(table: &str, database: Option<&str>) -> String {
    match database {
        Some(db) => format!("{db}.{table}"),
        None => table.to_string(),
    }
}

fn plan_error(message: String) -> ConnectError {
    flint_engine::FlintError::from(datafusion::error::DataFusionError::Plan(message)).into()
}
