//! Errors of the Spark Connect layer, mapped once to Spark exception classes so that
//! PySpark raises the right exception (`AnalysisException`, `ParseException` …).

use std::collections::HashMap;

use datafusion::error::DataFusionError;
use flint_engine::FlintError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// A failure while serving a Spark Connect request.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The plan uses a relation, expression or command Flint does not support yet.
    #[error("[UNSUPPORTED_FEATURE] {what} is not supported by Flint's Spark Connect server yet")]
    Unsupported {
        /// What was asked for, e.g. `relation Unpivot`.
        what: String,
    },
    /// The plan is malformed (a required field is missing or has a bad value).
    #[error("[CONNECT_INVALID_PLAN] invalid plan: {reason}")]
    InvalidPlan {
        /// What is wrong with it.
        reason: String,
    },
    /// A column name does not resolve against the input.
    #[error("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `{name}` cannot be resolved. Did you mean one of the following? [{suggestions}].")]
    UnresolvedColumn {
        /// The name as the user wrote it.
        name: String,
        /// Close matches among the input's columns, quoted and comma separated.
        suggestions: String,
    },
    /// `t.*` where `t` is neither an alias of the input nor a struct column.
    #[error("[CANNOT_RESOLVE_STAR_EXPAND] Cannot resolve `{target}`.* given input columns {columns}.")]
    CannotExpandStar {
        /// The name before `.*`.
        target: String,
        /// The input's columns, quoted and comma separated.
        columns: String,
    },
    /// A function name that neither Spark's built-ins nor DataFusion know.
    #[error("[UNRESOLVED_ROUTINE] Cannot resolve routine `{name}` on search path [`system`.`builtin`, `system`.`session`].")]
    UnresolvedRoutine {
        /// The function name.
        name: String,
    },
    /// A configuration key with no value and no default.
    #[error("[SQL_CONF_NOT_FOUND] The SQL config \"{key}\" cannot be found. Please verify that the config exists.")]
    ConfNotFound {
        /// The key asked for.
        key: String,
    },
    /// An argument has a value Spark would reject.
    #[error("{reason}")]
    IllegalArgument {
        /// What was wrong.
        reason: String,
    },
    /// A plan Spark's analyzer rejects, with Spark's error condition.
    #[error("[{condition}] {message}")]
    Analysis {
        /// Spark's error condition (`UNSUPPORTED_GENERATOR.MULTI_GENERATOR`).
        condition: &'static str,
        /// What was wrong and where.
        message: String,
    },
    /// An `ExecutePlan` reuses the id of an operation the session still has.
    #[error("[INVALID_HANDLE.OPERATION_ALREADY_EXISTS] Operation {operation_id} already exists")]
    OperationExists {
        /// The operation id given.
        operation_id: String,
    },
    /// An operation id that is unknown or already released.
    #[error("[INVALID_HANDLE.OPERATION_NOT_FOUND] Operation {operation_id} not found")]
    OperationNotFound {
        /// The operation id given.
        operation_id: String,
    },
    /// A reattach names a response this operation no longer keeps (the client released
    /// it, or more than the retry buffer was sent since).
    #[error("[INVALID_CURSOR.POSITION_NOT_AVAILABLE] The cursor is invalid. The cursor position id {response_id} is no longer available at index {index} (operation {operation_id}).")]
    CursorReleased {
        /// The operation id.
        operation_id: String,
        /// The response the client saw last.
        response_id: String,
        /// The position the reattach asked for.
        index: u64,
    },
    /// A reattach names a response this operation never sent.
    #[error("[INVALID_CURSOR.POSITION_NOT_FOUND] The cursor is invalid. The cursor position id {response_id} is not found (operation {operation_id}).")]
    CursorNotFound {
        /// The operation id.
        operation_id: String,
        /// The response id given.
        response_id: String,
    },
    /// The operation was interrupted by the client.
    #[error("[OPERATION_CANCELED] Operation {operation_id} has been cancelled")]
    Interrupted {
        /// The operation id.
        operation_id: String,
    },
    /// A failure from the engine (planning or execution).
    #[error(transparent)]
    Engine(#[from] FlintError),
    /// Encoding results as Arrow IPC failed.
    #[error("cannot encode results as Arrow IPC: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
}

impl From<DataFusionError> for ConnectError {
    fn from(error: DataFusionError) -> Self {
        ConnectError::Engine(FlintError::from(error))
    }
}

/// Results of the Connect layer.
pub type Result<T> = std::result::Result<T, ConnectError>;

/// The Spark exception class, Spark error class and gRPC code an error maps to.
struct SparkClass {
    classes: &'static [&'static str],
    error_class: Option<&'static str>,
    code: Code,
}

const ANALYSIS: &[&str] = &["org.apache.spark.sql.AnalysisException"];
const PARSE: &[&str] =
    &["org.apache.spark.sql.catalyst.parser.ParseException", "org.apache.spark.sql.AnalysisException"];
const ILLEGAL_ARGUMENT: &[&str] = &["java.lang.IllegalArgumentException"];
const UNSUPPORTED: &[&str] = &["java.lang.UnsupportedOperationException"];
const ARITHMETIC: &[&str] = &["org.apache.spark.SparkArithmeticException", "java.lang.ArithmeticException"];
const NO_SUCH_ELEMENT: &[&str] = &["java.util.NoSuchElementException"];
const SPARK: &[&str] = &["org.apache.spark.SparkException"];
const PYTHON: &[&str] = &["org.apache.spark.api.python.PythonException", "org.apache.spark.SparkException"];
const ARRAY_INDEX: &[&str] =
    &["org.apache.spark.SparkArrayIndexOutOfBoundsException", "java.lang.ArrayIndexOutOfBoundsException"];
const SPARK_RUNTIME: &[&str] = &["org.apache.spark.SparkRuntimeException"];

/// Spark's runtime error conditions Flint raises while running a query (on an executor
/// too, where only the text travels), with the exception classes Spark raises them as.
const RUNTIME_CONDITIONS: &[(&str, &[&str])] =
    &[
        ("INVALID_ARRAY_INDEX_IN_ELEMENT_AT", ARRAY_INDEX),
        ("INVALID_INDEX_OF_ZERO", SPARK_RUNTIME),
        ("INVALID_NUMERIC_LITERAL_RANGE", PARSE),
        ("USER_RAISED_EXCEPTION", SPARK_RUNTIME),
    ];

/// The exception classes and condition of a runtime error whose message names one of
/// [`RUNTIME_CONDITIONS`] (as `[CONDITION]`).
fn runtime_condition(message: &str) -> Option<(&'static [&'static str], &'static str)> {
    RUNTIME_CONDITIONS
        .iter()
        .find(|(condition, _)| message.contains(&format!("[{condition}]")))
        .map(|(condition, classes)| (*classes, *condition))
}

const SPARK_SQL: &[&str] = &["org.apache.spark.SparkSQLException", "org.apache.spark.SparkException"];

impl ConnectError {
    fn spark_class(&self) -> SparkClass {
        let class = |classes, error_class, code| SparkClass { classes, error_class, code };
        match self {
            ConnectError::Unsupported { .. } => class(UNSUPPORTED, Some("UNSUPPORTED_FEATURE"), Code::Unimplemented),
            ConnectError::InvalidPlan { .. } => class(ANALYSIS, Some("CONNECT_INVALID_PLAN"), Code::InvalidArgument),
            ConnectError::UnresolvedColumn { .. } => {
                class(ANALYSIS, Some("UNRESOLVED_COLUMN.WITH_SUGGESTION"), Code::InvalidArgument)
            }
            ConnectError::CannotExpandStar { .. } => {
                class(ANALYSIS, Some("CANNOT_RESOLVE_STAR_EXPAND"), Code::InvalidArgument)
            }
            ConnectError::UnresolvedRoutine { .. } => {
                class(ANALYSIS, Some("UNRESOLVED_ROUTINE"), Code::InvalidArgument)
            }
            ConnectError::ConfNotFound { .. } => {
                class(NO_SUCH_ELEMENT, Some("SQL_CONF_NOT_FOUND"), Code::InvalidArgument)
            }
            ConnectError::IllegalArgument { .. } => class(ILLEGAL_ARGUMENT, None, Code::InvalidArgument),
            ConnectError::Analysis { condition, .. } => class(ANALYSIS, Some(condition), Code::InvalidArgument),
            ConnectError::OperationNotFound { .. } => {
                class(SPARK, Some("INVALID_HANDLE.OPERATION_NOT_FOUND"), Code::NotFound)
            }
            ConnectError::Interrupted { .. } => class(SPARK, Some("OPERATION_CANCELED"), Code::Cancelled),
            ConnectError::OperationExists { .. } => {
                class(SPARK_SQL, Some("INVALID_HANDLE.OPERATION_ALREADY_EXISTS"), Code::AlreadyExists)
            }
            ConnectError::CursorReleased { .. } => {
                class(SPARK_SQL, Some("INVALID_CURSOR.POSITION_NOT_AVAILABLE"), Code::FailedPrecondition)
            }
            ConnectError::CursorNotFound { .. } => {
                class(SPARK_SQL, Some("INVALID_CURSOR.POSITION_NOT_FOUND"), Code::FailedPrecondition)
            }
            ConnectError::Arrow(_) => class(SPARK, None, Code::Internal),
            ConnectError::Engine(error) => engine_class(error),
        }
    }

    /// The gRPC status PySpark turns into its exception: the message, plus an
    /// `ErrorInfo` whose metadata carries `classes` and `errorClass`.
    pub fn to_status(&self) -> Status {
        let mut spark = self.spark_class();
        let mut message = self.to_string();
        // A Python exception, raised here or on an executor (where only its text
        // travels): PySpark raises PythonException, putting its own first line above the
        // traceback sent (as it does for Spark's).
        let marker = flint_engine::python::PYTHON_EXCEPTION_MESSAGE;
        if let Some(start) = message.find(marker) {
            message = message[start + marker.len()..].trim_start_matches('\n').to_string();
            spark = SparkClass { classes: PYTHON, error_class: None, code: Code::Internal };
        }
        let mut metadata = HashMap::new();
        let classes = serde_json::to_string(spark.classes).unwrap_or_else(|_| "[]".to_string());
        metadata.insert("classes".to_string(), classes);
        if let Some(error_class) = spark.error_class {
            metadata.insert("errorClass".to_string(), error_class.to_string());
        }
        let reason = spark.classes.first().copied().unwrap_or("org.apache.spark.SparkException");
        let details = ErrorDetails::with_error_info(reason, "org.apache.spark", metadata);
        Status::with_error_details(spark.code, message, details)
    }
}

fn engine_class(error: &FlintError) -> SparkClass {
    let class = |classes, error_class, code| SparkClass { classes, error_class, code };
    if let Some((classes, condition)) = runtime_condition(&error.to_string()) {
        return class(classes, Some(condition), Code::InvalidArgument);
    }
    match error {
        FlintError::DataFusion(df) => match df.find_root() {
            DataFusionError::SQL(..) => class(PARSE, Some("PARSE_SYNTAX_ERROR"), Code::InvalidArgument),
            DataFusionError::SchemaError(error, _)
                if matches!(error.as_ref(), datafusion::common::SchemaError::FieldNotFound { .. }) =>
            {
                class(ANALYSIS, Some("UNRESOLVED_COLUMN.WITH_SUGGESTION"), Code::InvalidArgument)
            }
            DataFusionError::Plan(message)
                if message.contains("No table named") || (message.contains("table") && message.contains("not found")) =>
            {
                class(ANALYSIS, Some("TABLE_OR_VIEW_NOT_FOUND"), Code::InvalidArgument)
            }
            DataFusionError::Plan(_) | DataFusionError::SchemaError(..) => {
                class(ANALYSIS, None, Code::InvalidArgument)
            }
            DataFusionError::NotImplemented(_) => class(UNSUPPORTED, None, Code::Unimplemented),
            DataFusionError::ArrowError(arrow_error, _)
                if matches!(arrow_error.as_ref(), arrow::error::ArrowError::DivideByZero) =>
            {
                class(ARITHMETIC, Some("DIVIDE_BY_ZERO"), Code::InvalidArgument)
            }
            _ => class(SPARK, None, Code::Internal),
        },
        FlintError::Parse { .. } => class(PARSE, Some("PARSE_SYNTAX_ERROR"), Code::InvalidArgument),
        FlintError::PathNotFound { .. } => class(ANALYSIS, Some("PATH_NOT_FOUND"), Code::InvalidArgument),
        FlintError::PathAlreadyExists { .. } => {
            class(ANALYSIS, Some("PATH_ALREADY_EXISTS"), Code::InvalidArgument)
        }
        FlintError::InvalidConf { .. }
        | FlintError::InvalidOption { .. }
        | FlintError::UnknownSaveMode { .. } => class(ILLEGAL_ARGUMENT, None, Code::InvalidArgument),
        FlintError::UnsupportedFormat { .. } => class(ANALYSIS, None, Code::InvalidArgument),
        FlintError::DecimalPrecisionExceedsMax { .. } => {
            class(ARITHMETIC, Some("DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION"), Code::InvalidArgument)
        }
        _ => class(SPARK, None, Code::Internal),
    }
}

impl From<ConnectError> for Status {
    fn from(error: ConnectError) -> Self {
        error.to_status()
    }
}
