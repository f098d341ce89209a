//! `df.write`: writing DataFrames to files with Spark's formats, options and save modes.

mod commit;

pub use commit::StagedWrite;

use std::path::Path;
use std::str::FromStr;

use datafusion::common::config::{CsvOptions, TableParquetOptions};
use datafusion::dataframe::DataFrameWriteOptions;

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
    /// The files are written beside the target and moved in once the whole job has
    /// finished (see [`StagedWrite`]), so a failed job leaves the target as it was, and a
    /// query may overwrite the path it reads.
    pub async fn save(self, path: &str) -> Result<()> {
        let format: Format = self.format.parse()?;
        let mode: SaveMode = self.mode.parse()?;
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
        let write_options = DataFrameWriteOptions::new()
            .with_single_file_output(false)
            .with_partition_by(self.partition_by.clone());
        let df = self.df.inner().clone();
        let dir = format!("{}/", staged.dir().display());
        match format {
            Format::Parquet => {
                df.write_parquet(&dir, write_options, Some(self.parquet_options()?)).await?;
            }
            Format::Csv => {
                df.write_csv(&dir, write_options, Some(self.csv_options()?)).await?;
            }
            Format::Json => {
                df.write_json(&dir, write_options, None).await?;
            }
        }
        staged.commit(mode)
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
