//! Wiring for distributed masters: `flint executor`, and the local-cluster backend a
//! session's jobs run on when `--master local-cluster[E,C,M]`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use flint_driver::cluster::Driver;
use flint_engine::FlintSession;
use flint_engine::config::{SparkConf, parse_size};
use flint_proto::auth::AppSecret;

/// `flint executor`: started by a cluster backend, not by hand.
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The driver's URL, e.g. http://127.0.0.1:40123.
    #[arg(long)]
    driver_url: String,
    /// This executor's id.
    #[arg(long)]
    executor_id: String,
    /// The name its backend launched it under: the pod name, or a local-cluster launch
    /// name (default `executor-<id>`).
    #[arg(long, env = "FLINT_POD_NAME")]
    name: Option<String>,
    /// The application's secret, shared with the driver (Spark's variable; the operator
    /// and local-cluster set it).
    #[arg(long, env = flint_proto::auth::SECRET_ENV, hide_env_values = true)]
    auth_secret: String,
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
    /// Whether shuffle blocks are LZ4-compressed (spark.shuffle.compress).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    shuffle_compress: bool,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The host to advertise to the driver and other executors (e.g. the pod IP), when
    /// it differs from --host (e.g. 0.0.0.0).
    #[arg(long)]
    advertise_host: Option<String>,
    /// Serve Prometheus /metrics on this port (0: any free port, logged at info).
    #[arg(long)]
    metrics_port: Option<u16>,
    /// The protocol version to announce (tests use a wrong one).
    #[arg(long, hide = true, default_value_t = flint_proto::PROTOCOL_VERSION)]
    protocol_version: u32,
}

/// Runs an executor until its driver stops it.
pub async fn run_executor(args: ExecutorArgs) -> Result<()> {
    let memory_bytes = parse_size(&args.memory).with_context(|| format!("bad --memory {}", args.memory))? as u64;
    let secret = AppSecret::new(args.auth_secret)?;
    let config = flint_executor::ExecutorConfig {
        name: args.name.unwrap_or_else(|| format!("executor-{}", args.executor_id)),
        id: args.executor_id,
        driver_url: args.driver_url,
        cores: args.cores,
        memory_bytes,
        work_dir: args.work_dir,
        host: args.host,
        advertise_host: args.advertise_host,
        heartbeat_interval: Duration::from_millis(args.heartbeat_interval_ms),
        shuffle_compress: args.shuffle_compress,
        protocol_version: args.protocol_version,
        secret,
        metrics_port: args.metrics_port,
    };
    Ok(flint_executor::run(config).await?)
}

/// Starts the session's driver (its UI; for a local-cluster master, executors of this
/// very binary, which get the session's jobs).
pub async fn attach(session: &FlintSession) -> Result<Driver> {
    Ok(flint_driver::cluster::attach(session, this_binary()?).await?)
}

/// Starts the driver the Spark keys `conf` ask for (its UI; for a local-cluster master,
/// executors of this very binary), for sessions created later (the Connect server's) to
/// share.
pub async fn start(conf: &[(String, String)]) -> Result<Driver> {
    let mut spark = SparkConf::new();
    for (key, value) in conf {
        spark.set(key, value);
    }
    Ok(flint_driver::cluster::start_cluster(&spark, this_binary()?).await?)
}

fn this_binary() -> Result<PathBuf> {
    std::env::current_exe().context("cannot find the flint binary to start executors")
}
