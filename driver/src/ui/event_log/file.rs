//! The event log in a local folder: appended to `<app id>.inprogress`, flushed at each job
//! end (so a history server sees a running application's finished jobs) and renamed to
//! `<app id>` when the application ends.

use super::{EventLogError, IN_PROGRESS, line_of};
use crate::listener::{Listener, ListenerEvent};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes the events of one application, in order, as JSON lines to a local file.
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
        let write_error = |source| EventLogError::Write { log: in_progress.display().to_string(), source };
        std::fs::create_dir_all(dir).map_err(write_error)?;
        let file = File::create(&in_progress).map_err(write_error)?;
        Ok(Self { in_progress, done, file: Some(BufWriter::new(file)) })
    }

    fn write(&mut self, event: &ListenerEvent) -> std::io::Result<()> {
        let Some(file) = &mut self.file else { return Ok(()) };
        file.write_all(&line_of(event)?)?;
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

#[async_trait::async_trait]
impl Listener for EventLogWriter {
    async fn on_event(&mut self, event: &ListenerEvent) {
        if let Err(source) = self.write(event) {
            tracing::warn!(path = %self.in_progress.display(), %source, "cannot write the event log; no more events go to it");
            self.file = None;
        }
    }

    async fn flush(&mut self) {
        if let Some(file) = &mut self.file
            && let Err(source) = file.flush()
        {
            tracing::warn!(path = %self.in_progress.display(), %source, "cannot flush the event log");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::assert_replays_as_live;
    use super::*;

    /// Written, renamed at the end, read back: the replayed store is the live one.
    #[tokio::test]
    async fn a_log_replays_into_the_store_the_live_events_built() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = EventLogWriter::create(dir.path(), "app-1").unwrap();
        assert!(dir.path().join("app-1.inprogress").exists(), "written as .inprogress while the application runs");
        assert_replays_as_live(&mut writer, async || std::fs::read(dir.path().join("app-1")).unwrap()).await;
        assert!(!dir.path().join("app-1.inprogress").exists(), "renamed when the application ended");
    }
}
