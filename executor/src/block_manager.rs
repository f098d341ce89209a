//! The block manager: owns the executor's block directory (shuffle outputs) and removes a
//! job's blocks when the job ends.
//!
//! A live executor holds an exclusive lock on `.lock` in its directory. The kernel drops the
//! lock when the process dies, however it dies, so a starting executor removes the
//! directories under `spark.local.dir` that no process holds: those of executors that were
//! killed (a SIGKILL leaves no chance to clean up) and would otherwise fill the disk.

use crate::ExecutorError;
use flint_engine::ids::JobId;
use flint_engine::shuffle::layout;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file a live executor keeps locked in its block directory.
const LOCK_FILE: &str = ".lock";

/// A directory without a lock file is left alone this long: its executor may be starting.
const UNLOCKED_GRACE: Duration = Duration::from_secs(60);

/// The executor's blocks on local disk, under one root directory.
#[derive(Debug)]
pub struct BlockManager {
    root: PathBuf,
    /// Held while the executor lives; see the module docs.
    _lock: Option<File>,
}

impl BlockManager {
    /// The block manager of executor process `pid` under `local_dir` (`spark.local.dir`):
    /// [`layout::executor_dir`], emptied first, so no application reads, overwrites or
    /// removes another's blocks.
    /// Directories of dead executors under `local_dir` are removed first.
    pub fn for_process(local_dir: &Path, executor: &str, pid: u32) -> Result<Self, ExecutorError> {
        let root = layout::executor_dir(local_dir, executor, pid);
        if let Err(source) = std::fs::remove_dir_all(&root)
            && source.kind() != std::io::ErrorKind::NotFound
        {
            return Err(ExecutorError::BlockDir { path: root.display().to_string(), source });
        }
        remove_dead_executor_dirs(local_dir);
        let mut manager = Self::new(root)?;
        let lock_path = manager.root.join(LOCK_FILE);
        let block_dir_error = |source| ExecutorError::BlockDir { path: lock_path.display().to_string(), source };
        let lock = File::create(&lock_path).map_err(block_dir_error)?;
        lock.try_lock().map_err(|e| block_dir_error(std::io::Error::other(e.to_string())))?;
        manager._lock = Some(lock);
        Ok(manager)
    }

    /// A block manager over `root`, created if missing.
    pub fn new(root: PathBuf) -> Result<Self, ExecutorError> {
        std::fs::create_dir_all(&root)
            .map_err(|source| ExecutorError::BlockDir { path: root.display().to_string(), source })?;
        Ok(Self { root, _lock: None })
    }

    /// The root directory map tasks write under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Removes every block of `job`.
    pub fn remove_job(&self, job: JobId) {
        let dir = layout::job_dir(&self.root, job);
        if let Err(e) = std::fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("could not remove {}: {e}", dir.display());
        }
    }

    /// Removes everything (at executor stop).
    pub fn remove_all(&self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Removes the `executor-*` directories under `local_dir` whose lock no process holds.
fn remove_dead_executor_dirs(local_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(local_dir) else { return };
    for entry in entries.flatten() {
        let dir = entry.path();
        let is_executor_dir = entry.file_name().to_string_lossy().starts_with("executor-");
        if is_executor_dir && dir.is_dir() && is_dead(&dir) {
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => tracing::info!(dir = %dir.display(), "removed the block directory of a dead executor"),
                Err(error) => tracing::warn!(dir = %dir.display(), %error, "could not remove a dead executor's block directory"),
            }
        }
    }
}

/// Whether no live executor owns `dir`: its lock can be taken, or it has none and is older
/// than [`UNLOCKED_GRACE`] (left by an executor that predates the lock file).
fn is_dead(dir: &Path) -> bool {
    match File::open(dir.join(LOCK_FILE)) {
        Ok(lock) => lock.try_lock().is_ok(),
        Err(_) => std::fs::metadata(dir)
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > UNLOCKED_GRACE)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Two applications' executors with the same id share `spark.local.dir`: each keeps
    /// its own blocks, and ending a job in one leaves the other's blocks of the same job
    /// id in place (the cause of wrong answers when local clusters ran side by side).
    #[test]
    fn executors_of_two_applications_keep_their_blocks_apart() {
        let local = tempfile::tempdir().unwrap();
        let first = BlockManager::for_process(local.path(), "0", 100).unwrap();
        let second = BlockManager::for_process(local.path(), "0", 200).unwrap();
        assert_ne!(first.root(), second.root());
        let block = flint_engine::ids::ShuffleBlockId {
            job: JobId(0),
            stage: flint_engine::ids::StageId(1),
            map: 0,
            reduce: 0,
        };
        for manager in [&first, &second] {
            let path = layout::block_path(manager.root(), &block);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, manager.root().display().to_string()).unwrap();
        }
        first.remove_job(JobId(0));
        assert!(!layout::block_path(first.root(), &block).exists());
        let kept = std::fs::read_to_string(layout::block_path(second.root(), &block)).unwrap();
        assert_eq!(kept, second.root().display().to_string());
    }

    /// A killed executor's directory (its lock released) is removed by the next executor
    /// that starts; a live executor's directory is kept.
    #[test]
    fn a_starting_executor_removes_dead_executors_directories() {
        let local = tempfile::tempdir().unwrap();
        let live = BlockManager::for_process(local.path(), "0", 100).unwrap();
        let dead = BlockManager::for_process(local.path(), "1", 101).unwrap();
        let dead_root = dead.root().to_path_buf();
        std::fs::write(dead_root.join("block"), "x").unwrap();
        drop(dead);
        assert!(dead_root.exists(), "dropping the manager releases the lock, it does not clean up");
        let _next = BlockManager::for_process(local.path(), "2", 102).unwrap();
        assert!(!dead_root.exists());
        assert!(live.root().exists());
    }
}
