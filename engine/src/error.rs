//! Flint's engine errors: DataFusion's taxonomy plus what Flint itself checks.

use datafusion::error::DataFusionError;

/// Errors of the Flint engine. Messages say what failed, on what, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum FlintError {
    /// A configuration value could not be understood.
    #[error("invalid value '{value}' for {key}: {reason}")]
    InvalidConf {
        /// The configuration key.
        key: String,
        /// The value given.
        value: String,
        /// What was expected.
        reason: String,
    },
    /// A `spark.sql.*` key set at run time that Flint would not honour.
    #[error("[FLINT_UNSUPPORTED_CONF] cannot set {key} to '{value}': {reason}")]
    UnsupportedConf {
        /// The configuration key.
        key: String,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// A decimal wider than Spark's 38 digits (a SQL literal with more digits).
    #[error("[DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION] Decimal precision {precision} exceeds max precision 38.")]
    DecimalPrecisionExceedsMax {
        /// The precision asked for.
        precision: u8,
    },
    /// A path given to a reader does not exist.
    #[error("[PATH_NOT_FOUND] Path does not exist: {path}")]
    PathNotFound {
        /// The path as the user gave it.
        path: String,
    },
    /// A writer in save mode `error` found its target already there.
    #[error("[PATH_ALREADY_EXISTS] Path {path} already exists. Set mode as \"overwrite\" to overwrite the existing path, or \"append\" to add to it")]
    PathAlreadyExists {
        /// The target path.
        path: String,
    },
    /// A reader or writer option is unknown or has a bad value.
    #[error("invalid option {option}='{value}' for {format}: {reason}")]
    InvalidOption {
        /// The data source format.
        format: String,
        /// The option name.
        option: String,
        /// The value given.
        value: String,
        /// What was expected.
        reason: String,
    },
    /// A data source format Flint does not read or write.
    #[error("unsupported data source '{format}': use parquet, csv or json")]
    UnsupportedFormat {
        /// The format as given.
        format: String,
    },
    /// A save mode that Spark does not define.
    #[error("unknown save mode '{mode}': use error, errorifexists, append, overwrite or ignore")]
    UnknownSaveMode {
        /// The mode as given.
        mode: String,
    },
    /// The job ran out of memory it could not spill.
    #[error("{source}\nhint: raise {key} (now {value}) or lower the data per task")]
    OutOfMemory {
        /// The memory key that sized the pool.
        key: &'static str,
        /// Its current value.
        value: String,
        /// DataFusion's report of the failed allocation.
        source: DataFusionError,
    },
    /// SQL text could not be parsed.
    #[error("[PARSE_SYNTAX_ERROR] Syntax error: {message} (line {line}, pos {column})\n\n== SQL ==\n{}", caret_excerpt(sql, *line, *column))]
    Parse {
        /// What the parser expected and found.
        message: String,
        /// The SQL text.
        sql: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// A local file-system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What Flint was doing.
        action: &'static str,
        /// The path involved.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A request to an object store (`s3a://`, `gs://`, …) failed.
    #[error("{action} {path}: {source}")]
    ObjectStore {
        /// What Flint was doing.
        action: &'static str,
        /// The URL involved.
        path: String,
        /// The store's error (refusals name the bucket and the key to fix).
        source: object_store::Error,
    },
    /// Planning or execution failed in DataFusion.
    #[error(transparent)]
    DataFusion(DataFusionError),
}

impl From<DataFusionError> for FlintError {
    /// Unwraps Flint errors that travelled through DataFusion (from catalogs and table
    /// providers) so they reach the user as themselves.
    fn from(error: DataFusionError) -> Self {
        match error {
            DataFusionError::External(inner) => match inner.downcast::<FlintError>() {
                Ok(flint) => *flint,
                Err(other) => Self::DataFusion(DataFusionError::External(other)),
            },
            other => Self::DataFusion(other),
        }
    }
}

/// Result type of the Flint engine.
pub type Result<T, E = FlintError> = std::result::Result<T, E>;

/// The SQL text with a caret line under `column` of `line` (both 1-based), as Spark shows it.
fn caret_excerpt(sql: &str, line: usize, column: usize) -> String {
    let mut out = String::new();
    for (index, text) in sql.lines().enumerate() {
        out.push_str(text);
        out.push('\n');
        if index + 1 == line {
            out.push_str(&"-".repeat(column.saturating_sub(1)));
            out.push_str("^^^\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_points_at_the_column() {
        let error = FlintError::Parse {
            message: "Expected: an expression, found: FROM".to_string(),
            sql: "SELECT\nFROM t".to_string(),
            line: 2,
            column: 1,
        };
        let text = error.to_string();
        assert!(text.contains("(line 2, pos 1)"), "{text}");
        assert!(text.ends_with("== SQL ==\nSELECT\nFROM t\n^^^\n"), "{text}");
    }
}
