//! Executor errors.

/// What went wrong in an executor.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    /// The executor's service could not listen.
    #[error("executor could not listen on {host}: {source}")]
    Listen {
        /// The host asked for.
        host: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The driver could not be reached.
    #[error("executor could not connect to the driver at {url}: {source}")]
    Connect {
        /// The driver URL.
        url: String,
        /// The cause.
        source: tonic::transport::Error,
    },
    /// The driver refused the registration (for example a protocol version mismatch).
    #[error("the driver refused executor {executor}: {message}")]
    Refused {
        /// This executor's id.
        executor: String,
        /// The driver's reason.
        message: String,
    },
    /// The block directory could not be prepared.
    #[error("executor could not prepare its block directory {path}: {source}")]
    BlockDir {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The application's secret cannot be used.
    #[error(transparent)]
    Secret(#[from] flint_proto::auth::SecretError),
    /// The executor's engine session could not be built.
    #[error("executor could not build its session: {0}")]
    Session(#[from] flint_engine::FlintError),
}
