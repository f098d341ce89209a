//! The write commit protocol on object stores (`s3a://`, `gs://`, …), which have no
//! atomic rename: task attempts write under the job's hidden staging prefix beside the
//! target (`.flint-staging-<name>-<id>/_temporary/<partition>-<attempt>/`), and the job
//! commit copies the finished attempts' objects into the target (server-side copies),
//! removes what an overwrite replaces only once every new object is in place, writes
//! `_SUCCESS`, then deletes the staging prefix. As with Spark's S3A committers, the job
//! commit is not atomic for readers listing the target meanwhile, but no reader of the
//! target ever sees a file of a failed, killed or uncommitted attempt, and the replaced
//! data is never deleted before the new data is there.

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::datasource::listing::ListingTableUrl;
use datafusion::execution::object_store::ObjectStoreUrl;
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt};
use object_store::path::Path;

use crate::error::{FlintError, Result};

use super::{SaveMode, TASK_ATTEMPTS_DIR};

/// How many staged objects a job commit copies at once.
const COPIES_AT_ONCE: usize = 16;

/// Where one write job to an object store puts its objects until it commits.
#[derive(Debug)]
pub struct ObjectStagedWrite {
    store: Arc<dyn ObjectStore>,
    store_url: ObjectStoreUrl,
    target: Path,
    staging: Path,
    adopted: Vec<(Path, String)>,
}

impl ObjectStagedWrite {
    /// A staging prefix for a write to `target` (an `s3a://bucket/key` URL) in `store`;
    /// a bucket's root is refused (an overwrite would replace the whole bucket).
    pub fn create(store: Arc<dyn ObjectStore>, target: &ListingTableUrl) -> Result<Self> {
        let prefix = target.prefix().clone();
        if prefix.as_ref().is_empty() {
            return Err(FlintError::ObjectStore {
                action: "writing to",
                path: target.to_string(),
                source: object_store::Error::Generic {
                    store: "staging",
                    source: "a write needs a folder in the bucket, e.g. s3a://bucket/table, not the bucket's root".into(),
                },
            });
        }
        let name = prefix.filename().unwrap_or_default().to_string();
        let staging_name = format!(".flint-staging-{name}-{}", uuid::Uuid::new_v4().simple());
        let parent: Vec<_> = prefix.parts().collect();
        let parent = parent.len().saturating_sub(1);
        let staging: Path = prefix.parts().take(parent).chain(std::iter::once(staging_name.as_str().into())).collect();
        Ok(Self { store, store_url: target.object_store(), target: prefix, staging, adopted: Vec::new() })
    }

    /// Whether anything is at the target: an object under its prefix, or one at its key.
    pub async fn target_exists(&self) -> Result<bool> {
        let mut listing = self.store.list(Some(&self.target));
        match listing.next().await {
            Some(Ok(_)) => return Ok(true),
            Some(Err(source)) => return Err(self.error("listing", &self.target, source)),
            None => {}
        }
        match self.store.head(&self.target).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(source) => Err(self.error("checking", &self.target, source)),
        }
    }

    /// The URL of the staging prefix, for the write plan (ends with `/`).
    pub fn dir_url(&self) -> String {
        self.url(&self.staging) + "/"
    }

    /// Keeps the objects of the task attempts that finished, `attempt_dirs` (URLs of
    /// folders under [`TASK_ATTEMPTS_DIR`]); what any other attempt wrote is never
    /// committed.
    pub async fn adopt_task_attempts(&mut self, attempt_dirs: &[String]) -> Result<()> {
        let attempts = self.staging.clone().join(TASK_ATTEMPTS_DIR);
        for dir in attempt_dirs {
            let url = ListingTableUrl::parse(dir)?;
            let prefix = url.prefix().clone();
            if url.object_store() != self.store_url || !prefix.prefix_matches(&attempts) {
                return Err(FlintError::ObjectStore {
                    action: "adopting a task's files from",
                    path: dir.clone(),
                    source: object_store::Error::Generic {
                        store: "staging",
                        source: format!("not a task attempt folder of {}", self.url(&attempts)).into(),
                    },
                });
            }
            for object in self.list(&prefix).await? {
                let relative = relative_to(&prefix, &object);
                self.adopted.push((object, relative));
            }
        }
        Ok(())
    }

    /// Copies what the job wrote into the target as `mode` says, then marks it with
    /// `_SUCCESS` and removes the staging prefix. `Overwrite` deletes the objects it
    /// replaces after the new ones are in; `Append` adds beside them.
    pub async fn commit(self, mode: SaveMode) -> Result<()> {
        let attempts = self.staging.clone().join(TASK_ATTEMPTS_DIR);
        let mut files = self.adopted.clone();
        for object in self.list(&self.staging).await? {
            if !object.prefix_matches(&attempts) {
                files.push((object.clone(), relative_to(&self.staging, &object)));
            }
        }
        let replaced = match mode {
            SaveMode::Overwrite => self.list(&self.target).await?,
            _ => Vec::new(),
        };
        // Server-side copies, a few at a time (each future owns what it uses, so the
        // commit stays `Send` for the sessions' tasks).
        let copies = files.into_iter().map(|(from, relative)| {
            let (store, to, url) = (Arc::clone(&self.store), join(&self.target, &relative), self.store_url.clone());
            async move {
                match store.copy(&from, &to).await {
                    Ok(()) => Ok(to),
                    Err(source) => Err(FlintError::ObjectStore {
                        action: "copying a staged file to",
                        path: format!("{}{to}", url.as_str()),
                        source,
                    }),
                }
            }
        });
        let written: BTreeSet<Path> = futures::stream::iter(copies).buffer_unordered(COPIES_AT_ONCE).try_collect().await?;
        let stale: Vec<Path> = replaced.into_iter().filter(|old| !written.contains(old)).collect();
        self.delete(stale).await?;
        let success = self.target.clone().join("_SUCCESS");
        self.store.put(&success, Vec::<u8>::new().into()).await.map_err(|e| self.error("marking success in", &self.target, e))?;
        self.abort().await;
        Ok(())
    }

    /// Deletes the staging prefix: after a commit, or in place of one when the job failed.
    pub async fn abort(&self) {
        match self.list(&self.staging).await {
            Ok(objects) => {
                if let Err(error) = self.delete(objects).await {
                    tracing::warn!(path = %self.url(&self.staging), %error, "could not remove a write's staged files");
                }
            }
            Err(error) => tracing::warn!(path = %self.url(&self.staging), %error, "could not list a write's staged files"),
        }
    }

    /// Every object under `prefix`.
    async fn list(&self, prefix: &Path) -> Result<Vec<Path>> {
        let objects: Vec<_> = self.store.list(Some(prefix)).map_ok(|meta| meta.location).try_collect().await.map_err(|e| self.error("listing", prefix, e))?;
        Ok(objects)
    }

    /// Deletes `objects`, a batch at a time where the store can.
    async fn delete(&self, objects: Vec<Path>) -> Result<()> {
        let locations = futures::stream::iter(objects.into_iter().map(Ok)).boxed();
        self.store
            .delete_stream(locations)
            .try_collect::<Vec<_>>()
            .await
            .map_err(|e| self.error("deleting", &self.target, e))?;
        Ok(())
    }

    fn url(&self, path: &Path) -> String {
        format!("{}{}", self.store_url.as_str(), path)
    }

    fn error(&self, action: &'static str, path: &Path, source: object_store::Error) -> FlintError {
        FlintError::ObjectStore { action, path: self.url(path), source }
    }
}

/// `object`'s key relative to `prefix` (`k=1/part-0.parquet`).
fn relative_to(prefix: &Path, object: &Path) -> String {
    object.prefix_match(prefix).map(|parts| parts.map(|p| p.as_ref().to_string()).collect::<Vec<_>>().join("/")).unwrap_or_default()
}

/// `relative` (slash-separated) under `base`.
fn join(base: &Path, relative: &str) -> Path {
    base.parts().chain(relative.split('/').filter(|p| !p.is_empty()).map(Into::into)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    async fn put(store: &InMemory, key: &str) {
        store.put(&Path::from(key), "x".into()).await.unwrap();
    }

    async fn keys(store: &InMemory) -> Vec<String> {
        let mut keys: Vec<String> = store.list(None).map_ok(|m| m.location.to_string()).try_collect().await.unwrap();
        keys.sort();
        keys
    }

    fn staged(store: &Arc<InMemory>, target: &str) -> ObjectStagedWrite {
        let url = ListingTableUrl::parse(target).unwrap();
        ObjectStagedWrite::create(Arc::clone(store) as Arc<dyn ObjectStore>, &url).unwrap()
    }

    fn attempt(write: &ObjectStagedWrite, name: &str) -> String {
        format!("{}{TASK_ATTEMPTS_DIR}/{name}/", write.dir_url())
    }

    fn staging_key(write: &ObjectStagedWrite) -> String {
        write.staging.to_string()
    }

    #[tokio::test]
    async fn only_finished_attempts_reach_the_target_and_staging_is_removed() {
        let store = Arc::new(InMemory::new());
        let mut write = staged(&store, "s3a://b/out/data");
        assert!(write.dir_url().starts_with("s3a://b/out/.flint-staging-data-"), "{}", write.dir_url());
        let staging = staging_key(&write);
        put(&store, &format!("{staging}/_temporary/00000-a/k=1/a.parquet")).await;
        put(&store, &format!("{staging}/_temporary/00001-killed/b.parquet")).await;
        write.adopt_task_attempts(&[attempt(&write, "00000-a")]).await.unwrap();
        assert!(!write.target_exists().await.unwrap());
        write.commit(SaveMode::ErrorIfExists).await.unwrap();
        assert_eq!(keys(&store).await, ["out/data/_SUCCESS", "out/data/k=1/a.parquet"]);
    }

    #[tokio::test]
    async fn overwrite_removes_the_old_objects_after_the_new_ones_are_in() {
        let store = Arc::new(InMemory::new());
        put(&store, "t/old.parquet").await;
        put(&store, "t/_SUCCESS").await;
        put(&store, "t2/kept.parquet").await;
        let mut write = staged(&store, "s3a://b/t");
        assert!(write.target_exists().await.unwrap());
        let staging = staging_key(&write);
        put(&store, &format!("{staging}/_temporary/00000-a/new.parquet")).await;
        write.adopt_task_attempts(&[attempt(&write, "00000-a")]).await.unwrap();
        write.commit(SaveMode::Overwrite).await.unwrap();
        assert_eq!(keys(&store).await, ["t/_SUCCESS", "t/new.parquet", "t2/kept.parquet"]);
    }

    #[tokio::test]
    async fn append_keeps_the_old_objects_and_an_abort_leaves_the_target_alone() {
        let store = Arc::new(InMemory::new());
        put(&store, "t/old.parquet").await;
        let mut write = staged(&store, "s3a://b/t");
        let staging = staging_key(&write);
        put(&store, &format!("{staging}/_temporary/00000-a/new.parquet")).await;
        put(&store, &format!("{staging}/schema-only.parquet")).await;
        write.adopt_task_attempts(&[attempt(&write, "00000-a")]).await.unwrap();
        write.commit(SaveMode::Append).await.unwrap();
        assert_eq!(keys(&store).await, ["t/_SUCCESS", "t/new.parquet", "t/old.parquet", "t/schema-only.parquet"]);

        let aborted = staged(&store, "s3a://b/t");
        put(&store, &format!("{}/_temporary/00000-x/partial.parquet", staging_key(&aborted))).await;
        aborted.abort().await;
        assert_eq!(keys(&store).await, ["t/_SUCCESS", "t/new.parquet", "t/old.parquet", "t/schema-only.parquet"]);
    }

    #[test]
    fn the_root_of_a_bucket_is_refused() {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let error = ObjectStagedWrite::create(store, &ListingTableUrl::parse("s3a://b/").unwrap()).unwrap_err().to_string();
        assert!(error.contains("not the bucket's root"), "{error}");
    }

    #[tokio::test]
    async fn a_folder_outside_the_attempts_is_not_adopted() {
        let store = Arc::new(InMemory::new());
        let mut write = staged(&store, "s3a://b/t");
        let error = write.adopt_task_attempts(&["s3a://b/elsewhere/".to_string()]).await.unwrap_err().to_string();
        assert!(error.contains("not a task attempt folder"), "{error}");
        let error = write.adopt_task_attempts(&["s3a://other/x/".to_string()]).await.unwrap_err().to_string();
        assert!(error.contains("not a task attempt folder"), "{error}");
    }
}
