//! Spark's `format.\`path\`` table names: `SELECT * FROM parquet.\`/data/sales\``.

use std::str::FromStr;
use std::sync::{Arc, Weak};

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::execution::context::SessionState;
use parking_lot::RwLock;

use crate::sources::{Format, SourceOptions, open_table};

/// A schema named after a format (`parquet`, `csv`, `json`) whose tables are paths.
#[derive(Debug)]
pub struct PathTables {
    format: Format,
    state: Weak<RwLock<SessionState>>,
}

impl PathTables {
    /// A schema resolving table names as paths of `format`, read with `state`.
    pub fn new(format: Format, state: Weak<RwLock<SessionState>>) -> Self {
        Self { format, state }
    }

    /// The formats that get a path schema, by schema name.
    pub fn formats() -> impl Iterator<Item = (&'static str, Format)> {
        ["parquet", "csv", "json"]
            .into_iter()
            .filter_map(|name| Format::from_str(name).ok().map(|format| (name, format)))
    }
}

#[async_trait]
impl SchemaProvider for PathTables {
    fn table_names(&self) -> Vec<String> {
        Vec::new()
    }

    async fn table(&self, name: &str) -> DFResult<Option<Arc<dyn TableProvider>>> {
        let Some(state) = self.state.upgrade() else {
            return Ok(None);
        };
        let state = state.read().clone();
        let paths = [name.to_string()];
        open_table(&state, self.format, &paths, &SourceOptions::default(), None)
            .await
            .map(Some)
            .map_err(|e| DataFusionError::External(Box::new(e)))
    }

    fn table_exist(&self, _name: &str) -> bool {
        true
    }
}
