//! Runs a PySpark script against an embedded Spark Connect server, as a Python
//! application's driver does: the server listens on a free localhost port and the
//! script runs with `SPARK_REMOTE=sc://localhost:<port>`.

use std::path::Path;
use std::process::ExitStatus;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::service::serve_listener;
use flint_engine::job_runner::JobRunner;
use std::sync::Arc;

/// Why a Python application could not be run.
#[derive(Debug, thiserror::Error)]
pub enum PythonAppError {
    /// The embedded server could not bind a port.
    #[error("cannot start the embedded Spark Connect server: {0}")]
    Bind(#[source] std::io::Error),
    /// The Python interpreter could not be started.
    #[error("cannot run {python} {script}: {source}; set FLINT_PYTHON to a Python with pyspark-client installed")]
    Spawn {
        /// The interpreter.
        python: String,
        /// The script.
        script: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Runs `script` with `args` under `python`, against an embedded server started from
/// `base_conf` whose jobs run on `cluster` when there is one; returns the script's exit
/// status.
pub async fn run_python_app(
    python: &str,
    script: &Path,
    args: &[String],
    base_conf: Vec<(String, String)>,
    cluster: Option<Arc<dyn JobRunner>>,
) -> Result<ExitStatus, PythonAppError> {
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(PythonAppError::Bind)?;
    let port = listener.local_addr().map_err(PythonAppError::Bind)?.port();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_listener(listener, base_conf, cluster, async {
        let _ = stopped.await;
    }));
    let status = tokio::process::Command::new(python)
        .arg(script)
        .args(args)
        .env("SPARK_REMOTE", format!("sc://localhost:{port}"))
        .env("SPARK_CONNECT_MODE_ENABLED", "1")
        .status()
        .await
        .map_err(|source| PythonAppError::Spawn {
            python: python.to_string(),
            script: script.display().to_string(),
            source,
        });
    let _ = stop.send(());
    let _ = server.await;
    status
}
