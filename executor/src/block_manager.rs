//! The block manager: owns the executor's block directory (shuffle outputs) and removes a
//! job's blocks when the job ends.

use crate::ExecutorError;
use flint_engine::ids::JobId;
use flint_engine::shuffle::layout;
use std::path::{Path, PathBuf};

/// The executor's blocks on local disk, under one root directory.
#[derive(Debug)]
pub struct BlockManager {
    root: PathBuf,
}

impl BlockManager {
    /// The block manager of executor process `pid` under `local_dir` (`spark.local.dir`):
    /// [`layout::executor_dir`], emptied first, so no application reads, overwrites or
    /// removes another's blocks.
    pub fn for_process(local_dir: &Path, executor: &str, pid: u32) -> Result<Self, ExecutorError> {
        let root = layout::executor_dir(local_dir, executor, pid);
        if let Err(source) = std::fs::remove_dir_all(&root)
            && source.kind() != std::io::ErrorKind::NotFound
        {
            return Err(ExecutorError::BlockDir { path: root.display().to_string(), source });
        }
        Self::new(root)
    }

    /// A block manager over `root`, created if missing.
    pub fn new(root: PathBuf) -> Result<Self, ExecutorError> {
        std::fs::create_dir_all(&root)
            .map_err(|source| ExecutorError::BlockDir { path: root.display().to_string(), source })?;
        Ok(Self { root })
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
}
