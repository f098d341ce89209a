//! Wiring for `flint driver`: a SparkApplication's driver, run in the pod the operator
//! created. It reads its configuration from the mounted ConfigMap, serves the scheduler on
//! its pod IP and a fixed port, waits for the executors the operator starts, runs the
//! application (a SQL file or a PySpark script) and exits 0 or non-zero.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use flint_driver::cluster::kubernetes::{KubernetesCluster, KubernetesConf};
use flint_driver::scheduler::{ClusterScheduler, SchedulerConf};
use flint_engine::FlintSession;
use flint_engine::config::SparkConf;
use flint_engine::job_runner::JobRunner;
use flint_engine::script::ShowOptions;
use flint_proto::auth::{AppSecret, SECRET_ENV};
use flint_proto::conf::EXECUTOR_TIMEOUT;

/// `flint driver`: started by the operator in the driver pod, not by hand.
#[derive(Debug, Args)]
pub struct DriverArgs {
    /// The resolved configuration (`key=value` lines), mounted from the app's ConfigMap.
    #[arg(long)]
    properties: PathBuf,
    /// The application file (default: `spark.flint.app.file` of the configuration).
    #[arg(long)]
    app_file: Option<String>,
    /// The port executors reach the scheduler on.
    #[arg(long, default_value_t = 7078)]
    port: u16,
    /// The address to bind (Spark's driver pod sets it to the pod IP).
    #[arg(long, env = "SPARK_DRIVER_BIND_ADDRESS", default_value = "0.0.0.0")]
    bind_address: String,
    /// The address executors are told to reach (the pod IP).
    #[arg(long, env = "FLINT_POD_IP")]
    advertise_address: Option<String>,
    /// The SparkApplication's name.
    #[arg(long, env = "FLINT_APP_NAME")]
    app_name: String,
    /// Its namespace.
    #[arg(long, env = "FLINT_APP_NAMESPACE")]
    namespace: String,
    /// The application's arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    app_args: Vec<String>,
}

/// Parses `key=value` lines; `#` starts a comment.
fn read_properties(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Runs the application the configuration names on executors the operator starts.
pub async fn run_driver(args: DriverArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.properties)
        .with_context(|| format!("cannot read the driver configuration {}", args.properties.display()))?;
    let mut pairs = read_properties(&text);
    let mut spark = SparkConf::new();
    for (key, value) in &pairs {
        spark.set(key, value);
    }
    let get = |key: &str| spark.get(key).map(str::to_string);
    let number = |key: &str, default: usize| get(key).and_then(|v| v.trim().parse().ok()).unwrap_or(default);
    let executors = number("spark.executor.instances", 1);
    let cores = number("spark.executor.cores", 1);
    let app_type = get("spark.flint.app.type").unwrap_or_default();
    let Some(file) = args.app_file.clone().or_else(|| get("spark.flint.app.file")) else {
        bail!("the configuration names no application file")
    };
    let Some(secret) = AppSecret::from_env()? else {
        bail!(
            "the driver has no application secret: the operator sets {SECRET_ENV} from the app's Secret; was the pod created by the Flint operator?"
        )
    };
    let conf = KubernetesConf {
        app: args.app_name.clone(),
        namespace: args.namespace.clone(),
        executors,
        executor_timeout: EXECUTOR_TIMEOUT
            .duration(spark.get(EXECUTOR_TIMEOUT.name))
            .unwrap_or_else(|| EXECUTOR_TIMEOUT.default_duration()),
        poll_interval: Duration::from_secs(1),
    };
    let backend = Arc::new(KubernetesCluster::new(conf).await?);
    let bind: std::net::SocketAddr = format!("{}:{}", args.bind_address, args.port)
        .parse()
        .with_context(|| format!("bad bind address {}:{}", args.bind_address, args.port))?;
    let ui = flint_driver::ui::LiveUi::start(&spark, &args.bind_address).await?;
    if let Some(address) = ui.address {
        eprintln!("flint: the Flint UI is at http://{}:{}", args.advertise_address.as_deref().unwrap_or("localhost"), address.port());
    }
    let scheduler =
        ClusterScheduler::start_on(
            backend,
            SchedulerConf { listener: ui.bus.clone(), ..SchedulerConf::from_spark(&spark) },
            bind,
            args.advertise_address.clone(),
            secret,
            executors,
        )
        .await
            .with_context(|| format!("cannot serve the scheduler on {bind}"))?;
    eprintln!(
        "flint: driver of {}/{} serving executors on {bind} (advertised {}), {executors} executors of {cores} cores",
        args.namespace,
        args.app_name,
        scheduler.address()
    );
    // Sessions plan for as many partitions as the executors have cores.
    let master = format!("local[{}]", (executors * cores).max(1));
    pairs.retain(|(key, _)| key != "spark.master");
    pairs.push(("spark.master".to_string(), master.clone()));
    let outcome = match app_type.as_str() {
        "SQL" => run_sql(&file, &pairs, &master, &scheduler).await,
        "Python" => run_python(&file, &args.app_args, pairs, &scheduler).await,
        other => Err(anyhow::anyhow!("cannot run an application of type {other:?}: Flint runs Python and SQL")),
    };
    scheduler.shutdown().await;
    match &outcome {
        Ok(()) => eprintln!("flint: application {} succeeded", args.app_name),
        Err(error) => eprintln!("flint: application {} failed: {error:#}", args.app_name),
    }
    outcome
}

/// The file may be in object storage (`s3a://bucket/app.sql`), fetched with `pairs`' keys.
async fn run_sql(file: &str, pairs: &[(String, String)], master: &str, scheduler: &Arc<ClusterScheduler>) -> Result<()> {
    let sql = crate::app_file::AppFile::open(file, pairs).await?.read_to_string()?;
    let mut builder = FlintSession::builder().master(master);
    for (key, value) in pairs {
        builder = builder.config(key, value);
    }
    let session = builder.build()?;
    flint_driver::cluster::run_jobs_on(&session, Arc::clone(scheduler) as Arc<dyn JobRunner>);
    crate::print_script(&session, &sql, ShowOptions::default()).await
}

async fn run_python(
    file: &str,
    args: &[String],
    pairs: Vec<(String, String)>,
    scheduler: &Arc<ClusterScheduler>,
) -> Result<()> {
    let script = crate::app_file::AppFile::open(file, &pairs).await?;
    let python = std::env::var("FLINT_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let runner = Some(Arc::clone(scheduler) as Arc<dyn JobRunner>);
    let status = flint_connect::python_app::run_python_app(&python, script.path(), args, pairs, runner).await?;
    if !status.success() {
        bail!("{file} failed: {status}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_parse_skipping_comments() {
        let pairs = read_properties("# c\nspark.app.name=pi\n\nspark.sql.x = a=b\n");
        assert_eq!(pairs, vec![("spark.app.name".into(), "pi".into()), ("spark.sql.x".into(), "a=b".into())]);
    }
}
