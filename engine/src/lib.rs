//! Flint's engine: Spark SQL and DataFrame semantics on Apache DataFusion.
//!
//! A [`FlintSession`] is configured from Spark keys ([`config`]), parses SQL in Spark's
//! dialect, reads and writes Parquet, CSV and JSON with Spark's option names, and hands
//! out lazy [`DataFrame`]s with Spark's method names.

#[macro_use]
mod leaf_exec;

pub mod cache;
pub mod cache_table;
pub mod config;
pub mod create_table;
pub mod dataframe;
pub mod error;
pub mod ids;
pub mod job_runner;
pub mod local_listener;
pub mod local_runner;
pub mod session_runner;
pub mod managed_tables;
pub mod partition_discovery;
pub mod path_tables;
pub mod planner;
pub mod progress;
pub mod python;
pub mod proto;
pub mod reader;
pub mod result_size;
pub mod script;
pub mod session;
pub mod shuffle;
pub mod sources;
pub mod spark;
pub mod spillable_join;
pub mod sql;
pub mod sql_conf;
pub mod storage;
pub mod writer;

pub use dataframe::{DataFrame, GroupedData};
pub use error::{FlintError, Result};
pub use session::FlintSession;

/// Expressions for the DataFrame API (`col`, `lit`, aggregates, sort orders).
pub mod functions {
    pub use datafusion::functions_aggregate::expr_fn::{avg, count, max, min, sum};
    pub use datafusion::prelude::{Expr, col, lit};
}
