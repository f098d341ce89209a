//! The history server: the UI and REST API of finished (and running) applications, read
//! from the event logs in `spark.history.fs.logDirectory`, a local folder or a prefix in
//! object storage. Each request sees the folder as it is; a log is read again only when
//! its size or time changed.

use super::api::Applications;
use super::conf::{self, BadValue};
use super::event_log::{EventLogDir, EventLogError};
use super::store::{Retention, SharedStore};
use flint_engine::config::SparkConf;
use object_store::path::Path;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// A log read once: its size and time then, and what it holds.
type Loaded = (u64, chrono::DateTime<chrono::Utc>, SharedStore);

/// Why the history server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// A key has a bad value.
    #[error(transparent)]
    Conf(#[from] BadValue),
    /// The folder cannot be opened or listed.
    #[error(transparent)]
    EventLog(#[from] EventLogError),
}

/// The applications whose event logs are in one folder.
#[derive(Debug)]
pub struct HistoryApps {
    dir: EventLogDir,
    retention: Retention,
    loaded: Mutex<HashMap<Path, Loaded>>,
}

impl HistoryApps {
    /// The logs of `dir`.
    pub fn new(dir: EventLogDir, retention: Retention) -> Self {
        Self { dir, retention, loaded: Mutex::new(HashMap::new()) }
    }

    /// The logs of the folder `spark.history.fs.logDirectory` names, its object store
    /// built from `conf`'s `spark.hadoop.*` keys; listed once here, so that a missing
    /// folder or bucket, or keys the store refuses, fail the start with the reason.
    pub async fn open(conf: &SparkConf) -> Result<Self, HistoryError> {
        let dir = EventLogDir::open(conf, conf.get_or_default(&conf::HISTORY_LOG_DIRECTORY).unwrap_or_default())?;
        if dir.list().await?.is_empty() {
            tracing::warn!(dir = %dir.name(), "no event logs in the folder yet; applications appear once they write to it (spark.eventLog.dir)");
        }
        Ok(Self::new(dir, conf::retention(conf)?))
    }

    /// The folder as given.
    pub fn name(&self) -> &str {
        self.dir.name()
    }

    async fn scan(&self) -> Vec<SharedStore> {
        let listed = match self.dir.list().await {
            Ok(listed) => listed,
            Err(error) => {
                tracing::warn!(%error, "cannot list the event log folder");
                return Vec::new();
            }
        };
        let mut loaded = self.loaded.lock().await;
        let mut apps = Vec::new();
        for meta in &listed {
            if let Some((size, modified, store)) = loaded.get(&meta.location)
                && (*size, *modified) == (meta.size, meta.last_modified)
            {
                apps.push(Arc::clone(store));
                continue;
            }
            match self.dir.read(meta, self.retention).await {
                Ok(store) if !store.app.id.is_empty() => {
                    let store: SharedStore = Arc::new(parking_lot::RwLock::new(store));
                    loaded.insert(meta.location.clone(), (meta.size, meta.last_modified, Arc::clone(&store)));
                    apps.push(store);
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "skipping an event log"),
            }
        }
        loaded.retain(|location, _| listed.iter().any(|meta| &meta.location == location));
        // A finished log replaces its in-progress one.
        let finished: Vec<String> = apps.iter().filter(|a| a.read().is_completed()).map(|a| a.read().app.id.clone()).collect();
        apps.retain(|a| {
            let app = a.read();
            app.is_completed() || !finished.contains(&app.app.id)
        });
        apps.sort_by_key(|a| std::cmp::Reverse(a.read().app.start));
        apps
    }
}

#[async_trait::async_trait]
impl Applications for HistoryApps {
    async fn list(&self) -> Vec<SharedStore> {
        self.scan().await
    }

    async fn get(&self, id: &str) -> Option<SharedStore> {
        self.scan().await.into_iter().find(|a| a.read().app.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::super::event_log::object::ObjectStoreLogWriter;
    use super::super::event_log::tests::events;
    use super::*;
    use crate::listener::Listener;

    /// The history of a folder in object storage: an application is listed once its log
    /// completed, and served as its events built it.
    #[tokio::test]
    async fn logs_in_object_storage_are_listed_once_complete() {
        let store: Arc<dyn object_store::ObjectStore> = Arc::new(object_store::memory::InMemory::new());
        let prefix = Path::from("logs");
        let apps = HistoryApps::new(EventLogDir::with_store(Arc::clone(&store), prefix.clone(), "s3a://b/logs"), Retention::default());
        let mut writer = ObjectStoreLogWriter::create(Arc::clone(&store), &prefix, "s3a://b/logs", "app-1").await.unwrap();
        let all = events();
        let (last, running) = all.split_last().unwrap();
        for event in running {
            writer.on_event(event).await;
        }
        assert!(apps.list().await.is_empty(), "a log still being uploaded is no object yet");
        writer.on_event(last).await;
        let listed = apps.list().await;
        let [app] = &listed[..] else { panic!("one application") };
        assert!(app.read().is_completed());
        let served = apps.get("app-1").await.unwrap();
        assert_eq!(served.read().executors["1"].remove_reason.as_deref(), Some("exited with signal 9"));
        assert!(apps.get("app-2").await.is_none());
    }
}
