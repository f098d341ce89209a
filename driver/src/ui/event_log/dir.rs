//! A folder of event logs as the history server reads it, local or in object storage
//! alike: through an object store (the local file system's for a path), listing the logs
//! directly in it and fetching each whole.

use super::{EventLogError, LogLocation, parse_event_log};
use crate::ui::store::{AppStatusStore, Retention};
use flint_engine::config::SparkConf;
use flint_engine::storage::open_url;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use std::sync::Arc;

/// The event logs of one folder (`spark.history.fs.logDirectory`).
#[derive(Debug, Clone)]
pub struct EventLogDir {
    store: Arc<dyn ObjectStore>,
    prefix: Option<Path>,
    /// The folder as given, for messages.
    dir: String,
}

impl EventLogDir {
    /// The folder `dir`, its object store built from `conf`'s `spark.hadoop.*` keys. A
    /// local folder must exist.
    pub fn open(conf: &SparkConf, dir: &str) -> Result<Self, EventLogError> {
        match LogLocation::parse(dir)? {
            LogLocation::Local(path) => {
                let store = LocalFileSystem::new_with_prefix(&path)
                    .ok()
                    .filter(|_| path.is_dir())
                    .ok_or_else(|| EventLogError::MissingDir { dir: path.display().to_string() })?;
                Ok(Self { store: Arc::new(store), prefix: None, dir: path.display().to_string() })
            }
            LogLocation::ObjectStore(url) => {
                let (store, prefix) = open_url(conf, &url)?;
                Ok(Self::with_store(store, prefix, &url))
            }
        }
    }

    /// The logs under `prefix` in `store` (the folder `dir` names).
    pub fn with_store(store: Arc<dyn ObjectStore>, prefix: Path, dir: &str) -> Self {
        let prefix = (!prefix.as_ref().is_empty()).then_some(prefix);
        Self { store, prefix, dir: dir.to_string() }
    }

    /// The folder as given.
    pub fn name(&self) -> &str {
        &self.dir
    }

    /// The logs directly in the folder (neither hidden files nor sub-folders).
    pub async fn list(&self) -> Result<Vec<ObjectMeta>, EventLogError> {
        let listed = self
            .store
            .list_with_delimiter(self.prefix.as_ref())
            .await
            .map_err(|source| EventLogError::List { dir: self.dir.clone(), source })?;
        Ok(listed.objects.into_iter().filter(|meta| meta.location.filename().is_some_and(|name| !name.starts_with('.'))).collect())
    }

    /// The log `meta` replayed into a store.
    pub async fn read(&self, meta: &ObjectMeta, retention: Retention) -> Result<AppStatusStore, EventLogError> {
        let log = self.log_name(&meta.location);
        let read_error = |source| EventLogError::Read { log: log.clone(), source };
        let text = self.store.get(&meta.location).await.map_err(read_error)?.bytes().await.map_err(read_error)?;
        parse_event_log(&log, &text, retention)
    }

    /// The log at `location` as the user would name it: its path or URL.
    fn log_name(&self, location: &Path) -> String {
        format!("{}/{}", self.dir.trim_end_matches('/'), location.filename().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::super::file::EventLogWriter;
    use super::super::tests::events;
    use super::*;
    use crate::listener::Listener;

    #[tokio::test]
    async fn a_local_folder_lists_its_logs_and_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = EventLogWriter::create(dir.path(), "app-1").unwrap();
        for event in events() {
            writer.on_event(&event).await;
        }
        std::fs::write(dir.path().join(".hidden"), "x").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let logs = EventLogDir::open(&SparkConf::new(), &dir.path().display().to_string()).unwrap();
        let listed = logs.list().await.unwrap();
        assert_eq!(listed.iter().map(|m| m.location.to_string()).collect::<Vec<_>>(), ["app-1"]);
        assert_eq!(logs.read(&listed[0], Retention::default()).await.unwrap().app.id, "app-1");
        let missing = dir.path().join("nope").display().to_string();
        let error = EventLogDir::open(&SparkConf::new(), &missing).unwrap_err().to_string();
        assert!(error.contains(&format!("the event log folder {missing} does not exist")), "{error}");
    }
}
