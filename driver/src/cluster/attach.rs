//! Puts a session on the cluster its master names: for `local-cluster[E,C,M]`, starts the
//! executors and sends the session's jobs to them; `local[N]` needs nothing.

use super::LocalCluster;
use crate::scheduler::{ClusterScheduler, SchedulerConf};
use crate::ui::LiveUi;
use flint_engine::FlintSession;
use flint_engine::config::{Master, SparkConf};
use flint_engine::job_runner::JobRunner;
use flint_proto::auth::{AppSecret, SECRET_KEY};
use flint_proto::conf::parse_duration;
use std::path::PathBuf;
use std::sync::Arc;

/// Why a session could not be put on its cluster.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// `spark.master` is not a master Flint knows.
    #[error(transparent)]
    Master(#[from] flint_engine::FlintError),
    /// The executors or the driver's service could not start.
    #[error("cannot start the local cluster: {0}")]
    Start(#[from] crate::scheduler::StartError),
    /// The application secret could not be made or read.
    #[error(transparent)]
    Secret(#[from] flint_proto::auth::SecretError),
    /// The UI or the event log could not start.
    #[error(transparent)]
    Ui(#[from] crate::ui::UiError),
}

/// For a local-cluster master: starts executor processes of `binary` (a `flint` binary
/// with the `executor` subcommand) and makes them run the session's jobs. `None` for
/// masters that run in this process. Call [`ClusterScheduler::shutdown`] when done.
pub async fn attach(session: &FlintSession, binary: PathBuf) -> Result<Option<Arc<ClusterScheduler>>, AttachError> {
    let cluster = start_cluster(&session.conf(), binary).await?;
    if let Some(cluster) = &cluster {
        run_jobs_on(session, cluster.clone());
    }
    Ok(cluster)
}

/// Starts the executors `conf`'s master asks for (`local-cluster[E,C,M]`), processes of
/// `binary`; `None` for masters that run in this process. Sessions share the cluster
/// through [`run_jobs_on`]. Every call between the driver and its executors carries the
/// application's secret: `spark.authenticate.secret` if set, else a random one.
pub async fn start_cluster(conf: &SparkConf, binary: PathBuf) -> Result<Option<Arc<ClusterScheduler>>, AttachError> {
    let Master::LocalCluster { executors, cores, memory_mb } = conf.master()? else { return Ok(None) };
    let work_dir = conf.local_dirs().into_iter().next().unwrap_or_else(std::env::temp_dir);
    let mut backend = LocalCluster::new(binary, cores, memory_mb, work_dir);
    if let Some(interval) = conf.get("spark.executor.heartbeatInterval").and_then(parse_duration) {
        backend.heartbeat_interval = interval;
    }
    backend.extra_args = vec!["--shuffle-compress".to_string(), conf.shuffle_compress()?.to_string()];
    if let Some(port) = conf.get(crate::ui::conf::EXECUTOR_METRICS_PORT.name) {
        backend.extra_args.extend(["--metrics-port".to_string(), port.trim().to_string()]);
    }
    if let Some(version) = conf.get("spark.flint.test.executorProtocolVersion") {
        backend.extra_args.extend(["--protocol-version".to_string(), version.to_string()]);
    }
    let secret = match conf.get(SECRET_KEY) {
        Some(secret) => AppSecret::new(secret)?,
        None => AppSecret::generate()?,
    };
    let ui = LiveUi::start(conf, conf.get("spark.driver.bindAddress").unwrap_or("0.0.0.0")).await?;
    let scheduler_conf = SchedulerConf { listener: ui.bus.clone(), ..SchedulerConf::from_spark(conf) };
    let scheduler = ClusterScheduler::start(Arc::new(backend), scheduler_conf, secret, executors).await?;
    eprintln!("flint: the local cluster's driver serves executors at {}", scheduler.address());
    if let Some(address) = ui.address {
        eprintln!("flint: the Flint UI is at http://{}:{}", ui_host(address), address.port());
    }
    Ok(Some(scheduler))
}

/// The host to print for a UI bound to `address` (loopback for a wildcard bind).
pub fn ui_host(address: std::net::SocketAddr) -> String {
    if address.ip().is_unspecified() { "localhost".to_string() } else { address.ip().to_string() }
}

/// Sends `session`'s jobs to `runner` (a cluster), planning them for separate processes.
pub fn run_jobs_on(session: &FlintSession, runner: Arc<dyn JobRunner>) {
    flint_engine::planner::configure_session_for_stages(session.context());
    session.set_job_runner(runner);
}
