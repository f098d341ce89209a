//! The event log: with `spark.eventLog.enabled` the driver writes every listener event as
//! one JSON line to `spark.eventLog.dir/<app id>.inprogress`, named `<app id>` when the
//! application ends (Spark's layout). The folder is a local one ([`file`]) or a prefix in
//! object storage ([`object`]: `s3a://bucket/prefix`); [`EventLogDir`] lists and
//! reads either for the history server, [`parse_event_log`] replays one into a store.

pub mod dir;
pub mod file;
pub mod object;

pub use dir::EventLogDir;

use super::store::{AppStatusStore, Retention};
use crate::listener::{Listener, ListenerEvent};
use flint_engine::config::SparkConf;
use flint_engine::storage::{StorageError, is_object_store_path, open_url};
use std::path::PathBuf;

/// What a log still being written is called: `<app id>` plus this.
pub const IN_PROGRESS: &str = ".inprogress";

/// Why an event log cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    /// The local folder or file cannot be created or written.
    #[error("cannot write the event log {log}: {source}; check spark.eventLog.dir")]
    Write {
        /// The file.
        log: String,
        /// Why.
        source: std::io::Error,
    },
    /// The object store refused an upload of the log.
    #[error("cannot write the event log {log}: {source}; check spark.eventLog.dir and its spark.hadoop.fs.s3a.* keys")]
    Upload {
        /// The object's URL.
        log: String,
        /// What the store said (for a refusal: the bucket and the key to fix).
        source: object_store::Error,
    },
    /// The folder of logs cannot be listed.
    #[error("cannot list the event logs in {dir}: {source}; check spark.history.fs.logDirectory and its spark.hadoop.fs.s3a.* keys")]
    List {
        /// The folder or URL.
        dir: String,
        /// What the store said.
        source: object_store::Error,
    },
    /// A log cannot be read.
    #[error("cannot read the event log {log}: {source}")]
    Read {
        /// The file or URL.
        log: String,
        /// What the store said.
        source: object_store::Error,
    },
    /// A line is not an event.
    #[error("{log} line {line} is not a Flint event: {source}")]
    Parse {
        /// The file or URL.
        log: String,
        /// The line, from 1.
        line: usize,
        /// Why.
        source: serde_json::Error,
    },
    /// The history server's local folder does not exist.
    #[error("the event log folder {dir} does not exist: create it, or point spark.history.fs.logDirectory at the folder spark.eventLog.dir names")]
    MissingDir {
        /// The folder.
        dir: String,
    },
    /// The folder is a URL of a scheme Flint has no store for.
    #[error("the event log folder {dir} is neither a local folder (a path or file://) nor in object storage (s3a://bucket/prefix and the other schemes Flint reads); set spark.eventLog.dir (or spark.history.fs.logDirectory) to one of those")]
    Scheme {
        /// The value.
        dir: String,
    },
    /// The object store of the folder cannot be set up.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Where event logs are: `spark.eventLog.dir` or `spark.history.fs.logDirectory` parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogLocation {
    /// A local folder (a path, or a `file://` URL).
    Local(PathBuf),
    /// A prefix in object storage, as its URL (`s3a://bucket/prefix`).
    ObjectStore(String),
}

impl LogLocation {
    /// `dir` as a location.
    pub fn parse(dir: &str) -> Result<Self, EventLogError> {
        match dir.split_once("://") {
            None => Ok(Self::Local(PathBuf::from(dir))),
            Some(("file", path)) => Ok(Self::Local(PathBuf::from(path))),
            Some(_) if is_object_store_path(dir) => Ok(Self::ObjectStore(dir.trim_end_matches('/').to_string())),
            Some(_) => Err(EventLogError::Scheme { dir: dir.to_string() }),
        }
    }
}

/// The writer of application `app_id`'s log in `spark.eventLog.dir`, created (for object
/// storage, its upload started) so that a folder or bucket it cannot write to fails the
/// start rather than every later event.
pub async fn create_writer(conf: &SparkConf, dir: &str, app_id: &str) -> Result<Box<dyn Listener>, EventLogError> {
    Ok(match LogLocation::parse(dir)? {
        LogLocation::Local(dir) => Box::new(file::EventLogWriter::create(&dir, app_id)?),
        LogLocation::ObjectStore(url) => {
            let (store, prefix) = open_url(conf, &url)?;
            Box::new(object::ObjectStoreLogWriter::create(store, &prefix, &url, app_id).await?)
        }
    })
}

/// `event` as one line of a log, with its newline.
fn line_of(event: &ListenerEvent) -> serde_json::Result<Vec<u8>> {
    let mut line = serde_json::to_vec(event)?;
    line.push(b'\n');
    Ok(line)
}

/// Replays the log `text` (named `log` in errors) into a store. A last line cut short (a
/// log still being written) is left out; any other bad line is an error.
pub fn parse_event_log(log: &str, text: &[u8], retention: Retention) -> Result<AppStatusStore, EventLogError> {
    let mut store = AppStatusStore::new(retention);
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    let last = lines.iter().rposition(|line| !line.trim_ascii().is_empty()).map_or(0, |i| i + 1);
    for (number, line) in lines.iter().enumerate().take(last) {
        if line.trim_ascii().is_empty() {
            continue;
        }
        match serde_json::from_slice::<ListenerEvent>(line) {
            Ok(event) => store.apply(&event),
            Err(_) if number + 1 == last && !line.trim_ascii().ends_with(b"}") => break,
            Err(source) => return Err(EventLogError::Parse { log: log.to_string(), line: number + 1, source }),
        }
    }
    Ok(store)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::listener::events::{PlanNode, StageInfo, TaskAttempt, TaskEndMetrics};

    /// The events of a small application, start to end.
    pub(crate) fn events() -> Vec<ListenerEvent> {
        let task = TaskAttempt { job_id: 0, stage_id: 0, index: 0, attempt: 0 };
        let plan = PlanNode { node_name: "AggregateExec".into(), simple_string: "AggregateExec: mode=Final".into(), children: vec![] };
        vec![
            ListenerEvent::ApplicationStart { app_name: "demo".into(), app_id: "app-1".into(), time: 10, spark_user: "me".into() },
            ListenerEvent::EnvironmentUpdate { spark_properties: vec![("spark.master".into(), "local-cluster[2,1,1024]".into())], runtime: vec![] },
            ListenerEvent::ExecutorAdded { time: 11, executor_id: "1".into(), host_port: "127.0.0.1:5".into(), total_cores: 1 },
            ListenerEvent::SqlExecutionStart { time: 12, execution_id: 0, description: "count".into(), physical_plan_description: "AggregateExec".into(), spark_plan_info: plan },
            ListenerEvent::JobStart {
                time: 12,
                job_id: 0,
                stage_infos: vec![StageInfo { stage_id: 0, name: "s".into(), num_tasks: 1, parent_ids: vec![], details: String::new(), plan_positions: vec![Some(0)] }],
                execution_id: Some(0),
                description: "count".into(),
                job_group: Some("g".into()),
            },
            ListenerEvent::TaskStart { time: 13, task, executor_id: "1".into() },
            ListenerEvent::TaskEnd { time: 14, task, executor_id: "1".into(), error: None, metrics: TaskEndMetrics { records: 1, bytes: 8, run_time_ms: 1, shuffle_read_records: 4, shuffle_remote_bytes_read: 64, ..Default::default() }, operator_metrics: vec![vec![("output_rows".into(), 1)]] },
            ListenerEvent::ExecutorRemoved { time: 15, executor_id: "1".into(), reason: "exited with signal 9".into() },
            ListenerEvent::JobEnd { time: 16, job_id: 0, error: None },
            ListenerEvent::SqlExecutionEnd { time: 16, execution_id: 0, error: None, node_metrics: vec![] },
            ListenerEvent::ApplicationEnd { time: 17 },
        ]
    }

    /// Feeds `events()` to `writer` and to a live store; the store a replay of `text`
    /// gives is the live one.
    pub(crate) async fn assert_replays_as_live(writer: &mut dyn Listener, read: impl AsyncFnOnce() -> Vec<u8>) {
        let mut live = AppStatusStore::default();
        for event in events() {
            writer.on_event(&event).await;
            live.apply(&event);
        }
        let text = read().await;
        assert_eq!(text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count(), events().len(), "one line per event");
        assert!(text.starts_with(br#"{"Event":"SparkListenerApplicationStart""#), "{}", String::from_utf8_lossy(&text));
        let replayed = parse_event_log("the log", &text, Retention::default()).unwrap();
        assert_eq!(replayed.app, live.app);
        assert_eq!(replayed.jobs, live.jobs);
        assert_eq!(replayed.stages, live.stages);
        assert_eq!(replayed.executors, live.executors);
        assert_eq!(replayed.executions, live.executions);
        assert_eq!(replayed.totals, live.totals);
        assert_eq!(replayed.executors["1"].remove_reason.as_deref(), Some("exited with signal 9"));
        assert_eq!(replayed.executions[&0].node_metrics, vec![vec![("output_rows".to_string(), 1)]], "the task's operator metrics");
    }

    #[test]
    fn a_cut_last_line_is_left_out_and_a_bad_line_is_named() {
        let first = serde_json::to_string(&events()[0]).unwrap();
        let cut = format!("{first}\n{{\"Event\":\"SparkListenerJobSt");
        assert_eq!(parse_event_log("app-2.inprogress", cut.as_bytes(), Retention::default()).unwrap().app.id, "app-1");
        let bad = format!("{{\"Event\":\"Nope\"}}\n{first}\n");
        let error = parse_event_log("app-2.inprogress", bad.as_bytes(), Retention::default()).unwrap_err().to_string();
        assert!(error.contains("app-2.inprogress line 1 is not a Flint event"), "{error}");
    }

    #[test]
    fn folders_are_local_or_in_object_storage() {
        assert_eq!(LogLocation::parse("/tmp/x").unwrap(), LogLocation::Local(PathBuf::from("/tmp/x")));
        assert_eq!(LogLocation::parse("file:///tmp/x").unwrap(), LogLocation::Local(PathBuf::from("/tmp/x")));
        assert_eq!(LogLocation::parse("s3a://bucket/logs/").unwrap(), LogLocation::ObjectStore("s3a://bucket/logs".into()));
        let error = LogLocation::parse("hdfs://nn/logs").unwrap_err().to_string();
        assert!(error.contains("hdfs://nn/logs is neither a local folder") && error.contains("s3a://"), "{error}");
    }
}
