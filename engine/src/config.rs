//! Spark configuration keys Flint understands: each declared once with its name, default and doc.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::{FlintError, Result};

/// A Spark configuration key that Flint reads, with its default and what it does.
#[derive(Debug, Clone, Copy)]
pub struct ConfigKey {
    /// The key exactly as Spark spells it.
    pub name: &'static str,
    /// The value used when the key is not set; `None` when the default is derived.
    pub default: Option<&'static str>,
    /// What the key controls in Flint.
    pub doc: &'static str,
}

/// `spark.app.name`: the application name shown in logs and progress.
pub const APP_NAME: ConfigKey = ConfigKey {
    name: "spark.app.name",
    default: Some("flint"),
    doc: "Application name, shown in logs and progress output.",
};
/// `spark.master`: where the job runs.
pub const MASTER: ConfigKey = ConfigKey {
    name: "spark.master",
    default: Some("local[*]"),
    doc: "Cluster manager: local, local[N] or local[*] (all cores).",
};
/// `spark.sql.shuffle.partitions`: partitions after an exchange.
pub const SHUFFLE_PARTITIONS: ConfigKey = ConfigKey {
    name: "spark.sql.shuffle.partitions",
    default: None,
    doc: "Partitions used after a shuffle (joins, aggregations); defaults to the number of cores of the master.",
};
/// `spark.driver.memory`: the memory pool of a local-mode job.
pub const DRIVER_MEMORY: ConfigKey = ConfigKey {
    name: "spark.driver.memory",
    default: Some("1g"),
    doc: "Memory pool of the driver; in local mode every operator draws from it and spills to spark.local.dir when it is full.",
};
/// `spark.executor.memory`: the memory pool of each executor.
pub const EXECUTOR_MEMORY: ConfigKey = ConfigKey {
    name: "spark.executor.memory",
    default: Some("1g"),
    doc: "Memory pool of each executor; operators spill to spark.local.dir when it is full.",
};
/// `spark.local.dir`: where spill files go.
pub const LOCAL_DIR: ConfigKey = ConfigKey {
    name: "spark.local.dir",
    default: None,
    doc: "Comma-separated directories for spill files; defaults to the system temporary directory.",
};
/// `spark.pyspark.python`: the interpreter Python UDFs run in.
pub const PYSPARK_PYTHON: ConfigKey = ConfigKey {
    name: "spark.pyspark.python",
    default: None,
    doc: "Python interpreter of the Python UDF workers, on the driver and the executors; defaults to the PYSPARK_PYTHON environment variable, else python3. It needs pyspark-client (or pyspark) installed.",
};
/// `spark.sql.autoBroadcastJoinThreshold`: the largest join side that is broadcast.
pub const AUTO_BROADCAST_JOIN_THRESHOLD: ConfigKey = ConfigKey {
    name: "spark.sql.autoBroadcastJoinThreshold",
    default: Some("10m"),
    doc: "Largest estimated size of a join side built once per task instead of shuffling both sides; -1 turns broadcasting off.",
};
/// `spark.driver.maxResultSize`: the largest result a job may gather in the driver.
pub const MAX_RESULT_SIZE: ConfigKey = ConfigKey {
    name: "spark.driver.maxResultSize",
    default: Some("1g"),
    doc: "Largest total size of a job's result partitions gathered in the driver; a job past it fails with Spark's error. 0 means no limit.",
};
/// `spark.shuffle.compress`: whether shuffle blocks are compressed.
pub const SHUFFLE_COMPRESS: ConfigKey = ConfigKey {
    name: "spark.shuffle.compress",
    default: None,
    doc: "Whether shuffle blocks are LZ4-compressed on disk and on the wire; by default true, except on local-cluster, whose blocks never leave the machine.",
};
/// `spark.sql.session.timeZone`: the session time zone.
pub const SESSION_TIME_ZONE: ConfigKey = ConfigKey {
    name: "spark.sql.session.timeZone",
    default: Some("UTC"),
    doc: "Time zone used to show and interpret timestamps.",
};

/// `spark.sql.warehouse.dir`: where managed tables keep their files.
pub const WAREHOUSE_DIR: ConfigKey = ConfigKey {
    name: "spark.sql.warehouse.dir",
    default: Some("spark-warehouse"),
    doc: "Directory of managed tables (CREATE TABLE ... USING, saveAsTable), one folder per table; a relative path is taken from the working directory.",
};

/// Every key Flint reads, for documentation and `SET -v`.
pub const KNOWN_KEYS: &[ConfigKey] = &[
    APP_NAME,
    MASTER,
    SHUFFLE_PARTITIONS,
    DRIVER_MEMORY,
    EXECUTOR_MEMORY,
    MAX_RESULT_SIZE,
    LOCAL_DIR,
    SESSION_TIME_ZONE,
    WAREHOUSE_DIR,
];

/// Where a job runs, parsed from `spark.master`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Master {
    /// All work in this process on `cores` threads (`local`, `local[N]`, `local[*]`).
    Local {
        /// Worker threads, one per core Spark would use.
        cores: usize,
    },
    /// `local-cluster[E,C,M]`: E executor processes of this binary on loopback, C cores
    /// and M MiB each, as Spark's local-cluster.
    LocalCluster {
        /// Executor processes.
        executors: usize,
        /// Cores (task slots) per executor.
        cores: usize,
        /// Memory per executor in MiB.
        memory_mb: usize,
    },
}

impl Master {
    /// Parses a master URL as Spark does: `local` (one core), `local[N]`, `local[*]`.
    pub fn parse(value: &str) -> Result<Self> {
        let invalid = || FlintError::InvalidConf {
            key: MASTER.name.to_string(),
            value: value.to_string(),
            reason: "expected local, local[N], local[*] or local-cluster[E,C,M]".to_string(),
        };
        let value = value.trim();
        if let Some(inner) = value.strip_prefix("local-cluster[").and_then(|rest| rest.strip_suffix(']')) {
            let numbers: Vec<usize> = inner
                .split(',')
                .map(|n| n.trim().parse::<usize>().ok().filter(|n| *n > 0))
                .collect::<Option<_>>()
                .ok_or_else(invalid)?;
            let [executors, cores, memory_mb] = numbers[..] else { return Err(invalid()) };
            return Ok(Self::LocalCluster { executors, cores, memory_mb });
        }
        if value == "local" {
            return Ok(Self::Local { cores: 1 });
        }
        let inner = value
            .strip_prefix("local[")
            .and_then(|rest| rest.strip_suffix(']'))
            .ok_or_else(invalid)?;
        let cores = if inner == "*" {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            inner.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(invalid)?
        };
        Ok(Self::Local { cores })
    }

    /// The number of tasks that can run at once.
    pub fn cores(&self) -> usize {
        match self {
            Self::Local { cores } => *cores,
            Self::LocalCluster { executors, cores, .. } => executors * cores,
        }
    }
}

/// The configuration of a session: Spark keys as strings, read through typed accessors.
#[derive(Debug, Clone, Default)]
pub struct SparkConf {
    values: BTreeMap<String, String>,
}

impl SparkConf {
    /// An empty configuration: every key at its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`, replacing any earlier value.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.values.insert(key.into(), value.into());
        self
    }

    /// Unsets `key` (back to its default); returns the value it had.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.values.remove(key)
    }

    /// The value of `key` as set, or `None`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// The value of a declared key, falling back to its default.
    pub fn get_or_default(&self, key: &ConfigKey) -> Option<&str> {
        self.get(key.name).or(key.default)
    }

    /// Every key that was set, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The application name.
    pub fn app_name(&self) -> &str {
        self.get_or_default(&APP_NAME).unwrap_or("flint")
    }

    /// The parsed master.
    pub fn master(&self) -> Result<Master> {
        Master::parse(self.get_or_default(&MASTER).unwrap_or("local[*]"))
    }

    /// Partitions after a shuffle: `spark.sql.shuffle.partitions` or the master's cores.
    pub fn shuffle_partitions(&self) -> Result<usize> {
        match self.get(SHUFFLE_PARTITIONS.name) {
            Some(value) => value.trim().parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                FlintError::InvalidConf {
                    key: SHUFFLE_PARTITIONS.name.to_string(),
                    value: value.to_string(),
                    reason: "expected a positive whole number".to_string(),
                }
            }),
            None => Ok(self.master()?.cores()),
        }
    }

    /// The size in bytes of a memory key such as `spark.driver.memory`.
    pub fn memory_bytes(&self, key: &ConfigKey) -> Result<usize> {
        let value = self.get_or_default(key).unwrap_or("1g");
        parse_size(value).ok_or_else(|| FlintError::InvalidConf {
            key: key.name.to_string(),
            value: value.to_string(),
            reason: "expected a size such as 512m, 4g or 1073741824 (bytes)".to_string(),
        })
    }

    /// `spark.driver.maxResultSize` in bytes; `None` for 0, no limit.
    pub fn max_result_size(&self) -> Result<Option<usize>> {
        Ok(Some(self.memory_bytes(&MAX_RESULT_SIZE)?).filter(|bytes| *bytes > 0))
    }

    /// `spark.shuffle.compress`: as set, else true except on `local-cluster`, where blocks
    /// move between processes of one machine and compressing them only costs CPU.
    pub fn shuffle_compress(&self) -> Result<bool> {
        match self.get(SHUFFLE_COMPRESS.name) {
            Some(value) => value.trim().parse().map_err(|_| FlintError::InvalidConf {
                key: SHUFFLE_COMPRESS.name.to_string(),
                value: value.to_string(),
                reason: "expected true or false".to_string(),
            }),
            None => Ok(!matches!(self.master()?, Master::LocalCluster { .. })),
        }
    }

    /// `spark.sql.autoBroadcastJoinThreshold` in bytes; 0 when broadcasting is off (-1).
    pub fn broadcast_threshold(&self) -> Result<usize> {
        let key = &AUTO_BROADCAST_JOIN_THRESHOLD;
        let value = self.get_or_default(key).unwrap_or("10m").trim();
        if value == "-1" {
            return Ok(0);
        }
        // A bare number is bytes here (memory keys read it as MiB).
        let bytes = if value.chars().all(|c| c.is_ascii_digit()) { value.parse().ok() } else { parse_size(value) };
        bytes.ok_or_else(|| FlintError::InvalidConf {
            key: key.name.to_string(),
            value: value.to_string(),
            reason: "expected a size such as 10485760 (bytes) or 10m, or -1 to turn broadcasting off".to_string(),
        })
    }

    /// Directories for spill files; empty means the system temporary directory.
    pub fn local_dirs(&self) -> Vec<PathBuf> {
        self.get(LOCAL_DIR.name)
            .map(|dirs| {
                dirs.split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The session time zone.
    pub fn time_zone(&self) -> &str {
        self.get_or_default(&SESSION_TIME_ZONE).unwrap_or("UTC")
    }
}

/// Parses a memory size as Spark does for memory keys: `512m`, `4g`, `1t`, `100k`,
/// `64b`; a bare number means MiB.
pub fn parse_size(value: &str) -> Option<usize> {
    let lower = value.trim().to_ascii_lowercase();
    let (digits, unit) = match lower.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => lower.split_at(i),
        None => (lower.as_str(), "m"),
    };
    let number: usize = digits.parse().ok()?;
    let shift = match unit.trim_end_matches('b') {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return None,
    };
    number.checked_mul(1usize << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_master_urls() {
        assert_eq!(Master::parse("local").ok(), Some(Master::Local { cores: 1 }));
        assert_eq!(Master::parse("local[3]").ok(), Some(Master::Local { cores: 3 }));
        assert!(Master::parse("local[*]").is_ok_and(|m| m.cores() >= 1));
        assert!(Master::parse("local[0]").is_err());
        assert!(Master::parse("yarn").is_err());
        assert_eq!(
            Master::parse("local-cluster[2,1,2048]").ok(),
            Some(Master::LocalCluster { executors: 2, cores: 1, memory_mb: 2048 })
        );
        assert!(Master::parse("local-cluster[2,1]").is_err());
        assert!(Master::parse("local-cluster[0,1,512]").is_err());
    }

    #[test]
    fn parses_sizes_like_spark() {
        assert_eq!(parse_size("512m"), Some(512 << 20));
        assert_eq!(parse_size("4g"), Some(4 << 30));
        assert_eq!(parse_size("2GB"), Some(2 << 30));
        assert_eq!(parse_size("1024"), Some(1024 << 20));
        assert_eq!(parse_size("100k"), Some(100 << 10));
        assert_eq!(parse_size("lots"), None);
    }

    #[test]
    fn the_broadcast_threshold_is_a_size_and_minus_one_turns_it_off() {
        let mut conf = SparkConf::new();
        assert_eq!(conf.broadcast_threshold().ok(), Some(10 << 20));
        conf.set("spark.sql.autoBroadcastJoinThreshold", "1048576");
        assert_eq!(conf.broadcast_threshold().ok(), Some(1 << 20));
        conf.set("spark.sql.autoBroadcastJoinThreshold", "-1");
        assert_eq!(conf.broadcast_threshold().ok(), Some(0));
        conf.set("spark.sql.autoBroadcastJoinThreshold", "big");
        assert!(conf.broadcast_threshold().is_err());
    }

    #[test]
    fn shuffle_compression_is_off_by_default_only_on_local_cluster() {
        let mut conf = SparkConf::new();
        assert_eq!(conf.shuffle_compress().ok(), Some(true));
        conf.set("spark.master", "local-cluster[2,1,512]");
        assert_eq!(conf.shuffle_compress().ok(), Some(false));
        conf.set("spark.shuffle.compress", "true");
        assert_eq!(conf.shuffle_compress().ok(), Some(true));
        conf.set("spark.shuffle.compress", "yes");
        assert!(conf.shuffle_compress().is_err());
    }

    #[test]
    fn max_result_size_is_a_size_and_zero_is_no_limit() {
        let mut conf = SparkConf::new();
        assert_eq!(conf.max_result_size().ok(), Some(Some(1 << 30)));
        conf.set("spark.driver.maxResultSize", "0");
        assert_eq!(conf.max_result_size().ok(), Some(None));
        conf.set("spark.driver.maxResultSize", "lots");
        assert!(conf.max_result_size().is_err());
    }

    #[test]
    fn shuffle_partitions_default_to_master_cores() {
        let mut conf = SparkConf::new();
        conf.set("spark.master", "local[3]");
        assert_eq!(conf.shuffle_partitions().ok(), Some(3));
        conf.set("spark.sql.shuffle.partitions", "7");
        assert_eq!(conf.shuffle_partitions().ok(), Some(7));
        conf.set("spark.sql.shuffle.partitions", "zero");
        assert!(conf.shuffle_partitions().is_err());
    }
}
