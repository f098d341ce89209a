//! Spark's catalog tables and databases: `CREATE TABLE … USING` (managed tables live as
//! files under `spark.sql.warehouse.dir`, external ones at their `LOCATION`),
//! `DROP TABLE` (which deletes a managed table's files), and `CREATE DATABASE` /
//! `DROP DATABASE` as schemas of `spark_catalog`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::catalog::MemorySchemaProvider;
use datafusion::common::TableReference;
use datafusion::error::DataFusionError;
use datafusion::sql::parser::{CreateExternalTable, Statement};
use datafusion::sql::sqlparser::ast::{ObjectName, ObjectType, Statement as SqlStatement, Value};

use crate::config::WAREHOUSE_DIR;
use crate::create_table::{TABLE_PROPERTY_PREFIX, TEMPORARY_VIEW_OPTION};
use crate::dataframe::DataFrame;
use crate::error::{FlintError, Result};
use crate::session::{DEFAULT_CATALOG, DEFAULT_DATABASE, FlintSession};

/// What the session's catalog knows of a table beyond its DataFusion provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableEntry {
    /// The directory holding the table's files.
    pub location: PathBuf,
    /// Whether Flint owns the files (created under the warehouse; dropped with the table).
    pub managed: bool,
    /// The data source (`parquet`, `csv`, `json`).
    pub format: String,
    /// `TBLPROPERTIES`, in the order given.
    pub properties: Vec<(String, String)>,
    /// The `PARTITIONED BY` columns.
    pub partition_columns: Vec<String>,
}

/// The session's catalog tables, by lower-case `database.table`.
#[derive(Debug, Default)]
pub struct CatalogTables {
    entries: HashMap<String, TableEntry>,
}

impl CatalogTables {
    /// The entry of a table by its resolved `database.table` key.
    pub fn get(&self, key: &str) -> Option<&TableEntry> {
        self.entries.get(key)
    }
}

/// Runs `statement` when it is Spark DDL this module owns; `None` for any other.
pub async fn execute(session: &FlintSession, statement: &Statement) -> Result<Option<DataFrame>> {
    match statement {
        Statement::CreateExternalTable(create) => create_table(session, create).await.map(Some),
        Statement::Statement(inner) => match inner.as_ref() {
            SqlStatement::CreateDatabase { db_name, if_not_exists, .. } => {
                create_database(session, db_name, *if_not_exists)?;
                empty(session).map(Some)
            }
            SqlStatement::Drop { object_type: ObjectType::Database | ObjectType::Schema, names, if_exists, cascade, .. } => {
                for name in names {
                    drop_database(session, name, *if_exists, *cascade)?;
                }
                empty(session).map(Some)
            }
            SqlStatement::Drop { object_type: ObjectType::Table, names, .. } => {
                let plan = session.context().state().statement_to_plan(statement.clone()).await?;
                session.context().execute_logical_plan(plan).await?.collect().await?;
                for name in names {
                    forget_table(session, name)?;
                }
                empty(session).map(Some)
            }
            _ => Ok(None),
        },
        _ => Ok(None),
    }
}

/// The lower-case `database.table` key of a table name as the user wrote it, unqualified
/// names taken in the session's current database.
pub fn table_key(session: &FlintSession, name: &str) -> String {
    let reference = TableReference::parse_str(name).resolve(DEFAULT_CATALOG, &session.current_database());
    format!("{}.{}", reference.schema, reference.table).to_ascii_lowercase()
}

/// Deletes every file of the managed table `name`, keeping the table, as Spark's
/// `TRUNCATE TABLE`; other tables and views are refused.
pub async fn truncate_table(session: &FlintSession, name: &str) -> Result<()> {
    if !session.context().table_exist(name)? {
        return Err(table_not_found(name));
    }
    let entry = session.catalog_tables().lock().entries.get(&table_key(session, name)).cloned();
    let Some(entry) = entry.filter(|e| e.managed) else {
        return Err(DataFusionError::Plan(format!(
            "[UNSUPPORTED_FEATURE.TABLE_OPERATION] Table {name} does not support TRUNCATE TABLE: only managed \
             tables (CREATE TABLE ... USING without LOCATION) can be truncated."
        ))
        .into());
    };
    let entries = std::fs::read_dir(&entry.location).map_err(|e| io_error(&entry.location.display().to_string(), e))?;
    for file in entries.flatten() {
        let path = file.path();
        let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        removed.map_err(|e| io_error(&path.display().to_string(), e))?;
    }
    Ok(())
}

/// Spark's error for a table or view that is not there.
pub fn table_not_found(name: &str) -> FlintError {
    DataFusionError::Plan(format!(
        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `{name}` cannot be found. Verify the spelling and \
         correctness of the schema and catalog."
    ))
    .into()
}

/// Where a database's managed tables go: the warehouse for `default`, else
/// `warehouse/database.db`, as Spark's session catalog lays them out.
pub fn database_location(session: &FlintSession, database: &str) -> Result<PathBuf> {
    let warehouse = session.conf().get_or_default(&WAREHOUSE_DIR).unwrap_or("spark-warehouse").to_string();
    let warehouse = PathBuf::from(warehouse.strip_prefix("file:").unwrap_or(&warehouse));
    let warehouse = if warehouse.is_absolute() {
        warehouse
    } else {
        std::env::current_dir().map_err(|e| io_error("the working directory", e))?.join(warehouse)
    };
    Ok(if database.eq_ignore_ascii_case(DEFAULT_DATABASE) {
        warehouse
    } else {
        warehouse.join(format!("{}.db", database.to_ascii_lowercase()))
    })
}

/// Where a managed table's files go: a folder of its database's location.
fn managed_location(session: &FlintSession, database: &str, table: &str) -> Result<PathBuf> {
    Ok(database_location(session, database)?.join(table.to_ascii_lowercase()))
}

async fn create_table(session: &FlintSession, create: &CreateExternalTable) -> Result<DataFrame> {
    let ctx = session.context();
    let name = create.name.to_string();
    let reference = TableReference::parse_str(&name).resolve(DEFAULT_CATALOG, &session.current_database());
    if create.if_not_exists && ctx.table_exist(name.as_str())? {
        return empty(session);
    }
    let format = create.file_type.to_ascii_lowercase();
    if !matches!(format.as_str(), "parquet" | "csv" | "json") {
        return Err(FlintError::UnsupportedFormat { format });
    }
    let mut create = create.clone();
    let partition_columns = create.table_partition_cols.clone();
    let mut properties = Vec::new();
    let mut options = Vec::new();
    let mut temporary_view = false;
    let mut has_header = false;
    for (key, value) in std::mem::take(&mut create.options) {
        let text = option_text(&value);
        if let Some(property) = key.strip_prefix(TABLE_PROPERTY_PREFIX) {
            properties.push((property.to_string(), text));
        } else if key == TEMPORARY_VIEW_OPTION {
            temporary_view = true;
        } else {
            let key = datafusion_option(&format, &key, &text)?;
            has_header |= key == "format.has_header";
            options.push((key, Value::SingleQuotedString(text)));
        }
    }
    if format == "csv" && !has_header {
        // Spark's CSV tables have no header line unless `header` says so.
        options.push(("format.has_header".to_string(), Value::SingleQuotedString("false".into())));
    }
    create.options = options;
    let managed = create.locations.is_empty();
    if managed && temporary_view {
        return Err(DataFusionError::Plan(format!(
            "CREATE TEMPORARY VIEW {name} USING {format} needs OPTIONS (path '...') naming the files to read"
        ))
        .into());
    }
    let location = if managed {
        let location = managed_location(session, &reference.schema, &reference.table)?;
        let occupied = std::fs::read_dir(&location).is_ok_and(|mut entries| entries.next().is_some());
        if occupied && !create.or_replace {
            return Err(DataFusionError::Plan(format!(
                "[LOCATION_ALREADY_EXISTS] Cannot name the managed table as `{DEFAULT_CATALOG}`.`{}`.`{}`, as its \
                 associated location '{}' already exists. Please pick a different table name, or remove the \
                 existing location first.",
                reference.schema,
                reference.table,
                location.display()
            ))
            .into());
        }
        std::fs::create_dir_all(&location).map_err(|e| io_error(&location.display().to_string(), e))?;
        create.locations = vec![format!("{}/", location.display())];
        location
    } else {
        let path = create.locations.first().cloned().unwrap_or_default();
        if !path.contains("://") && !path.ends_with('/') && std::path::Path::new(&path).is_dir() {
            create.locations = vec![format!("{path}/")];
        }
        PathBuf::from(path)
    };
    let plan = ctx.state().statement_to_plan(Statement::CreateExternalTable(create)).await?;
    ctx.execute_logical_plan(plan).await?;
    tracing::debug!(table = %name, location = %location.display(), managed, "created a catalog table");
    let entry = TableEntry { location, managed, format, properties, partition_columns };
    session.catalog_tables().lock().entries.insert(table_key(session, &name), entry);
    empty(session)
}

/// Forgets a dropped table, deleting its files when it was managed.
fn forget_table(session: &FlintSession, name: &ObjectName) -> Result<()> {
    let entry = session.catalog_tables().lock().entries.remove(&table_key(session, &name.to_string()));
    if let Some(entry) = entry.filter(|e| e.managed) {
        match std::fs::remove_dir_all(&entry.location) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&entry.location.display().to_string(), e)),
        }
    }
    Ok(())
}

fn create_database(session: &FlintSession, name: &ObjectName, if_not_exists: bool) -> Result<()> {
    let database = database_name(name)?;
    let catalog = spark_catalog(session)?;
    if catalog.schema(&database).is_some() {
        if if_not_exists {
            return Ok(());
        }
        return Err(DataFusionError::Plan(format!(
            "[SCHEMA_ALREADY_EXISTS] Cannot create schema `{database}` because it already exists. Choose a \
             different name, drop the existing schema, or add the IF NOT EXISTS clause to tolerate pre-existing schema."
        ))
        .into());
    }
    catalog.register_schema(&database, Arc::new(MemorySchemaProvider::new()))?;
    Ok(())
}

fn drop_database(session: &FlintSession, name: &ObjectName, if_exists: bool, cascade: bool) -> Result<()> {
    let database = database_name(name)?;
    if database.eq_ignore_ascii_case(DEFAULT_DATABASE) {
        return Err(DataFusionError::Plan(
            "[UNSUPPORTED_FEATURE.DROP_DATABASE] Drop the default database `spark_catalog`.`default` is not allowed."
                .to_string(),
        )
        .into());
    }
    let catalog = spark_catalog(session)?;
    let Some(schema) = catalog.schema(&database) else {
        if if_exists {
            return Ok(());
        }
        return Err(DataFusionError::Plan(format!(
            "[SCHEMA_NOT_FOUND] The schema `{database}` cannot be found. Verify the spelling and correctness of the \
             schema and catalog."
        ))
        .into());
    };
    let tables = schema.table_names();
    if !tables.is_empty() && !cascade {
        return Err(DataFusionError::Plan(format!(
            "[SCHEMA_NOT_EMPTY] Cannot drop a schema `{database}` because it contains objects. Use DROP SCHEMA ... \
             CASCADE to drop the schema and all its objects."
        ))
        .into());
    }
    for table in tables {
        let name = ObjectName::from(vec![database.as_str().into(), table.as_str().into()]);
        forget_table(session, &name)?;
    }
    catalog.deregister_schema(&database, true)?;
    Ok(())
}

/// The database of `CREATE/DROP DATABASE [spark_catalog.]name`.
fn database_name(name: &ObjectName) -> Result<String> {
    let parts: Vec<String> = name.0.iter().map(|p| p.to_string().trim_matches('`').to_string()).collect();
    match parts.as_slice() {
        [database] => Ok(database.clone()),
        [catalog, database] if catalog.eq_ignore_ascii_case(DEFAULT_CATALOG) => Ok(database.clone()),
        _ => Err(DataFusionError::Plan(format!(
            "[REQUIRES_SINGLE_PART_NAMESPACE] {name} is not a database of {DEFAULT_CATALOG}; name it as database or \
             {DEFAULT_CATALOG}.database"
        ))
        .into()),
    }
}

fn spark_catalog(session: &FlintSession) -> Result<Arc<dyn datafusion::catalog::CatalogProvider>> {
    session
        .context()
        .catalog(DEFAULT_CATALOG)
        .ok_or_else(|| DataFusionError::Internal(format!("the session has no {DEFAULT_CATALOG}")).into())
}

/// A Spark table option as the DataFusion option of the same meaning.
fn datafusion_option(format: &str, key: &str, value: &str) -> Result<String> {
    let name = key.to_ascii_lowercase();
    Ok(match (format, name.as_str()) {
        (_, name) if name.starts_with("format.") => name.to_string(),
        ("csv", "header") => "format.has_header".to_string(),
        ("csv", "sep" | "delimiter") => "format.delimiter".to_string(),
        (_, "compression") => "format.compression".to_string(),
        _ => {
            return Err(FlintError::InvalidOption {
                format: format.to_string(),
                option: key.to_string(),
                value: value.to_string(),
                reason: "Flint's catalog tables take the options path, header, sep, delimiter and compression".into(),
            });
        }
    })
}

fn option_text(value: &Value) -> String {
    match value {
        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
        other => other.to_string(),
    }
}

fn io_error(what: &str, error: std::io::Error) -> FlintError {
    DataFusionError::Execution(format!("cannot use {what} for a catalog table: {error}")).into()
}

fn empty(session: &FlintSession) -> Result<DataFrame> {
    Ok(DataFrame::new(session.clone(), session.context().read_empty()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_resolve_to_the_current_database() -> Result<()> {
        let session = FlintSession::builder().build()?;
        assert_eq!(table_key(&session, "Tbl1"), "default.tbl1");
        assert_eq!(table_key(&session, "spark_catalog.default.tbl1"), "default.tbl1");
        assert_eq!(table_key(&session, "db.t"), "db.t");
        Ok(())
    }

    #[test]
    fn spark_options_map_to_datafusion_and_unknown_ones_are_refused() {
        assert_eq!(datafusion_option("csv", "header", "true").ok().as_deref(), Some("format.has_header"));
        let error = datafusion_option("parquet", "mergeSchema", "true").err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("mergeSchema")));
    }

    #[tokio::test]
    async fn managed_tables_live_under_the_warehouse_and_go_with_drop_table() -> Result<()> {
        let warehouse = tempfile::tempdir().map_err(|e| io_error("a temporary directory", e))?;
        let session = FlintSession::builder().config(WAREHOUSE_DIR.name, &warehouse.path().display().to_string()).build()?;
        session.sql("CREATE TABLE t (id INT, name STRING) USING parquet").await?;
        session.sql("INSERT INTO t VALUES (1, 'a'), (2, 'b')").await?.collect().await?;
        assert_eq!(session.sql("SELECT * FROM t").await?.count().await?, 2);
        assert!(warehouse.path().join("t").read_dir().is_ok_and(|mut d| d.next().is_some()));
        session.sql("DROP TABLE t").await?;
        assert!(!warehouse.path().join("t").exists());
        session.sql("CREATE DATABASE db").await?;
        session.sql("CREATE TABLE db.u (id INT) USING csv").await?;
        assert!(warehouse.path().join("db.db").join("u").is_dir());
        assert!(session.sql("DROP DATABASE db").await.is_err(), "not empty");
        session.sql("DROP DATABASE db CASCADE").await?;
        assert!(!warehouse.path().join("db.db").join("u").exists());
        Ok(())
    }
}
