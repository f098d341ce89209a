//! The event log in object storage (`spark.eventLog.dir=s3a://bucket/prefix`), where
//! objects cannot be appended to or renamed: the log is one multipart upload of
//! `<prefix>/<app id>.inprogress`, a part sent whenever [`PART_SIZE`] bytes are buffered
//! (S3's smallest part, so the driver holds at most that much), completed when the
//! application ends and then moved (copied, the in-progress object deleted) to
//! `<prefix>/<app id>`. As with Spark's own logs on S3A, an upload becomes an object only
//! when it completes: a history server lists the application once it has ended.

use super::{EventLogError, IN_PROGRESS, line_of};
use crate::listener::{Listener, ListenerEvent};
use object_store::path::Path;
use object_store::{MultipartUpload, ObjectStore, ObjectStoreExt};
use std::sync::Arc;

/// The bytes buffered before a part is uploaded: 5 MiB, the least S3 takes for any part
/// but the last.
pub const PART_SIZE: usize = 5 * 1024 * 1024;

/// Writes the events of one application, in order, as JSON lines to an object.
pub struct ObjectStoreLogWriter {
    store: Arc<dyn ObjectStore>,
    in_progress: Path,
    done: Path,
    /// The in-progress object's URL, for messages.
    url: String,
    /// The upload, until it completed or failed.
    upload: Option<Box<dyn MultipartUpload>>,
    /// Lines not yet sent.
    pending: Vec<u8>,
}

impl std::fmt::Debug for ObjectStoreLogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStoreLogWriter").field("url", &self.url).field("pending", &self.pending.len()).finish()
    }
}

impl ObjectStoreLogWriter {
    /// Starts the upload of `<prefix>/<app_id>.inprogress` in `store` (`prefix` is the
    /// folder's URL `url` in it): a bucket that is missing or refuses the keys fails here,
    /// when the application starts.
    pub async fn create(store: Arc<dyn ObjectStore>, prefix: &Path, url: &str, app_id: &str) -> Result<Self, EventLogError> {
        let in_progress = prefix.clone().join(format!("{app_id}{IN_PROGRESS}"));
        let done = prefix.clone().join(app_id);
        let url = format!("{url}/{app_id}{IN_PROGRESS}");
        let upload = store.put_multipart(&in_progress).await.map_err(|source| EventLogError::Upload { log: url.clone(), source })?;
        tracing::info!(log = %url, "writing the event log");
        Ok(Self { store, in_progress, done, url, upload: Some(upload), pending: Vec::new() })
    }

    async fn write(&mut self, event: &ListenerEvent) -> Result<(), EventLogError> {
        let Some(upload) = &mut self.upload else { return Ok(()) };
        let line = line_of(event).map_err(|source| EventLogError::Write { log: self.url.clone(), source: source.into() })?;
        self.pending.extend_from_slice(&line);
        let upload_error = |source| EventLogError::Upload { log: self.url.clone(), source };
        let end = matches!(event, ListenerEvent::ApplicationEnd { .. });
        if self.pending.len() >= PART_SIZE || end {
            upload.put_part(std::mem::take(&mut self.pending).into()).await.map_err(upload_error)?;
        }
        if end {
            upload.complete().await.map_err(upload_error)?;
            self.upload = None;
            self.store.rename(&self.in_progress, &self.done).await.map_err(upload_error)?;
            tracing::info!(log = %self.url, "the event log is complete");
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Listener for ObjectStoreLogWriter {
    async fn on_event(&mut self, event: &ListenerEvent) {
        if let Err(error) = self.write(event).await {
            tracing::warn!(%error, "no more events go to the event log");
            if let Some(mut upload) = self.upload.take()
                && let Err(error) = upload.abort().await
            {
                tracing::warn!(log = %self.url, %error, "cannot abort the event log's upload");
            }
            self.pending.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_replays_as_live, events};
    use super::*;
    use object_store::memory::InMemory;

    async fn names(store: &InMemory) -> Vec<String> {
        use futures::TryStreamExt;
        store.list(None).map_ok(|meta| meta.location.to_string()).try_collect().await.unwrap()
    }

    /// Uploaded, completed and moved to its final name at the end, read back: the replayed
    /// store is the live one.
    #[tokio::test]
    async fn a_log_in_object_storage_replays_into_the_store_the_live_events_built() {
        let store = Arc::new(InMemory::new());
        let prefix = Path::from("logs/flint");
        let mut writer = ObjectStoreLogWriter::create(store.clone(), &prefix, "s3a://bucket/logs/flint", "app-1").await.unwrap();
        writer.on_event(&events()[0]).await;
        assert_eq!(names(&store).await, Vec::<String>::new(), "an upload is no object until it completes");
        let mut writer = ObjectStoreLogWriter::create(store.clone(), &prefix, "s3a://bucket/logs/flint", "app-1").await.unwrap();
        let read = async || store.get(&Path::from("logs/flint/app-1")).await.unwrap().bytes().await.unwrap().to_vec();
        assert_replays_as_live(&mut writer, read).await;
        assert_eq!(names(&store).await, ["logs/flint/app-1"], "the .inprogress object was moved");
    }

    /// A log longer than a part is sent in parts of [`PART_SIZE`] and put together whole.
    #[tokio::test]
    async fn a_long_log_is_sent_in_parts_and_arrives_whole() {
        let store = Arc::new(InMemory::new());
        let mut writer = ObjectStoreLogWriter::create(store.clone(), &Path::from("logs"), "s3a://b/logs", "app-2").await.unwrap();
        let executor = |i: usize| ListenerEvent::ExecutorAdded { time: 1, executor_id: i.to_string(), host_port: "h:1".into(), total_cores: 1 };
        let line = super::super::line_of(&executor(0)).unwrap().len();
        let count = 3 * PART_SIZE / line;
        for i in 0..count {
            writer.on_event(&executor(i)).await;
            assert!(writer.pending.len() < PART_SIZE, "a part leaves once full");
        }
        writer.on_event(&ListenerEvent::ApplicationEnd { time: 2 }).await;
        let text = store.get(&Path::from("logs/app-2")).await.unwrap().bytes().await.unwrap();
        let replayed = super::super::parse_event_log("app-2", &text, Default::default()).unwrap();
        assert_eq!(replayed.executors.len(), count);
        assert_eq!(replayed.app.end, Some(2));
    }

    /// A store that refuses the upload fails the start, naming the log.
    #[tokio::test]
    async fn a_refused_upload_fails_the_start() {
        let local = tempfile::tempdir().unwrap();
        let file = local.path().join("not-a-folder");
        std::fs::write(&file, "x").unwrap();
        let store: Arc<dyn ObjectStore> = Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&file).unwrap());
        let error = ObjectStoreLogWriter::create(store, &Path::from("logs"), "s3a://b/logs", "app-3").await.unwrap_err().to_string();
        assert!(error.contains("cannot write the event log s3a://b/logs/app-3.inprogress"), "{error}");
    }
}
