//! Flint's test support: a sqllogictest connection over a Flint session.

use std::path::PathBuf;

use arrow::datatypes::DataType;
use async_trait::async_trait;
use flint_engine::FlintSession;
use flint_engine::spark::format::format_cell;
use sqllogictest::{DBOutput, DefaultColumnType};

/// A sqllogictest database: each statement runs in one Flint session, as `spark.sql`.
/// `$DATA` in SQL stands for the absolute path of `tests/slt/data`.
pub struct FlintSlt {
    session: FlintSession,
    data_dir: String,
}

impl FlintSlt {
    /// A fresh session on `master` (`local[N]`).
    pub fn new(master: &str) -> flint_engine::Result<Self> {
        let data_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into())).join("slt").join("data");
        Ok(Self {
            session: FlintSession::builder().master(master).build()?,
            data_dir: data_dir.display().to_string(),
        })
    }
}

#[async_trait]
impl sqllogictest::AsyncDB for FlintSlt {
    type Error = flint_engine::FlintError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, Self::Error> {
        let sql = sql.replace("$DATA", &self.data_dir);
        let df = self.session.sql(&sql).await?;
        let batches = df.collect().await?;
        let schema = df.schema();
        if schema.fields().is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = schema.fields().iter().map(|f| column_type(f.data_type())).collect();
        let mut rows = Vec::new();
        for batch in &batches {
            for row in 0..batch.num_rows() {
                rows.push(batch.columns().iter().map(|c| format_cell(c.as_ref(), row)).collect());
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "flint"
    }
}

/// The sqllogictest column type letter of an Arrow type: I, R or T.
fn column_type(data_type: &DataType) -> DefaultColumnType {
    if data_type.is_integer() {
        DefaultColumnType::Integer
    } else if data_type.is_floating() || matches!(data_type, DataType::Decimal128(..) | DataType::Decimal256(..)) {
        DefaultColumnType::FloatingPoint
    } else {
        DefaultColumnType::Text
    }
}
