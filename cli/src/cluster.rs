//! Wiring for distributed masters: `flint executor`, and the local-cluster backend a
//! session's jobs run on when `--master local-cluster[E,C,M]`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use flint_driver::cluster::LocalCluster;
use flint_driver::cluster_scheduler::{ClusterScheduler, SchedulerConf};
use flint_engine::FlintSession;
use flint_engine::config::{Master, parse_size};

/// `flint executor`: started by a cluster backend, not by hand.
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The driver's URL, e.g. http://127.0.0.1:40123.
    #[arg(long)]
    driver_url: String,
    /// This executor's id.
    #[arg(long)]
    executor_id: String,
    /// Task slots (spark.executor.cores).
    #[arg(long, default_value_t = 1)]
    cores: usize,
    /// Memory pool (spark.executor.memory), e.g. 1g or 1024m.
    #[arg(long, default_value = "1g")]
    memory: String,
    /// Where shuffle blocks and spill files go (spark.local.dir).
    #[arg(long, default_value_os_t = std::env::temp_dir())]
    work_dir: PathBuf,
    /// Between heartbeats, in milliseconds (spark.executor.heartbeatInterval).
    #[arg(long, default_value_t = 10_000)]
    heartbeat_interval_ms: u64,
    /// The protocol version to announce (tests use a wrong one).
    #[arg(long, hide = true, default_value_t = flint_proto::PROTOCOL_VERSION)]
    protocol_version: u32,
}

/// Runs an executor until its driver stops it.
pub async fn run_executor(args: ExecutorArgs) -> Result<()> {
    let memory_bytes = parse_size(&args.memory).with_context(|| format!("bad --memory {}", args.memory))? as u64;
    let config = flint_executor::ExecutorConfig {
        id: args.executor_id,
        driver_url: args.driver_url,
        cores: args.cores,
        memory_bytes,
        work_dir: args.work_dir,
        host: "127.0.0.1".to_string(),
        heartbeat_interval: Duration::from_millis(args.heartbeat_interval_ms),
        protocol_version: args.protocol_version,
    };
    Ok(flint_executor::run(config).await?)
}

/// For a local-cluster master: starts the executors and sends the session's jobs to them.
pub async fn attach(session: &FlintSession) -> Result<Option<Arc<ClusterScheduler>>> {
    let conf = session.conf();
    let Master::LocalCluster { executors, cores, memory_mb } = conf.master()? else { return Ok(None) };
    let binary = std::env::current_exe().context("cannot find the flint binary to start executors")?;
    let work_dir = conf.local_dirs().into_iter().next().unwrap_or_else(std::env::temp_dir);
    let mut backend = LocalCluster::new(binary, executors, cores, memory_mb, work_dir);
    if let Some(version) = conf.get("spark.flint.test.executorProtocolVersion") {
        backend.extra_args = vec!["--protocol-version".to_string(), version.to_string()];
    }
    let scheduler = ClusterScheduler::start(Arc::new(backend), SchedulerConf::from_spark(&conf))
        .await
        .context("cannot start the local cluster")?;
    flint_engine::planner::configure_session_for_stages(session.context());
    session.set_job_runner(scheduler.clone());
    Ok(Some(scheduler))
}
