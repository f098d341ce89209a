//! `spark.read`: reading files into DataFrames with Spark's formats and option names.

use arrow::datatypes::SchemaRef;

use crate::dataframe::DataFrame;
use crate::error::Result;
use crate::session::FlintSession;
use crate::sources::{Format, SourceOptions, open_table};

/// Reads files into a DataFrame, as Spark's `DataFrameReader`.
#[derive(Debug, Clone)]
pub struct DataFrameReader {
    session: FlintSession,
    format: String,
    options: SourceOptions,
    schema: Option<SchemaRef>,
}

impl DataFrameReader {
    /// A reader of `session`, reading Parquet unless told otherwise.
    pub fn new(session: FlintSession) -> Self {
        Self { session, format: "parquet".to_string(), options: SourceOptions::default(), schema: None }
    }

    /// The data source format: `parquet`, `csv` or `json`.
    pub fn format(mut self, format: &str) -> Self {
        self.format = format.to_string();
        self
    }

    /// Sets a data source option by its Spark name (`header`, `inferSchema`, `sep`, …).
    pub fn option(mut self, key: &str, value: impl ToString) -> Self {
        self.options.set(key, value.to_string());
        self
    }

    /// Uses `schema` instead of inferring one.
    pub fn schema(mut self, schema: SchemaRef) -> Self {
        self.schema = Some(schema);
        self
    }

    /// Reads `paths` (files or directories) in the chosen format.
    pub async fn load(self, paths: &[&str]) -> Result<DataFrame> {
        let format: Format = self.format.parse()?;
        let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        let state = self.session.context().state();
        let table = open_table(&state, format, &paths, &self.options, self.schema).await?;
        let df = self.session.context().read_table(table)?;
        Ok(DataFrame::new(self.session, df))
    }

    /// Reads Parquet files.
    pub async fn parquet(self, path: &str) -> Result<DataFrame> {
        self.format("parquet").load(&[path]).await
    }

    /// Reads CSV files.
    pub async fn csv(self, path: &str) -> Result<DataFrame> {
        self.format("csv").load(&[path]).await
    }

    /// Reads JSON Lines files.
    pub async fn json(self, path: &str) -> Result<DataFrame> {
        self.format("json").load(&[path]).await
    }
}
