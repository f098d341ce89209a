//! `spark.catalog`: current database and catalog, listing tables, existence checks and
//! dropping temporary views.

use flint_engine::session::{DEFAULT_CATALOG, DEFAULT_DATABASE};
use flint_engine::{DataFrame, FlintSession};
use spark_connect_proto::catalog::CatType;

use crate::errors::{ConnectError, Result};

/// The one-row (or listing) DataFrame a catalog call returns.
pub async fn catalog(session: &FlintSession, catalog: &spark_connect_proto::Catalog) -> Result<DataFrame> {
    let ctx = session.context();
    let sql = match catalog.cat_type.as_ref() {
        Some(CatType::CurrentDatabase(_)) => format!("SELECT '{DEFAULT_DATABASE}' AS value"),
        Some(CatType::CurrentCatalog(_)) => format!("SELECT '{DEFAULT_CATALOG}' AS value"),
        Some(CatType::TableExists(t)) => {
            let name = qualified(&t.table_name, t.db_name.as_deref());
            format!("SELECT {} AS value", ctx.table_exist(name.as_str())?)
        }
        Some(CatType::DatabaseExists(d)) => {
            let exists = ctx.catalog(DEFAULT_CATALOG).is_some_and(|c| c.schema(&d.db_name).is_some());
            format!("SELECT {exists} AS value")
        }
        Some(CatType::DropTempView(v)) => {
            format!("SELECT {} AS value", ctx.deregister_table(v.view_name.as_str())?.is_some())
        }
        Some(CatType::DropGlobalTempView(v)) => {
            let name = format!("global_temp.{}", v.view_name);
            format!("SELECT {} AS value", ctx.deregister_table(name.as_str())?.is_some())
        }
        Some(CatType::ListTables(l)) => {
            let database = l.db_name.clone().unwrap_or_else(|| DEFAULT_DATABASE.to_string()).replace('\'', "''");
            let pattern = l.pattern.as_deref().map(|p| p.replace('*', "%").replace('\'', "''"));
            let filter = pattern.map(|p| format!(" AND table_name LIKE '{p}'")).unwrap_or_default();
            format!(
                "SELECT table_name AS name, table_catalog AS catalog, make_array(table_schema) AS namespace, \
                 CAST(NULL AS STRING) AS description, \
                 CASE WHEN table_type = 'VIEW' THEN 'TEMPORARY' ELSE 'MANAGED' END AS tableType, \
                 table_type = 'VIEW' AS isTemporary \
                 FROM information_schema.tables WHERE table_catalog = '{DEFAULT_CATALOG}' \
                 AND table_schema = '{database}'{filter} ORDER BY table_name"
            )
        }
        Some(other) => {
            let debug = format!("{other:?}");
            let name = debug.split('(').next().unwrap_or("unknown").to_string();
            return Err(ConnectError::Unsupported { what: format!("spark.catalog {name}") });
        }
        None => return Err(ConnectError::InvalidPlan { reason: "catalog call without a type".into() }),
    };
    Ok(session.sql(&sql).await?)
}

fn qualified(table: &str, database: Option<&str>) -> String {
    match database {
        Some(db) => format!("{db}.{table}"),
        None => table.to_string(),
    }
}
