//! The scheduler's settings, read once from Spark keys when the cluster starts.

use super::pools::{BadAllocationFile, Pools, SchedulingMode, UnknownSchedulingMode, parse_allocation_file};
use crate::listener::ListenerBus;
use flint_engine::config::SparkConf;
use flint_proto::conf::parse_duration;
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
