//! The Spark keys of the UI, the event log and the history server, each declared once.

use super::store::Retention;
use flint_engine::config::{ConfigKey, SparkConf};

/// `spark.ui.enabled`.
pub const UI_ENABLED: ConfigKey = ConfigKey {
    name: "spark.ui.enabled",
    default: Some("true"),
    doc: "Whether the driver serves its web UI, REST API and Prometheus /metrics.",
};
/// `spark.ui.port`.
pub const UI_PORT: ConfigKey = ConfigKey {
    name: "spark.ui.port",
    default: Some("4040"),
    doc: "Port of the driver's web UI; when taken, the next free one (up to spark.port.maxRetries above it).",
};
/// `spark.port.maxRetries`.
pub const PORT_MAX_RETRIES: ConfigKey = ConfigKey {
    name: "spark.port.maxRetries",
    default: Some("16"),
    doc: "How many ports above spark.ui.port the UI tries when its port is taken.",
};
/// `spark.redaction.regex`.
pub const REDACTION_REGEX: ConfigKey = ConfigKey {
    name: "spark.redaction.regex",
    default: Some("(?i)secret|password|token|access[.]?key"),
    doc: "Configuration keys (or values) matching it are shown as *********(redacted) in the UI and the event log.",
};
/// `spark.eventLog.enabled`.
pub const EVENT_LOG_ENABLED: ConfigKey = ConfigKey {
    name: "spark.eventLog.enabled",
    default: Some("false"),
    doc: "Whether the driver writes an event log (JSON lines, one event per change) for the history server.",
};
/// `spark.eventLog.dir`.
pub const EVENT_LOG_DIR: ConfigKey = ConfigKey {
    name: "spark.eventLog.dir",
    default: Some("/tmp/spark-events"),
    doc: "The folder event logs are written to, one file per application: a local path or file:// URL, or a prefix in object storage (s3a://bucket/prefix, with the spark.hadoop.fs.s3a.* keys), where a log appears when its application ends.",
};
/// `spark.history.fs.logDirectory`.
pub const HISTORY_LOG_DIRECTORY: ConfigKey = ConfigKey {
    name: "spark.history.fs.logDirectory",
    default: Some("/tmp/spark-events"),
    doc: "The folder of event logs the history server serves: a local path or file:// URL, or a prefix in object storage (s3a://bucket/prefix; pass the spark.hadoop.fs.s3a.* keys with --conf).",
};
/// `spark.history.ui.port`.
pub const HISTORY_UI_PORT: ConfigKey = ConfigKey {
    name: "spark.history.ui.port",
    default: Some("18080"),
    doc: "Port of the history server's web UI and REST API.",
};
/// `spark.ui.retainedJobs`.
pub const RETAINED_JOBS: ConfigKey =
    ConfigKey { name: "spark.ui.retainedJobs", default: Some("1000"), doc: "Finished jobs the UI remembers." };
/// `spark.ui.retainedStages`.
pub const RETAINED_STAGES: ConfigKey =
    ConfigKey { name: "spark.ui.retainedStages", default: Some("1000"), doc: "Finished stages the UI remembers." };
/// `spark.ui.retainedTasks`.
pub const RETAINED_TASKS: ConfigKey =
    ConfigKey { name: "spark.ui.retainedTasks", default: Some("100000"), doc: "Tasks the UI remembers per stage." };
/// `spark.sql.ui.retainedExecutions`.
pub const RETAINED_EXECUTIONS: ConfigKey = ConfigKey {
    name: "spark.sql.ui.retainedExecutions",
    default: Some("1000"),
    doc: "Finished SQL executions the UI remembers.",
};
/// `spark.ui.retainedDeadExecutors`.
pub const RETAINED_DEAD_EXECUTORS: ConfigKey =
    ConfigKey { name: "spark.ui.retainedDeadExecutors", default: Some("100"), doc: "Lost executors the UI remembers." };

/// `spark.flint.executor.metricsPort`.
pub const EXECUTOR_METRICS_PORT: ConfigKey = ConfigKey {
    name: "spark.flint.executor.metricsPort",
    default: None,
    doc: "Port of each executor's Prometheus /metrics (0: any free port, logged at info); unset: executors serve no metrics.",
};

/// Every key of the UI, the event log and the history server.
pub const UI_KEYS: &[ConfigKey] = &[
    UI_ENABLED,
    UI_PORT,
    PORT_MAX_RETRIES,
    REDACTION_REGEX,
    EVENT_LOG_ENABLED,
    EVENT_LOG_DIR,
    HISTORY_LOG_DIRECTORY,
    HISTORY_UI_PORT,
    RETAINED_JOBS,
    RETAINED_STAGES,
    RETAINED_TASKS,
    RETAINED_EXECUTIONS,
    RETAINED_DEAD_EXECUTORS,
    EXECUTOR_METRICS_PORT,
];

/// A bad value of one of these keys.
#[derive(Debug, thiserror::Error)]
#[error("{key} is {value:?}: {expected}; set it to a valid value or leave it unset")]
pub struct BadValue {
    /// The key.
    pub key: &'static str,
    /// What it was set to.
    pub value: String,
    /// What it should be.
    pub expected: &'static str,
}

/// `key`'s value (or default) parsed as a number.
pub fn number<T: std::str::FromStr>(conf: &SparkConf, key: &ConfigKey) -> Result<T, BadValue> {
    let value = conf.get_or_default(key).unwrap_or_default();
    value.trim().parse().map_err(|_| BadValue { key: key.name, value: value.to_string(), expected: "a whole number" })
}

/// `key`'s value (or default) as a boolean.
pub fn flag(conf: &SparkConf, key: &ConfigKey) -> Result<bool, BadValue> {
    let value = conf.get_or_default(key).unwrap_or_default();
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(BadValue { key: key.name, value: value.to_string(), expected: "true or false" }),
    }
}

/// The `spark.ui.retained*` limits.
pub fn retention(conf: &SparkConf) -> Result<Retention, BadValue> {
    Ok(Retention {
        jobs: number(conf, &RETAINED_JOBS)?,
        stages: number(conf, &RETAINED_STAGES)?,
        tasks: number(conf, &RETAINED_TASKS)?,
        executions: number(conf, &RETAINED_EXECUTIONS)?,
        dead_executors: number(conf, &RETAINED_DEAD_EXECUTORS)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_the_key_and_what_it_takes() {
        let mut conf = SparkConf::new();
        assert_eq!(retention(&conf).unwrap().jobs, 1000);
        conf.set("spark.ui.retainedJobs", "many");
        let error = retention(&conf).unwrap_err().to_string();
        assert!(error.contains("spark.ui.retainedJobs is \"many\": a whole number"), "{error}");
        conf.set("spark.ui.enabled", "yes");
        assert!(flag(&conf, &UI_ENABLED).unwrap_err().to_string().contains("true or false"));
    }
}
