//! Failures of Python workers, worded as Spark words them so that the Connect layer can
//! raise `PythonException` in the client.

use datafusion::error::DataFusionError;

/// The first line of a Python exception's message, as Spark's `PythonException` has it;
/// the Connect layer recognises Python failures by it, also after they crossed from an
/// executor as text.
pub const PYTHON_EXCEPTION_MESSAGE: &str =
    "An exception was thrown from the Python worker. Please see the stack trace below.";

/// What went wrong running Python code on a worker.
#[derive(Debug, thiserror::Error)]
pub enum PythonError {
    /// The user's function (or PySpark's worker around it) raised.
    #[error("{PYTHON_EXCEPTION_MESSAGE}\n{traceback}")]
    Exception {
        /// The Python traceback, as `traceback.format_exc()` printed it.
        traceback: String,
    },
    /// The worker process could not be started.
    #[error("cannot start the Python worker '{python}': {source}; set spark.pyspark.python or PYSPARK_PYTHON to a Python 3 interpreter with pyspark-client (or pyspark) installed")]
    Spawn {
        /// The interpreter that was run.
        python: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The worker process died during a task (for example `os._exit`, a segfault or
    /// the out-of-memory killer), or closed its connection.
    #[error("Python worker exited unexpectedly (crashed) with {status}{stderr}; if the worker cannot import pyspark, set spark.pyspark.python or PYSPARK_PYTHON to a Python with pyspark-client installed")]
    Crashed {
        /// Its exit status, as far as it is known.
        status: String,
        /// The last lines it wrote to stderr, prefixed with a newline, or empty.
        stderr: String,
    },
    /// The worker sent bytes the protocol does not allow.
    #[error("Python worker protocol error: {what}")]
    Protocol {
        /// What was read.
        what: String,
    },
    /// Reading or writing the worker's socket failed.
    #[error("Python worker I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Encoding or decoding the Arrow data exchanged with the worker failed.
    #[error("Python worker data: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// The task's input failed, or its consumer went away.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

impl From<PythonError> for DataFusionError {
    fn from(error: PythonError) -> Self {
        match error {
            PythonError::DataFusion(error) => error,
            other => DataFusionError::External(Box::new(other)),
        }
    }
}
