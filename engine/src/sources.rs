//! File data sources (Parquet, CSV, JSON) opened as tables, with Spark's option names.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use arrow::array::{Array, Int64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::TableProvider;
use datafusion::catalog::view::ViewTable;
use datafusion::common::Column;
use datafusion::datasource::provider_as_source;
use datafusion::functions::expr_fn::nullif;
use datafusion::functions_aggregate::expr_fn::{max, min};
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, cast, lit};
use datafusion::datasource::file_format::options::ReadOptions;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::execution::context::SessionState;
use datafusion::prelude::{CsvReadOptions, JsonReadOptions, ParquetReadOptions};

use crate::error::{FlintError, Result};

/// A file format Flint reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet, Spark's default data source.
    Parquet,
    /// Comma-separated (or other delimiter) text.
    Csv,
    /// JSON Lines: one object per line.
    Json,
}

impl Format {
    /// The extension of files of this format that a directory listing picks up.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Parquet => ".parquet",
            Self::Csv => ".csv",
            Self::Json => ".json",
        }
    }
}

impl FromStr for Format {
    type Err = FlintError;

    fn from_str(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "parquet" => Ok(Self::Parquet),
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            _ => Err(FlintError::UnsupportedFormat { format: name.to_string() }),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Parquet => "parquet",
            Self::Csv => "csv",
            Self::Json => "json",
        })
    }
}

/// Data source options; names are case-insensitive, as in Spark.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    values: BTreeMap<String, String>,
}

impl SourceOptions {
    /// Sets an option.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_ascii_lowercase(), value.into());
    }

    /// The value of an option, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(&key.to_ascii_lowercase()).map(String::as_str)
    }

    /// A boolean option (`true`/`false`, any case), or `default` when unset.
    pub fn bool(&self, format: Format, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(invalid(format, key, v, "expected true or false")),
        }
    }

    /// A one-character option such as `sep` or `quote` (`\t` is understood).
    pub fn byte(&self, format: Format, key: &str) -> Result<Option<u8>> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        match value {
            "\\t" => Ok(Some(b'\t')),
            v if v.len() == 1 && v.is_ascii() => Ok(v.bytes().next()),
            v => Err(invalid(format, key, v, "expected a single ASCII character")),
        }
    }
}

/// The error for an option with a bad value.
fn invalid(format: Format, key: &str, value: &str, reason: &str) -> FlintError {
    FlintError::InvalidOption {
        format: format.to_string(),
        option: key.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// Opens `paths` of `format` as one table. `schema`, when given, replaces inference.
pub async fn open_table(
    state: &SessionState,
    format: Format,
    paths: &[String],
    options: &SourceOptions,
    schema: Option<SchemaRef>,
) -> Result<Arc<dyn TableProvider>> {
    let urls = paths.iter().map(|p| table_url(p)).collect::<Result<Vec<_>>>()?;
    let single_file = match (paths, urls.first()) {
        ([path], Some(url)) if crate::storage::is_object_store_path(path) => match stored_path(state, url).await? {
            Some(is_object) => is_object,
            None => return Err(FlintError::PathNotFound { path: path.clone() }),
        },
        ([path], _) => Path::new(path).is_file(),
        _ => false,
    };
    let extension = if single_file { "" } else { format.extension() };
    let read_options: Box<dyn ReadOptions<'_> + Send + Sync> = match format {
        Format::Parquet => Box::new(ParquetReadOptions { file_extension: extension, ..Default::default() }),
        Format::Json => Box::new(JsonReadOptions { file_extension: extension, ..Default::default() }),
        Format::Csv => Box::new(csv_read_options(options, extension)?),
    };
    let config = state.config();
    let listing = read_options.to_listing_options(config, state.default_table_options());
    let first = urls.first().cloned().ok_or_else(|| FlintError::PathNotFound { path: String::new() })?;
    let partitions = if single_file { Vec::new() } else { crate::partition_discovery::discover(state, &listing, &first).await? };
    let null_value = options.get("nullValue").filter(|v| format == Format::Csv && !v.is_empty());
    let table = |schema: &SchemaRef| listing_table(&urls, &listing, &partitions, schema, null_value);
    match schema {
        Some(schema) => table(&schema),
        None => {
            let inferred = read_options.get_resolved_schema(config, state.clone(), first).await?;
            if format != Format::Csv {
                return table(&inferred);
            }
            let schema = csv_schema(&inferred, options)?;
            let opened = table(&schema)?;
            match narrow_csv_integers(state, Arc::clone(&opened), &schema).await? {
                Some(narrowed) => table(&narrowed),
                None => Ok(opened),
            }
        }
    }
}

/// The table of files at `urls` with `schema` (their columns) and `partitions` (columns
/// from `k=v/` folders), read as strings first when a CSV `null_value` is set.
fn listing_table(
    urls: &[ListingTableUrl],
    listing: &ListingOptions,
    partitions: &[(String, DataType)],
    schema: &SchemaRef,
    null_value: Option<&str>,
) -> Result<Arc<dyn TableProvider>> {
    let file_schema = match null_value {
        Some(_) => all_strings(schema),
        None => Arc::clone(schema),
    };
    // Partition columns (`k=1/` folders) come after the files' columns, as in Spark; a
    // column the files hold themselves stays theirs.
    let partitions: Vec<_> =
        partitions.iter().filter(|(name, _)| file_schema.column_with_name(name).is_none()).cloned().collect();
    let table_config = ListingTableConfig::new_with_multi_paths(urls.to_vec())
        .with_listing_options(listing.clone().with_table_partition_cols(partitions.clone()))
        .with_schema(file_schema);
    let table: Arc<dyn TableProvider> = Arc::new(ListingTable::try_new(table_config)?);
    match null_value {
        Some(null_value) => null_value_view(table, schema, &partitions, null_value),
        None => Ok(table),
    }
}

/// Spark's CSV inference types a column of integers `int` when every value fits in 32
/// bits, `bigint` otherwise (DataFusion's: always `bigint`). `schema` with its `bigint`
/// columns narrowed where `table`'s values fit (one pass over the data, as Spark's
/// inference makes), or `None` when none does.
async fn narrow_csv_integers(
    state: &SessionState,
    table: Arc<dyn TableProvider>,
    schema: &SchemaRef,
) -> Result<Option<SchemaRef>> {
    let wide: Vec<&str> =
        schema.fields().iter().filter(|f| f.data_type() == &DataType::Int64).map(|f| f.name().as_str()).collect();
    if wide.is_empty() {
        return Ok(None);
    }
    let bounds = wide.iter().flat_map(|name| {
        let column = Expr::Column(Column::from_name(*name));
        [min(column.clone()), max(column)]
    });
    let plan = LogicalPlanBuilder::scan("csv", provider_as_source(table), None)?
        .aggregate(Vec::<Expr>::new(), bounds)?
        .build()?;
    let physical = state.create_physical_plan(&plan).await?;
    let batches = datafusion::physical_plan::collect(physical, state.task_ctx()).await?;
    let Some(row) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok(None);
    };
    let fits = |i: usize| {
        let value = |j: usize| row.column(j).as_any().downcast_ref::<Int64Array>().filter(|a| a.is_valid(0)).map(|a| a.value(0));
        matches!((value(2 * i), value(2 * i + 1)), (Some(low), Some(high)) if low >= i32::MIN.into() && high <= i32::MAX.into())
    };
    let narrow: Vec<&str> = wide.iter().enumerate().filter(|(i, _)| fits(*i)).map(|(_, name)| *name).collect();
    if narrow.is_empty() {
        return Ok(None);
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            if narrow.contains(&f.name().as_str()) {
                Field::new(f.name(), DataType::Int32, f.is_nullable())
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    Ok(Some(Arc::new(Schema::new(fields))))
}

/// `schema` with every column a nullable string.
fn all_strings(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = schema.fields().iter().map(|f| Field::new(f.name(), DataType::Utf8, true)).collect();
    Arc::new(Schema::new(fields))
}

/// Spark's CSV `nullValue`: the table read as strings, each column NULL where it equals
/// `null_value`, then cast to its type. (DataFusion's CSV scan applies its null pattern
/// only while inferring the schema.)
fn null_value_view(
    table: Arc<dyn TableProvider>,
    schema: &SchemaRef,
    partitions: &[(String, DataType)],
    null_value: &str,
) -> Result<Arc<dyn TableProvider>> {
    let columns = schema.fields().iter().map(|field| {
        let column = Expr::Column(Column::from_name(field.name()));
        cast(nullif(column, lit(null_value)), field.data_type().clone()).alias(field.name())
    });
    let columns = columns.chain(partitions.iter().map(|(name, _)| Expr::Column(Column::from_name(name))));
    let plan = LogicalPlanBuilder::scan("csv", provider_as_source(table), None)?.project(columns)?.build()?;
    Ok(Arc::new(ViewTable::new(plan, None)))
}

/// What `url` names in its object store: `Some(true)` one object, `Some(false)` a folder
/// of objects (or a glob), `None` nothing at all.
async fn stored_path(state: &SessionState, url: &ListingTableUrl) -> Result<Option<bool>> {
    use futures::StreamExt;
    use object_store::ObjectStoreExt;
    let error = |source| FlintError::ObjectStore { action: "reading", path: url.to_string(), source };
    let store = state.runtime_env().object_store(url.object_store())?;
    if url.get_glob().is_some() {
        return Ok(Some(false));
    }
    if !url.is_collection() && !url.prefix().as_ref().is_empty() {
        match store.head(url.prefix()).await {
            Ok(_) => return Ok(Some(true)),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(source) => return Err(error(source)),
        }
    }
    match store.list(Some(url.prefix())).next().await {
        Some(Ok(_)) => Ok(Some(false)),
        Some(Err(source)) => Err(error(source)),
        None => Ok(None),
    }
}

/// The URL of a path, refusing local paths that do not exist.
fn table_url(path: &str) -> Result<ListingTableUrl> {
    let is_local = !path.contains("://") || path.starts_with("file://");
    let local = path.strip_prefix("file://").unwrap_or(path);
    let has_glob = local.contains(['*', '?', '[']);
    if is_local && !has_glob && !Path::new(local).exists() {
        let absolute = std::path::absolute(local).unwrap_or_else(|_| local.into());
        return Err(FlintError::PathNotFound { path: format!("file:{}", absolute.display()) });
    }
    Ok(ListingTableUrl::parse(path)?)
}

/// CSV reader settings from Spark's option names.
fn csv_read_options<'a>(options: &SourceOptions, extension: &'a str) -> Result<CsvReadOptions<'a>> {
    let f = Format::Csv;
    let mut read = CsvReadOptions::new()
        .has_header(options.bool(f, "header", false)?)
        .file_extension(extension)
        .newlines_in_values(options.bool(f, "multiLine", false)?);
    if let Some(sep) = options.byte(f, "sep")?.or(options.byte(f, "delimiter")?) {
        read = read.delimiter(sep);
    }
    if let Some(quote) = options.byte(f, "quote")? {
        read = read.quote(quote);
    }
    read = read.escape(options.byte(f, "escape")?.unwrap_or(b'\\'));
    if let Some(comment) = options.byte(f, "comment")? {
        read = read.comment(comment);
    }
    if let Some(null_value) = options.get("nullValue").filter(|v| !v.is_empty()) {
        read = read.null_regex(Some(format!("^{}$", regex::escape(null_value))));
    }
    if let Some(encoding) = options.get("encoding").or(options.get("charset")) {
        let lower = encoding.to_ascii_lowercase();
        if lower != "utf-8" && lower != "utf8" {
            return Err(invalid(f, "encoding", encoding, "only UTF-8 is supported"));
        }
    }
    Ok(read)
}

/// Spark's CSV schema: columns `_c0, _c1, …` without a header, and every column a
/// string unless `inferSchema` is true.
fn csv_schema(inferred: &SchemaRef, options: &SourceOptions) -> Result<SchemaRef> {
    let header = options.bool(Format::Csv, "header", false)?;
    let infer = options.bool(Format::Csv, "inferSchema", false)?;
    let fields: Vec<Field> = inferred
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let name = if header { field.name().clone() } else { format!("_c{i}") };
            let data_type = if infer { field.data_type().clone() } else { DataType::Utf8 };
            Field::new(name, data_type, true)
        })
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_case_insensitively() {
        assert_eq!(Format::from_str("Parquet").ok(), Some(Format::Parquet));
        assert!(matches!(Format::from_str("avro"), Err(FlintError::UnsupportedFormat { .. })));
    }

    #[test]
    fn options_are_case_insensitive_and_checked() {
        let mut options = SourceOptions::default();
        options.set("inferSchema", "TRUE");
        options.set("sep", "\\t");
        options.set("quote", "ab");
        assert_eq!(options.bool(Format::Csv, "inferschema", false).ok(), Some(true));
        assert_eq!(options.byte(Format::Csv, "SEP").ok(), Some(Some(b'\t')));
        assert!(options.byte(Format::Csv, "quote").is_err());
    }

    #[test]
    fn missing_local_paths_are_named() {
        let error = table_url("/no/such/dir/x.parquet").err().map(|e| e.to_string());
        assert_eq!(error.as_deref(), Some("[PATH_NOT_FOUND] Path does not exist: file:/no/such/dir/x.parquet"));
    }
}
