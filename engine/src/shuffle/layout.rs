//! Where shuffle blocks live on an executor's disk.

use crate::ids::{CacheId, JobId, ShuffleBlockId, StageId};
use std::path::{Path, PathBuf};

/// The block directory of executor `executor`'s process `pid` under `local_dir`
/// (`spark.local.dir`). The process id keeps apart executors of different applications
/// sharing `local_dir` (every local-cluster numbers its executors from 0).
pub fn executor_dir(local_dir: &Path, executor: &str, pid: u32) -> PathBuf {
    local_dir.join(format!("executor-{executor}-{pid}"))
}

/// The directory holding every block a job wrote under `root` (removed when the job
/// ends); a cache's pseudo job has `cache-<id>`, removed when the cache is released.
pub fn job_dir(root: &Path, job: JobId) -> PathBuf {
    match CacheId::of_job(job) {
        Some(cache) => root.join(format!("cache-{}", cache.0)),
        None => root.join(format!("job-{}", job.0)),
    }
}

/// The directory one map task writes its blocks into; a cache has one stage, so its
/// map directories sit right under the cache's.
pub fn map_dir(root: &Path, job: JobId, stage: StageId, map: usize) -> PathBuf {
    let stage_dir = match CacheId::of_job(job) {
        Some(_) => job_dir(root, job),
        None => job_dir(root, job).join(format!("stage-{}", stage.0)),
    };
    stage_dir.join(format!("map-{map}"))
}

/// The Arrow IPC file (LZ4-compressed) holding one block.
pub fn block_path(root: &Path, block: &ShuffleBlockId) -> PathBuf {
    map_dir(root, block.job, block.stage, block.map).join(format!("part-{}.arrow", block.reduce))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_paths_name_job_stage_map_and_reduce() {
        let block = ShuffleBlockId { job: JobId(3), stage: StageId(1), map: 4, reduce: 2 };
        assert_eq!(block_path(Path::new("/d"), &block), PathBuf::from("/d/job-3/stage-1/map-4/part-2.arrow"));
        let cache = CacheId(7);
        let block = ShuffleBlockId { job: cache.job(), stage: cache.stage(), map: 1, reduce: 0 };
        assert_eq!(block_path(Path::new("/d"), &block), PathBuf::from("/d/cache-7/map-1/part-0.arrow"));
    }
}
