//! Registration with the driver and the heartbeat loop.

use crate::task_runner::TaskRunner;
use crate::{ExecutorConfig, ExecutorError};
use flint_proto::driver_service_client::DriverServiceClient;
use flint_proto::auth::AddSecret;
use flint_proto::{HeartbeatRequest, RegisterExecutorRequest};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// A client of the driver's `DriverService`, sending the application's secret.
pub type DriverClient = DriverServiceClient<InterceptedService<Channel, AddSecret>>;

/// Connects to the driver and registers; the driver refuses a mismatched protocol version
/// or a wrong secret. Returns the client and the application's configuration keys the
/// driver gives its executors (the `spark.hadoop.*` keys of its object stores).
pub async fn register(
    config: &ExecutorConfig,
    address: &str,
    work_dir: &Path,
) -> Result<(DriverClient, BTreeMap<String, String>), ExecutorError> {
    let connect_error = |source| ExecutorError::Connect { url: config.driver_url.clone(), source };
    let channel = Endpoint::from_shared(config.driver_url.clone()).map_err(connect_error)?.connect().await.map_err(connect_error)?;
    let mut client = DriverServiceClient::with_interceptor(channel, config.client_auth()?)
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX);
    let request = RegisterExecutorRequest {
        protocol_version: config.protocol_version,
        executor_id: config.id.clone(),
        address: address.to_string(),
        cores: config.cores as u32,
        memory_bytes: config.memory_bytes,
        work_dir: work_dir.display().to_string(),
        pid: std::process::id(),
        name: config.name.clone(),
        epoch: started_at_ms(),
    };
    let response = client
        .register_executor(request)
        .await
        .map_err(|status| ExecutorError::Refused { executor: config.id.clone(), message: status.message().to_string() })?;
    tracing::info!("executor {} registered with the driver at {}", config.id, config.driver_url);
    Ok((client, response.into_inner().conf.into_iter().collect()))
}

/// This process's start, in milliseconds since the Unix epoch: the epoch that tells this
/// incarnation from earlier ones of the same executor name.
fn started_at_ms() -> u64 {
    static STARTED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *STARTED.get_or_init(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
    })
}

/// Sends heartbeats until the driver disowns this executor or stops answering
/// (three missed beats), then asks the executor to stop.
pub async fn heartbeat_loop(
    config: ExecutorConfig,
    mut driver: DriverClient,
    runner: Arc<TaskRunner>,
    stop: tokio::sync::watch::Sender<bool>,
) {
    let mut missed = 0;
    loop {
        tokio::time::sleep(config.heartbeat_interval).await;
        let request = HeartbeatRequest { executor_id: config.id.clone(), running: runner.running() };
        match driver.heartbeat(request).await {
            Ok(response) if response.get_ref().unknown_executor => {
                tracing::warn!("the driver no longer knows executor {}; stopping", config.id);
                break;
            }
            Ok(_) => missed = 0,
            Err(status) => {
                missed += 1;
                tracing::warn!("heartbeat to the driver failed ({missed}): {}", status.message());
                if missed >= 3 {
                    break;
                }
            }
        }
    }
    let _ = stop.send(true);
}
