//! The scheduler's settings, read once from Spark keys when the cluster starts.

use super::pools::{BadAllocationFile, Pools, SchedulingMode, UnknownSchedulingMode, parse_allocation_file};
use crate::listener::ListenerBus;
use flint_engine::config::SparkConf;
use flint_proto::conf::parse_duration;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Scheduler settings from Spark keys.
#[derive(Debug, Clone)]
pub struct SchedulerConf {
    /// `spark.task.maxFailures` (default 4).
    pub max_failures: u32,
    /// `spark.network.timeout` (default 120s): a silent executor is lost after it.
    pub network_timeout: Duration,
    /// Fetch failures tolerated per job before it fails (Spark's stage attempts, 4).
    pub max_fetch_failures: u32,
    /// `spark.scheduler.mode` as set (FIFO when unset).
    pub mode: Option<String>,
    /// `spark.scheduler.allocation.file`: the fair scheduler's pools.
    pub allocation_file: Option<PathBuf>,
    /// `spark.driver.maxResultSize` in bytes (`None`: no limit).
    pub max_result_size: Option<usize>,
    /// Where the scheduler posts job, stage, task and executor events (the UI's store,
    /// the event log); disabled unless the driver starts a UI or an event log.
    pub listener: ListenerBus,
    /// The keys executors get when they register ([`executor_conf`]): what their sessions
    /// need to read and write where the driver's do.
    pub executor_conf: BTreeMap<String, String>,
}

/// The keys of `conf` an executor needs to run the application's tasks: the Hadoop keys
/// (`spark.hadoop.*`) its object stores are built from.
pub fn executor_conf(conf: &SparkConf) -> BTreeMap<String, String> {
    conf.iter()
        .filter(|(key, _)| key.starts_with(flint_engine::storage::SPARK_HADOOP_PREFIX))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// Why the scheduling settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PoolsError {
    /// `spark.scheduler.mode` is neither FIFO nor FAIR.
    #[error(transparent)]
    Mode(#[from] UnknownSchedulingMode),
    /// The allocation file cannot be read.
    #[error("cannot read spark.scheduler.allocation.file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The allocation file says something wrong.
    #[error(transparent)]
    Parse(#[from] BadAllocationFile),
}

impl SchedulerConf {
    /// Reads `spark.task.maxFailures`, `spark.network.timeout`, `spark.scheduler.mode` and
    /// `spark.scheduler.allocation.file`.
    pub fn from_spark(conf: &SparkConf) -> Self {
        let max_failures = conf.get("spark.task.maxFailures").and_then(|v| v.trim().parse().ok()).unwrap_or(4);
        let network_timeout = conf.get("spark.network.timeout").and_then(parse_duration).unwrap_or(Duration::from_secs(120));
        Self {
            max_failures,
            network_timeout,
            max_fetch_failures: 4,
            mode: conf.get("spark.scheduler.mode").map(str::to_string),
            allocation_file: conf.get("spark.scheduler.allocation.file").map(PathBuf::from),
            // A bad value is reported by the sessions' builder, which reads it too.
            max_result_size: conf.max_result_size().unwrap_or(Some(1 << 30)),
            listener: ListenerBus::disabled(),
            executor_conf: executor_conf(conf),
        }
    }

    /// The scheduling mode and pools these settings name, reading the allocation file in
    /// FAIR mode.
    pub fn pools(&self) -> Result<Pools, PoolsError> {
        let mode = match &self.mode {
            Some(mode) => SchedulingMode::parse("spark.scheduler.mode", mode)?,
            None => SchedulingMode::Fifo,
        };
        let configured = match (&self.allocation_file, mode) {
            (Some(path), SchedulingMode::Fair) => {
                let xml = std::fs::read_to_string(path).map_err(|source| PoolsError::Read { path: path.clone(), source })?;
                parse_allocation_file(&xml)?
            }
            _ => Default::default(),
        };
        Ok(Pools::new(mode, configured))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executors_get_the_hadoop_keys_only() {
        let mut conf = SparkConf::default();
        conf.set("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:9000");
        conf.set("spark.hadoop.fs.s3a.bucket.b.secret.key", "s");
        conf.set("spark.authenticate.secret", "app-secret");
        conf.set("spark.master", "local-cluster[2,1,512]");
        let keys: Vec<String> = executor_conf(&conf).into_keys().collect();
        assert_eq!(keys, ["spark.hadoop.fs.s3a.bucket.b.secret.key", "spark.hadoop.fs.s3a.endpoint"]);
    }
}
