//! Flint's executor: registers with the driver, runs up to `spark.executor.cores` tasks at
//! once, keeps shuffle blocks in its block manager, serves them to other executors over
//! Arrow Flight and reports task status and heartbeats.

pub mod attempts;
pub mod block_manager;
pub mod error;
pub mod job_storage;
pub mod metrics;
pub mod registration;
pub mod service;
pub mod shuffle_client;
pub mod shuffle_service;
pub mod task_runner;

pub use error::ExecutorError;

use arrow_flight::flight_service_server::FlightServiceServer;
use flint_proto::auth::{AddSecret, AppSecret, RequireSecret};
use flint_proto::executor_service_server::ExecutorServiceServer;
use std::path::PathBuf;
use tonic::service::interceptor::InterceptedService;
use std::sync::Arc;
use std::time::Duration;

/// How an executor process is started (`flint executor ...`).
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// This executor's id, given by the cluster backend.
    pub id: String,
    /// The name its backend launched it under (pod name or local-cluster launch name).
    pub name: String,
    /// The driver's `DriverService` URL, e.g. `http://127.0.0.1:7077`.
    pub driver_url: String,
    /// Task slots (`spark.executor.cores`).
    pub cores: usize,
    /// Memory pool size in bytes (`spark.executor.memory`).
    pub memory_bytes: u64,
    /// Where shuffle blocks and spill files go (`spark.local.dir`).
    pub work_dir: PathBuf,
    /// The host to listen on (and to advertise unless `advertise_host` is set).
    pub host: String,
    /// The host the driver and other executors reach this one at, e.g. its pod IP when
    /// `host` is 0.0.0.0.
    pub advertise_host: Option<String>,
    /// Between heartbeats (`spark.executor.heartbeatInterval`).
    pub heartbeat_interval: Duration,
    /// Whether shuffle blocks are LZ4-compressed on disk and on the wire
    /// (`spark.shuffle.compress`).
    pub shuffle_compress: bool,
    /// The protocol version to announce (tests announce a wrong one).
    pub protocol_version: u32,
    /// The application's secret: sent on every call to the driver and to other
    /// executors, and required of every call to this one.
    pub secret: AppSecret,
    /// The port of Prometheus `/metrics` (0: any free port); `None`: not served.
    pub metrics_port: Option<u16>,
}

impl ExecutorConfig {
    /// The interceptor that adds the application's secret to this executor's calls.
    pub fn client_auth(&self) -> Result<AddSecret, ExecutorError> {
        Ok(AddSecret::new(&self.secret)?)
    }
}

/// Runs the executor until the driver stops it or goes away.
pub async fn run(config: ExecutorConfig) -> Result<(), ExecutorError> {
    let listener = tokio::net::TcpListener::bind((config.host.as_str(), 0))
        .await
        .map_err(|source| ExecutorError::Listen { host: config.host.clone(), source })?;
    let address = listener.local_addr().map_err(|source| ExecutorError::Listen { host: config.host.clone(), source })?;
    let blocks = Arc::new(block_manager::BlockManager::for_process(&config.work_dir, &config.id, std::process::id())?);
    let advertised = match &config.advertise_host {
        Some(host) => format!("{host}:{}", address.port()),
        None => address.to_string(),
    };
    let (driver, app_conf) = registration::register(&config, &advertised, blocks.root()).await?;
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let runner = Arc::new(task_runner::TaskRunner::new(&config, &app_conf, &blocks, driver.clone())?);
    if let Some(port) = config.metrics_port {
        let listener = tokio::net::TcpListener::bind((config.host.as_str(), port))
            .await
            .map_err(|source| ExecutorError::Listen { host: format!("{}:{port} (metrics)", config.host), source })?;
        let bound = listener.local_addr().map_err(|source| ExecutorError::Listen { host: config.host.clone(), source })?;
        tracing::info!(executor = %config.id, address = %bound, "serving Prometheus /metrics");
        metrics::serve(listener, runner.metrics().clone(), Arc::clone(&runner) as Arc<dyn metrics::Gauges>);
    }
    let shuffle = shuffle_service::ShuffleService::new(Arc::clone(&blocks))
        .with_compression(config.shuffle_compress)
        .with_tasks(Arc::clone(&runner));
    let service = service::ExecutorServiceImpl::new(Arc::clone(&runner), blocks, stop_tx.clone());
    let incoming = flint_proto::incoming(listener);
    let mut server_stop = stop_rx.clone();
    let auth = RequireSecret::new(&config.secret, "the executor");
    let executor_service =
        ExecutorServiceServer::new(service).max_decoding_message_size(usize::MAX).max_encoding_message_size(usize::MAX);
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(InterceptedService::new(executor_service, auth.clone()))
            .add_service(FlightServiceServer::with_interceptor(shuffle, auth))
            .serve_with_incoming_shutdown(incoming, async move {
                let _ = server_stop.wait_for(|stop| *stop).await;
            }),
    );
    let heartbeats = tokio::spawn(registration::heartbeat_loop(config.clone(), driver, runner, stop_tx));
    let _ = stop_rx.wait_for(|stop| *stop).await;
    heartbeats.abort();
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    Ok(())
}
