//! Puts a session on the cluster its master names: for `local-cluster[E,C,M]`, starts the
//! executors and sends the session's jobs to them; `local[N]` runs them in this process.
//! Either way the driver's UI and event log start ([`LiveUi`]).

use super::LocalCluster;
use crate::listener::ListenerEvent;
use crate::listener::events::now_millis;
use crate::listener::local_events::{DRIVER_EXECUTOR, LocalJobEvents};
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

/// A driver process's backend: the cluster its jobs run on (none for `local[N]`, whose
/// jobs run in this process) and the UI and event log they report to.
#[derive(Debug)]
pub struct Driver {
    cluster: Option<Arc<ClusterScheduler>>,
    /// The UI of a `local[N]` driver (a cluster's scheduler owns its own bus).
    local_ui: Option<LiveUi>,
}

impl Driver {
    /// The cluster's scheduler, for masters with executors.
    pub fn cluster(&self) -> Option<&Arc<ClusterScheduler>> {
        self.cluster.as_ref()
    }

    /// What sessions hand their jobs to: the cluster, or `None` to run them in process.
    pub fn job_runner(&self) -> Option<Arc<dyn JobRunner>> {
        self.cluster.clone().map(|cluster| cluster as Arc<dyn JobRunner>)
    }

    /// Ends the application: stops the executors, then posts its end for the listeners
    /// and waits until they have it (the event log is complete).
    pub async fn shutdown(&self) {
        if let Some(cluster) = &self.cluster {
            cluster.shutdown().await;
        }
        if let Some(ui) = &self.local_ui {
            ui.bus.post(ListenerEvent::ApplicationEnd { time: now_millis() });
            ui.bus.flush().await;
        }
    }
}

/// Starts the driver `session`'s master asks for ([`start_cluster`]) and sends the
/// session's jobs to its cluster, if it has one. Call [`Driver::shutdown`] when done.
pub async fn attach(session: &FlintSession, binary: PathBuf) -> Result<Driver, AttachError> {
    let driver = start_cluster(&session.conf(), binary).await?;
    if let Some(cluster) = driver.cluster() {
        run_jobs_on(session, cluster.clone());
    }
    Ok(driver)
}

/// Starts the driver `conf` asks for: for `local-cluster[E,C,M]`, the executors,
/// processes of `binary` (a `flint` binary with the `executor` subcommand), which
/// sessions share through [`run_jobs_on`]; for `local[N]`, the UI that this process's
/// jobs report to. Every call between the driver and its executors carries the
/// application's secret: `spark.authenticate.secret` if set, else a random one.
pub async fn start_cluster(conf: &SparkConf, binary: PathBuf) -> Result<Driver, AttachError> {
    let host = conf.get("spark.driver.bindAddress").unwrap_or("0.0.0.0");
    let Master::LocalCluster { executors, cores, memory_mb } = conf.master()? else {
        return Ok(Driver { cluster: None, local_ui: Some(start_local_ui(conf, host).await?) });
    };
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
    let ui = LiveUi::start(conf, host).await?;
    let scheduler_conf = SchedulerConf { listener: ui.bus.clone(), ..SchedulerConf::from_spark(conf) };
    let scheduler = ClusterScheduler::start(Arc::new(backend), scheduler_conf, secret, executors).await?;
    eprintln!("flint: the local cluster's driver serves executors at {}", scheduler.address());
    announce(&ui);
    Ok(Driver { cluster: Some(scheduler), local_ui: None })
}

/// The UI of a `local[N]` driver: this process's jobs report to its bus, and the driver
/// is its one executor, with the master's cores.
async fn start_local_ui(conf: &SparkConf, host: &str) -> Result<LiveUi, AttachError> {
    let ui = LiveUi::start(conf, host).await?;
    if ui.bus.is_enabled() {
        if let Err(error) = flint_engine::local_listener::install(Arc::new(LocalJobEvents(ui.bus.clone()))) {
            tracing::warn!(%error, "this driver's UI shows no local jobs");
        }
        let host_port = ui.address.map(|address| format!("{}:{}", ui_host(address), address.port()));
        ui.bus.post(ListenerEvent::ExecutorAdded {
            time: now_millis(),
            executor_id: DRIVER_EXECUTOR.to_string(),
            host_port: host_port.unwrap_or_else(|| "localhost".to_string()),
            total_cores: conf.master()?.cores(),
        });
    }
    if let Some(address) = ui.address {
        // An event, not a line on stderr: `flint sql` and `flint submit` in local mode keep
        // their stderr for errors, as spark-sql's console shows INFO logs only when asked.
        tracing::info!(url = %format!("http://{}:{}", ui_host(address), address.port()), "the Flint UI is serving");
    }
    Ok(ui)
}

/// Tells the user where the UI is.
fn announce(ui: &LiveUi) {
    if let Some(address) = ui.address {
        eprintln!("flint: the Flint UI is at http://{}:{}", ui_host(address), address.port());
    }
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
