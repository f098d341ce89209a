//! The history server: the UI and REST API of finished (and running) applications, read
//! from the event logs in `spark.history.fs.logDirectory`. Each request sees the folder
//! as it is; a log is read again only when its size or time changed.

use super::api::Applications;
use super::event_log::read_event_log;
use super::store::{Retention, SharedStore};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

/// A log read once: its size and time then, and what it holds.
type Loaded = (u64, Option<SystemTime>, SharedStore);

/// The applications whose event logs are in one folder.
#[derive(Debug)]
pub struct HistoryApps {
    dir: PathBuf,
    retention: Retention,
    loaded: Mutex<HashMap<PathBuf, Loaded>>,
}

impl HistoryApps {
    /// The logs of `dir`.
    pub fn new(dir: PathBuf, retention: Retention) -> Self {
        Self { dir, retention, loaded: Mutex::new(HashMap::new()) }
    }

    fn scan(&self) -> Vec<SharedStore> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) => {
                tracing::warn!(dir = %self.dir.display(), %error, "cannot list the event log folder");
                return Vec::new();
            }
        };
        let mut loaded = self.loaded.lock();
        let mut apps = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() || path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                continue;
            }
            let (size, modified) = (meta.len(), meta.modified().ok());
            if let Some((s, m, store)) = loaded.get(&path)
                && (*s, *m) == (size, modified)
            {
                apps.push(Arc::clone(store));
                continue;
            }
            match read_event_log(&path, self.retention) {
                Ok(store) if !store.app.id.is_empty() => {
                    let store: SharedStore = Arc::new(parking_lot::RwLock::new(store));
                    loaded.insert(path, (size, modified, Arc::clone(&store)));
                    apps.push(store);
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "skipping an event log"),
            }
        }
        loaded.retain(|path, _| path.exists() || path.with_extension("").exists());
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

impl Applications for HistoryApps {
    fn list(&self) -> Vec<SharedStore> {
        self.scan()
    }

    fn get(&self, id: &str) -> Option<SharedStore> {
        self.scan().into_iter().find(|a| a.read().app.id == id)
    }
}
