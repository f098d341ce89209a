//! The event log: with `spark.eventLog.enabled` the driver writes every listener event as
//! one JSON line to `spark.eventLog.dir/<app id>.inprogress`, renamed to `<app id>` when
//! the application ends (Spark's layout); [`read_event_log`] replays one into a store.

use super::store::{AppStatusStore, Retention};
use crate::listener::{Listener, ListenerEvent};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What a log still being written is called: `<app id>` plus this.
pub const IN_PROGRESS: &str = ".inprogress";

/// Why an event log cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    /// The folder or file cannot be created or written.
    #[error("cannot write the event log {path}: {source}; check spark.eventLog.dir")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file cannot be read.
    #[error("cannot read the event log {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not an event.
    #[error("{path} line {line} is not a Flint event: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// Why.
        source: serde_json::Error,
    },
    /// Only local folders are supported yet.
    #[error("spark.eventLog.dir {dir} is not a local folder (file:// or a path); other schemes are not supported yet")]
    Scheme {
        /// The value.
        dir: String,
    },
}

/// `spark.eventLog.dir` (or `spark.history.fs.logDirectory`) as a local folder.
pub fn local_dir(dir: &str) -> Result<PathBuf, EventLogError> {
    match dir.split_once("://") {
        None => Ok(PathBuf::from(dir)),
        Some(("file", path)) => Ok(PathBuf::from(path)),
        Some(_) => Err(EventLogError::Scheme { dir: dir.to_string() }),
    }
}

/// Writes the events of one application, in order, as JSON lines.
#[derive(Debug)]
pub struct EventLogWriter {
    in_progress: PathBuf,
    done: PathBuf,
    file: Option<BufWriter<File>>,
}

impl EventLogWriter {
    /// Creates `dir/<app_id>.inprogress` (and `dir`).
    pub fn create(dir: &Path, app_id: &str) -> Result<Self, EventLogError> {
        let done = dir.join(app_id);
        let in_progress = dir.join(format!("{app_id}{IN_PROGRESS}"));
        let write_error = |source| EventLogError::Write { path: in_progress.clone(), source };
        std::fs::create_dir_all(dir).map_err(write_error)?;
        let file = File::create(&in_progress).map_err(write_error)?;
        Ok(Self { in_progress, done, file: Some(BufWriter::new(file)) })
    }

    fn write(&mut self, event: &ListenerEvent) -> std::io::Result<()> {
        let Some(file) = &mut self.file else { return Ok(()) };
        serde_json::to_writer(&mut *file, event)?;
        file.write_all(b"\n")?;
        match event {
            // Readers of a running application's log see each job as it ends.
            ListenerEvent::JobEnd { .. } => file.flush(),
            ListenerEvent::ApplicationEnd { .. } => {
                file.flush()?;
                self.file = None;
                std::fs::rename(&self.in_progress, &self.done)
            }
            _ => Ok(()),
        }
    }
}

impl Listener for EventLogWriter {
    fn on_event(&mut self, event: &ListenerEvent) {
        if let Err(source) = self.write(event) {
            tracing::warn!(path = %self.in_progress.display(), %source, "cannot write the event log; no more events go to it");
            self.file = None;
        }
    }

    fn flush(&mut self) {
        if let Some(file) = &mut self.file
            && let Err(source) = file.flush()
        {
            tracing::warn!(path = %self.in_progress.display(), %source, "cannot flush the event log");
        }
    }
}

/// Replays the event log at `path` into a store. A last line cut short (a log still
/// being written) is left out; any other bad line is an error.
pub fn read_event_log(path: &Path, retention: Retention) -> Result<AppStatusStore, EventLogError> {
    let file = File::open(path).map_err(|source| EventLogError::Read { path: path.to_path_buf(), source })?;
    let mut store = AppStatusStore::new(retention);
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|source| EventLogError::Read { path: path.to_path_buf(), source })?;
    let last = lines.len();
    for (number, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<ListenerEvent>(line) {
            Ok(event) => store.apply(&event),
            Err(_) if number + 1 == last && !line.ends_with('}') => break,
            Err(source) => return Err(EventLogError::Parse { path: path.to_path_buf(), line: number + 1, source }),
        }
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listener::events::{PlanNode, StageInfo, TaskAttempt, TaskEndMetrics};

    fn events() -> Vec<ListenerEvent> {
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
                stage_infos: vec![StageInfo { stage_id: 0, name: "s".into(), num_tasks: 1, parent_ids: vec![], details: String::new() }],
                execution_id: Some(0),
                description: "count".into(),
                job_group: Some("g".into()),
            },
            ListenerEvent::TaskStart { time: 13, task, executor_id: "1".into() },
            ListenerEvent::TaskEnd { time: 14, task, executor_id: "1".into(), error: None, metrics: TaskEndMetrics { records: 1, bytes: 8, run_time_ms: 1, spill_bytes: 0 } },
            ListenerEvent::ExecutorRemoved { time: 15, executor_id: "1".into(), reason: "exited with signal 9".into() },
            ListenerEvent::JobEnd { time: 16, job_id: 0, error: None },
            ListenerEvent::SqlExecutionEnd { time: 16, execution_id: 0, error: None, node_metrics: vec![vec![("output_rows".into(), 1)]] },
            ListenerEvent::ApplicationEnd { time: 17 },
        ]
    }

    /// Written, renamed at the end, read back: the replayed store is the live one.
    #[test]
    fn a_log_replays_into_the_store_the_live_events_built() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = EventLogWriter::create(dir.path(), "app-1").unwrap();
        let mut live = AppStatusStore::default();
        for event in events() {
            writer.on_event(&event);
            live.apply(&event);
        }
        assert!(!dir.path().join("app-1.inprogress").exists(), "renamed when the application ended");
        let text = std::fs::read_to_string(dir.path().join("app-1")).unwrap();
        assert_eq!(text.lines().count(), events().len(), "one line per event");
        assert!(text.lines().next().unwrap().starts_with(r#"{"Event":"SparkListenerApplicationStart""#), "{text}");
        let replayed = read_event_log(&dir.path().join("app-1"), Retention::default()).unwrap();
        assert_eq!(replayed.app, live.app);
        assert_eq!(replayed.jobs, live.jobs);
        assert_eq!(replayed.stages, live.stages);
        assert_eq!(replayed.executors, live.executors);
        assert_eq!(replayed.executions, live.executions);
        assert_eq!(replayed.totals, live.totals);
        assert_eq!(replayed.executors["1"].remove_reason.as_deref(), Some("exited with signal 9"));
    }

    #[test]
    fn a_cut_last_line_is_left_out_and_a_bad_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app-2.inprogress");
        let first = serde_json::to_string(&events()[0]).unwrap();
        std::fs::write(&path, format!("{first}\n{{\"Event\":\"SparkListenerJobSt")).unwrap();
        assert_eq!(read_event_log(&path, Retention::default()).unwrap().app.id, "app-1");
        std::fs::write(&path, format!("{{\"Event\":\"Nope\"}}\n{first}\n")).unwrap();
        let error = read_event_log(&path, Retention::default()).unwrap_err().to_string();
        assert!(error.contains("app-2.inprogress line 1 is not a Flint event"), "{error}");
        assert!(local_dir("s3a://bucket/logs").unwrap_err().to_string().contains("not a local folder"));
        assert_eq!(local_dir("file:///tmp/x").unwrap(), PathBuf::from("/tmp/x"));
    }
}
