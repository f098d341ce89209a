//! `df.write`: writing DataFrames to files with Spark's formats, options and save modes.

mod commit;
mod exec;
mod object_commit;

pub use commit::StagedWrite;
pub use object_commit::ObjectStagedWrite;
pub use exec::{TASK_ATTEMPTS_DIR, WriteFilesExec, task_output_schema};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use arrow::array::{Array, RecordBatch, StringArray, UInt64Array};
use datafusion::common::config::{CsvOptions, TableParquetOptions};
use datafusion::common::file_options::file_type::FileType;
use datafusion::datasource::file_format::csv::CsvFormatFactory;
use datafusion::datasource::file_format::format_as_file_type;
use datafusion::datasource::file_format::json::JsonFormatFactory;
use datafusion::datasource::file_format::parquet::ParquetFormatFactory;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::physical_plan::ExecutionPlan;

use crate::cache::refresh_caches_reading;
use crate::dataframe::DataFrame;
use crate::error::{FlintError, Result};
use crate::sources::{Format, SourceOptions};

/// What to do when the target path already exists, as Spark's `SaveMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SaveMode {
    /// Fail (Spark's default).
    #[default]
    ErrorIfExists,
    /// Add files beside the existing ones.
    Append,
    /// Replace what is there.
    Overwrite,
    /// Leave what is there and write nothing.
    Ignore,
}

impl FromStr for SaveMode {
    type Err = FlintError;

    fn from_str(mode: &str) -> Result<Self> {
        match mode.to_ascii_lowercase().as_str() {
            "error" | "errorifexists" | "default" => Ok(Self::ErrorIfExists),
            "append" => Ok(Self::Append),
            "overwrite" => Ok(Self::Overwrite),
            "ignore" => Ok(Self::Ignore),
            _ => Err(FlintError::UnknownSaveMode { mode: mode.to_string() }),
        }
    }
}

/// Writes a DataFrame to files, as Spark's `DataFrameWriter`.
#[derive(Debug, Clone)]
pub struct DataFrameWriter {
    df: DataFrame,
    format: String,
    mode: String,
    options: SourceOptions,
    partition_by: Vec<String>,
}

impl DataFrameWriter {
    /// A writer of `df` in Parquet, save mode `error`.
    pub fn new(df: DataFrame) -> Self {
        Self {
            df,
            format: "parquet".to_string(),
            mode: "error".to_string(),
            options: SourceOptions::default(),
            partition_by: Vec::new(),
        }
    }

    /// The output format: `parquet`, `csv` or `json`.
    pub fn format(mut self, format: &str) -> Self {
        self.format = format.to_string();
        self
    }

    /// The save mode: `error` (default), `append`, `overwrite` or `ignore`.
    pub fn mode(mut self, mode: &str) -> Self {
        self.mode = mode.to_string();
        self
    }

    /// Sets an output option by its Spark name (`header`, `sep`, `compression`, …).
    pub fn option(mut self, key: &str, value: impl ToString) -> Self {
        self.options.set(key, value.to_string());
        self
    }

    /// Writes one directory per value of these columns (`col=value/`), as `partitionBy`.
    pub fn partition_by(mut self, columns: &[&str]) -> Self {
        self.partition_by = columns.iter().map(|c| c.to_string()).collect();
        self
    }

    /// Writes to the directory `path`, honouring the save mode; marks success with `_SUCCESS`.
    /// The write is a job like any other: each partition is a task (on the executors, on a
    /// cluster) that writes into a folder of its own attempt ([`WriteFilesExec`]); once the
    /// whole job has finished, the finished attempts' files are moved in (see
    /// [`StagedWrite`]; on an object store such as `s3a://`, copied in:
    /// [`ObjectStagedWrite`]). So a failed job or a killed task leaves the target as it
    /// was, and a query may overwrite the path it reads.
    pub async fn save(self, path: &str) -> Result<()> {
        let format: Format = self.format.parse()?;
        let mode: SaveMode = self.mode.parse()?;
        if crate::storage::is_object_store_path(path) {
            return self.save_to_object_store(format, mode, path).await;
        }
        let target = Path::new(path);
        if target.exists() {
            match mode {
                SaveMode::Ignore => return Ok(()),
                SaveMode::ErrorIfExists => {
                    return Err(FlintError::PathAlreadyExists { path: format!("file:{path}") });
                }
                SaveMode::Overwrite | SaveMode::Append => {}
            }
        }
        let staged = StagedWrite::create(target)?;
        let write = self.write_plan(format, &format!("{}/", staged.dir().display())).await?;
        let task_outputs = self.run_write(&write).await?;
        let attempts = attempt_dirs(&task_outputs)?.iter().map(|url| local_path(url)).collect::<Result<Vec<_>>>()?;
        staged.adopt_task_attempts(&attempts)?;
        staged.commit(mode)?;
        Ok(refresh_caches_reading(datafusion::datasource::listing::ListingTableUrl::parse(path)?.as_str()).await?)
    }

    /// [`DataFrameWriter::save`] to an object store: the same tasks and attempt folders,
    /// committed by copying (see [`ObjectStagedWrite`]).
    async fn save_to_object_store(self, format: Format, mode: SaveMode, path: &str) -> Result<()> {
        let target = datafusion::datasource::listing::ListingTableUrl::parse(path)?;
        let store = self.df.session().context().runtime_env().object_store(target.object_store())?;
        let mut staged = ObjectStagedWrite::create(store, &target)?;
        if staged.target_exists().await? {
            match mode {
                SaveMode::Ignore => return Ok(()),
                SaveMode::ErrorIfExists => return Err(FlintError::PathAlreadyExists { path: path.to_string() }),
                SaveMode::Overwrite | SaveMode::Append => {}
            }
        }
        let written = async {
            let write = self.write_plan(format, &staged.dir_url()).await?;
            let task_outputs = self.run_write(&write).await?;
            staged.adopt_task_attempts(&attempt_dirs(&task_outputs)?).await
        };
        match written.await {
            Ok(()) => {
                staged.commit(mode).await?;
                Ok(refresh_caches_reading(target.as_str()).await?)
            }
            Err(error) => {
                staged.abort().await;
                Err(error)
            }
        }
    }

    /// Runs the write's tasks, and writes the file with the schema alone (into the
    /// staging directory) when no task wrote a row, as Spark does.
    async fn run_write(&self, write: &Arc<WriteFilesExec>) -> Result<Vec<RecordBatch>> {
        let task_outputs = self.df.run_plan(Arc::clone(write) as Arc<dyn ExecutionPlan>).await?;
        if self.partition_by.is_empty() && rows_written(&task_outputs) == 0 {
            let context = Arc::new(TaskContext::from(&self.df.inner().clone().into_parts().0));
            write.write_schema_only(context).await?;
        }
        Ok(task_outputs)
    }

    /// The write as tasks: DataFusion plans writing the query into `dir`, and each
    /// partition of the query then runs as a task of its own ([`WriteFilesExec`]).
    async fn write_plan(&self, format: Format, dir_url: &str) -> Result<Arc<WriteFilesExec>> {
        let file_type: Arc<dyn FileType> = match format {
            Format::Parquet => format_as_file_type(Arc::new(ParquetFormatFactory::new_with_options(self.parquet_options()?))),
            Format::Csv => format_as_file_type(Arc::new(CsvFormatFactory::new_with_options(self.csv_options()?))),
            Format::Json => format_as_file_type(Arc::new(JsonFormatFactory::new())),
        };
        let (state, query) = self.df.inner().clone().into_parts();
        let options = HashMap::from([("single_file_output".to_string(), "false".to_string())]);
        let copy = LogicalPlanBuilder::copy_to(query, dir_url.to_string(), file_type, options, self.partition_by.clone())?.build()?;
        let sink_plan = datafusion::dataframe::DataFrame::new(state, copy).create_physical_plan().await?;
        Ok(Arc::new(WriteFilesExec::from_sink_plan(sink_plan)?))
    }

    /// Writes Parquet files into `path`.
    pub async fn parquet(self, path: &str) -> Result<()> {
        self.format("parquet").save(path).await
    }

    /// Writes CSV files into `path`.
    pub async fn csv(self, path: &str) -> Result<()> {
        self.format("csv").save(path).await
    }

    /// Writes JSON Lines files into `path`.
    pub async fn json(self, path: &str) -> Result<()> {
        self.format("json").save(path).await
    }

    /// Parquet settings: Spark's default codec is snappy.
    fn parquet_options(&self) -> Result<TableParquetOptions> {
        let mut options = TableParquetOptions::default();
        let codec = self.options.get("compression").unwrap_or("snappy").to_ascii_lowercase();
        options.global.compression = Some(if codec == "none" { "uncompressed".to_string() } else { codec });
        Ok(options)
    }

    /// CSV settings from Spark's option names; Spark writes no header unless asked.
    fn csv_options(&self) -> Result<CsvOptions> {
        let f = Format::Csv;
        let mut options = CsvOptions::default().with_has_header(self.options.bool(f, "header", false)?);
        if let Some(sep) = self.options.byte(f, "sep")?.or(self.options.byte(f, "delimiter")?) {
            options.delimiter = sep;
        }
        if let Some(quote) = self.options.byte(f, "quote")? {
            options.quote = quote;
        }
        if let Some(escape) = self.options.byte(f, "escape")? {
            options.escape = Some(escape);
        }
        options.null_value = self.options.get("nullValue").map(str::to_string);
        Ok(options)
    }
}

/// How many rows the write tasks wrote (see [`task_output_schema`]).
fn rows_written(task_outputs: &[RecordBatch]) -> u64 {
    task_outputs
        .iter()
        .filter_map(|batch| batch.column_by_name("rows").and_then(|c| c.as_any().downcast_ref::<UInt64Array>()))
        .map(|rows| rows.iter().flatten().sum::<u64>())
        .sum()
}

/// The folders (URLs) the write tasks that finished wrote into (see [`task_output_schema`]).
fn attempt_dirs(task_outputs: &[RecordBatch]) -> Result<Vec<String>> {
    let mut dirs = Vec::new();
    for batch in task_outputs {
        let column = batch.column_by_name("attempt_dir").and_then(|c| c.as_any().downcast_ref::<StringArray>());
        let column = column.ok_or_else(|| internal("a write task returned no attempt folder".to_string()))?;
        dirs.extend(column.iter().flatten().map(str::to_string));
    }
    Ok(dirs)
}

/// The local folder a write task's `file://` URL names.
fn local_path(url: &str) -> Result<PathBuf> {
    let path = url::Url::parse(url).ok().and_then(|u| u.to_file_path().ok());
    path.ok_or_else(|| internal(format!("a write task wrote into {url}, not a local folder")))
}

fn internal(message: String) -> FlintError {
    datafusion::error::DataFusionError::Internal(message).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_modes_use_spark_names() {
        assert_eq!(SaveMode::from_str("errorifexists").ok(), Some(SaveMode::ErrorIfExists));
        assert_eq!(SaveMode::from_str("Overwrite").ok(), Some(SaveMode::Overwrite));
        let error = SaveMode::from_str("upsert").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.starts_with("unknown save mode 'upsert'"), "{error}");
    }
}
