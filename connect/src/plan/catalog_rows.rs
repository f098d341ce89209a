//! The rows `spark.catalog` listings answer with, in the column order PySpark's Connect
//! client reads them (`Database`, `Table`, `Column`, `Function`, `CatalogMetadata`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, ListBuilder, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::scalar::ScalarValue;
use flint_engine::managed_tables::{TableEntry, database_location, table_key, table_not_found};
use flint_engine::path_tables::PathTables;
use flint_engine::session::{DEFAULT_CATALOG, DEFAULT_DATABASE};
use flint_engine::spark::type_names::catalog_string;
use flint_engine::{DataFrame, FlintSession};

use crate::errors::{ConnectError, Result};

/// A catalog call's answer.
pub enum Rows {
    /// No rows (calls made for their effect).
    Empty,
    /// A result table.
    Batch(RecordBatch),
}

impl Rows {
    /// One row of one column `value`.
    pub fn value(value: impl Into<ScalarValue>) -> Self {
        let value: ScalarValue = value.into();
        match value.to_array() {
            Ok(array) => {
                let schema = Schema::new(vec![Field::new("value", array.data_type().clone(), true)]);
                RecordBatch::try_new(Arc::new(schema), vec![array]).map_or(Rows::Empty, Rows::Batch)
            }
            Err(_) => Rows::Empty,
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        match self {
            Rows::Empty => true,
            Rows::Batch(batch) => batch.num_rows() == 0,
        }
    }

    /// The rows as a DataFrame of `session`.
    pub fn into_dataframe(self, session: &FlintSession) -> Result<DataFrame> {
        let ctx = session.context();
        let df = match self {
            Rows::Empty => ctx.read_empty()?,
            Rows::Batch(batch) => ctx.read_batch(batch)?,
        };
        Ok(DataFrame::new(session.clone(), df))
    }
}

/// Whether `name` matches a Spark catalog pattern: `|`-separated alternatives with `*`
/// for any text, compared without case.
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    pattern.split('|').any(|alternative| {
        let escaped: Vec<String> = alternative.trim().split('*').map(regex::escape).collect();
        regex::RegexBuilder::new(&format!("^{}$", escaped.join(".*")))
            .case_insensitive(true)
            .build()
            .is_ok_and(|re| re.is_match(name))
    })
}

fn strings(values: Vec<Option<String>>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> Result<Rows> {
    let fields: Vec<Field> = columns.iter().map(|(name, a)| Field::new(*name, a.data_type().clone(), true)).collect();
    let arrays = columns.into_iter().map(|(_, a)| a).collect();
    Ok(Rows::Batch(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?))
}

/// `listCatalogs`: Flint's one catalog.
pub fn catalogs(pattern: Option<&str>) -> Result<Rows> {
    let names: Vec<Option<String>> = [DEFAULT_CATALOG]
        .into_iter()
        .filter(|name| pattern.is_none_or(|p| matches_pattern(p, name)))
        .map(|name| Some(name.to_string()))
        .collect();
    let descriptions = vec![None; names.len()];
    batch(vec![("name", strings(names)), ("description", strings(descriptions))])
}

/// `listDatabases` (or the one database `only`): name, catalog, description, locationUri.
pub fn databases(session: &FlintSession, pattern: Option<&str>, only: Option<&str>) -> Result<Rows> {
    let hidden: Vec<&str> = PathTables::formats().map(|(name, _)| name).chain(["information_schema"]).collect();
    let mut names: Vec<String> = session
        .context()
        .catalog(DEFAULT_CATALOG)
        .map(|c| c.schema_names())
        .unwrap_or_default()
        .into_iter()
        .filter(|name| !hidden.contains(&name.as_str()))
        .filter(|name| pattern.is_none_or(|p| matches_pattern(p, name)))
        .filter(|name| only.is_none_or(|o| o.eq_ignore_ascii_case(name)))
        .collect();
    names.sort();
    let mut descriptions = Vec::new();
    let mut locations = Vec::new();
    for name in &names {
        let description = if name == DEFAULT_DATABASE { "default database" } else { "" };
        descriptions.push(Some(description.to_string()));
        locations.push(Some(format!("file:{}", database_location(session, name)?.display())));
    }
    let names = names.into_iter().map(Some).collect();
    let catalogs = vec![Some(DEFAULT_CATALOG.to_string()); descriptions.len()];
    batch(vec![
        ("name", strings(names)),
        ("catalog", strings(catalogs)),
        ("description", strings(descriptions)),
        ("locationUri", strings(locations)),
    ])
}

/// One `Table` row: a catalog table, or a temporary view (no catalog, no namespace).
struct TableRow {
    name: String,
    database: Option<String>,
    table_type: &'static str,
}

fn table_row(name: &str, database: &str, entry: Option<&TableEntry>) -> TableRow {
    match entry {
        Some(entry) => TableRow {
            name: name.to_string(),
            database: Some(database.to_string()),
            table_type: if entry.managed { "MANAGED" } else { "EXTERNAL" },
        },
        None => TableRow { name: name.to_string(), database: None, table_type: "TEMPORARY" },
    }
}

fn table_rows(rows: Vec<TableRow>) -> Result<Rows> {
    let mut namespaces = ListBuilder::new(StringBuilder::new());
    for row in &rows {
        if let Some(database) = &row.database {
            namespaces.values().append_value(database);
        }
        namespaces.append(true);
    }
    let temporary: Vec<bool> = rows.iter().map(|r| r.database.is_none()).collect();
    batch(vec![
        ("name", strings(rows.iter().map(|r| Some(r.name.clone())).collect())),
        ("catalog", strings(rows.iter().map(|r| r.database.as_ref().map(|_| DEFAULT_CATALOG.to_string())).collect())),
        ("namespace", Arc::new(namespaces.finish())),
        ("description", strings(vec![None; rows.len()])),
        ("tableType", strings(rows.iter().map(|r| Some(r.table_type.to_string())).collect())),
        ("isTemporary", Arc::new(BooleanArray::from(temporary))),
    ])
}

/// `listTables` / `listViews` of `database` (the current one by default): its catalog
/// tables, then the session's temporary views.
pub fn tables(session: &FlintSession, database: Option<&str>, pattern: Option<&str>, views_only: bool) -> Result<Rows> {
    let database = database.map_or_else(|| session.current_database(), str::to_string);
    let current = session.current_database();
    let schema = session.context().catalog(DEFAULT_CATALOG).and_then(|c| c.schema(&database)).ok_or_else(|| {
        ConnectError::from(flint_engine::FlintError::from(datafusion::error::DataFusionError::Plan(format!(
            "[SCHEMA_NOT_FOUND] The schema `{database}` cannot be found. Verify the spelling and correctness of the schema and catalog."
        ))))
    })?;
    let entries: HashMap<String, TableEntry> = {
        let tables = session.catalog_tables().lock();
        schema
            .table_names()
            .into_iter()
            .filter_map(|name| tables.get(&format!("{database}.{name}").to_ascii_lowercase()).map(|e| (name, e.clone())))
            .collect()
    };
    let mut catalog_tables = BTreeSet::new();
    let mut views = BTreeSet::new();
    // Temporary views live in the current database's namespace in Flint.
    let view_names = if database == current { schema.table_names() } else { Vec::new() };
    for name in schema.table_names() {
        if entries.contains_key(&name) {
            catalog_tables.insert(name);
        }
    }
    for name in view_names {
        if !entries.contains_key(&name) {
            views.insert(name);
        }
    }
    let keep = |name: &String| pattern.is_none_or(|p| matches_pattern(p, name));
    let mut rows: Vec<TableRow> = Vec::new();
    if !views_only {
        rows.extend(catalog_tables.iter().filter(|n| keep(n)).map(|n| table_row(n, &database, entries.get(n))));
    }
    rows.extend(views.iter().filter(|n| keep(n)).map(|n| table_row(n, &database, None)));
    table_rows(rows)
}

/// `getTable`: the one row of `name`, or Spark's TABLE_OR_VIEW_NOT_FOUND.
pub async fn table(session: &FlintSession, name: &str) -> Result<Rows> {
    if !session.context().table_exist(name)? {
        return Err(table_not_found(name).into());
    }
    let key = table_key(session, name);
    let (database, table) = key.split_once('.').unwrap_or((DEFAULT_DATABASE, key.as_str()));
    let entry = session.catalog_tables().lock().get(&key).cloned();
    table_rows(vec![table_row(table, database, entry.as_ref())])
}

/// `listColumns`: name, description, dataType (Spark's catalog string), nullable,
/// isPartition, isBucket, isCluster.
pub async fn columns(session: &FlintSession, name: &str) -> Result<Rows> {
    if !session.context().table_exist(name)? {
        return Err(table_not_found(name).into());
    }
    let schema = session.context().table_provider(name).await?.schema();
    let partitions = session
        .catalog_tables()
        .lock()
        .get(&table_key(session, name))
        .map(|e| e.partition_columns.clone())
        .unwrap_or_default();
    let fields = schema.fields();
    let is_partition: Vec<bool> = fields.iter().map(|f| partitions.iter().any(|p| p.eq_ignore_ascii_case(f.name()))).collect();
    batch(vec![
        ("name", strings(fields.iter().map(|f| Some(f.name().clone())).collect())),
        ("description", strings(vec![None; fields.len()])),
        ("dataType", strings(fields.iter().map(|f| Some(catalog_string(f.data_type()))).collect())),
        ("nullable", Arc::new(BooleanArray::from(fields.iter().map(|f| f.is_nullable()).collect::<Vec<_>>()))),
        ("isPartition", Arc::new(BooleanArray::from(is_partition))),
        ("isBucket", Arc::new(BooleanArray::from(vec![false; fields.len()]))),
        ("isCluster", Arc::new(BooleanArray::from(vec![false; fields.len()]))),
    ])
}

/// The lower-case names of every function the session knows.
pub fn function_names(session: &FlintSession) -> BTreeSet<String> {
    let state = session.context().state();
    let scalar = state.scalar_functions().keys().cloned();
    let aggregate = state.aggregate_functions().keys().cloned();
    let window = state.window_functions().keys().cloned();
    scalar.chain(aggregate).chain(window).map(|n| n.to_ascii_lowercase()).collect()
}

/// `listFunctions`: the built-in functions (temporary, in no catalog, as Spark lists them).
pub fn functions(session: &FlintSession, pattern: Option<&str>) -> Result<Rows> {
    let names: Vec<String> =
        function_names(session).into_iter().filter(|n| pattern.is_none_or(|p| matches_pattern(p, n))).collect();
    let none = || strings(vec![None; names.len()]);
    let mut namespaces = ListBuilder::new(StringBuilder::new());
    for _ in &names {
        namespaces.append_null();
    }
    batch(vec![
        ("name", strings(names.iter().map(|n| Some(n.clone())).collect())),
        ("catalog", none()),
        ("namespace", Arc::new(namespaces.finish())),
        ("description", none()),
        ("className", none()),
        ("isTemporary", Arc::new(BooleanArray::from(vec![true; names.len()]))),
    ])
}

/// `getTableProperties`: key and value per property.
pub fn properties(properties: Vec<(String, String)>) -> Result<Rows> {
    let (keys, values): (Vec<_>, Vec<_>) = properties.into_iter().map(|(k, v)| (Some(k), Some(v))).unzip();
    batch(vec![("key", strings(keys)), ("value", strings(values))])
}

/// The `CREATE TABLE … USING` statement of `spark.catalog.createTable`: a managed table
/// without `path`, an external one at `path`; the schema is read from the files when
/// none is given.
pub fn create_table_sql(
    name: &str,
    path: Option<&str>,
    source: Option<&str>,
    schema: Option<&spark_connect_proto::DataType>,
    options: &HashMap<String, String>,
) -> Result<String> {
    let quote = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let mut sql = format!("CREATE TABLE {name}");
    if let Some(schema) = schema {
        let Some(DataType::Struct(fields)) = crate::types::arrow_type(schema) else {
            return Err(ConnectError::InvalidPlan { reason: "createTable needs a struct schema".into() });
        };
        if !fields.is_empty() {
            let columns: Vec<String> =
                fields.iter().map(|f| format!("`{}` {}", f.name().replace('`', "``"), catalog_string(f.data_type()))).collect();
            sql.push_str(&format!(" ({})", columns.join(", ")));
        }
    }
    sql.push_str(&format!(" USING {}", source.unwrap_or("parquet")));
    let mut options: Vec<(&String, &String)> = options.iter().collect();
    options.sort();
    let location = path.map(str::to_string).or_else(|| options.iter().find(|(k, _)| k.eq_ignore_ascii_case("path")).map(|(_, v)| v.to_string()));
    let rest: Vec<String> = options
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("path"))
        .map(|(k, v)| format!("{} {}", quote(k), quote(v)))
        .collect();
    if !rest.is_empty() {
        sql.push_str(&format!(" OPTIONS ({})", rest.join(", ")));
    }
    if let Some(location) = location {
        sql.push_str(&format!(" LOCATION {}", quote(&location)));
    }
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_spark_wildcards_without_case() {
        assert!(matches_pattern("def*", "default"));
        assert!(matches_pattern("x|DEF*", "default"));
        assert!(!matches_pattern("def2*", "default"));
        assert!(!matches_pattern("*not_existing_func*", "to_date"));
        assert!(matches_pattern("to_*", "to_date"));
    }

    #[test]
    fn create_table_statements_carry_schema_options_and_location() -> Result<()> {
        let options = HashMap::from([("header".to_string(), "true".to_string())]);
        let sql = create_table_sql("t", Some("/d"), Some("csv"), None, &options)?;
        assert_eq!(sql, "CREATE TABLE t USING csv OPTIONS ('header' 'true') LOCATION '/d'");
        Ok(())
    }
}
