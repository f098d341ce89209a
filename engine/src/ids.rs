//! Typed identifiers for jobs, stages, tasks, executors and shuffle blocks.

use std::fmt;

/// One action (collect, count, write) submitted to the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

/// A stage of a job: a plan fragment that runs as one task per partition. A shuffle-map
/// stage's id also names the shuffle it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StageId(pub usize);

/// One attempt at running one partition of one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    /// The job the stage belongs to.
    pub job: JobId,
    /// The stage the task runs.
    pub stage: StageId,
    /// The partition of the stage's plan the task computes.
    pub partition: usize,
    /// Which attempt this is, from 0.
    pub attempt: u32,
}

impl TaskId {
    /// The task this is an attempt of.
    pub fn key(&self) -> TaskKey {
        TaskKey { job: self.job, stage: self.stage, partition: self.partition }
    }
}

/// One partition of one stage of one job, whatever the attempt: what the task scheduler
/// counts failures and tracks running attempts under, so tasks of jobs running at once
/// never share a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskKey {
    /// The job the stage belongs to.
    pub job: JobId,
    /// The stage the task runs.
    pub stage: StageId,
    /// The partition of the stage's plan the task computes.
    pub partition: usize,
}

impl TaskKey {
    /// Attempt `attempt` of this task.
    pub fn attempt(self, attempt: u32) -> TaskId {
        TaskId { job: self.job, stage: self.stage, partition: self.partition, attempt }
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}.{} of {}", self.stage.0, self.partition, self.job)
    }
}

/// An executor process, as registered with the driver.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExecutorId(pub String);

/// One block of shuffle output: what map task `map` of stage `stage` wrote for reduce
/// partition `reduce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShuffleBlockId {
    /// The job that wrote the block.
    pub job: JobId,
    /// The shuffle-map stage that wrote the block.
    pub stage: StageId,
    /// The map partition that wrote the block.
    pub map: usize,
    /// The reduce partition the block is for.
    pub reduce: usize,
}

/// A cached relation (`DataFrame.cache()`, `CACHE TABLE`) whose partitions stay in the
/// executors' block managers across jobs.
///
/// Its partitions are the output of one map stage written by a pseudo job: job ids from
/// 2^63 and stage ids from 2^62 are reserved for caches, so a job's own stages never
/// collide with a cache's, and removing a job's blocks never removes a cache's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheId(pub u64);

const CACHE_JOBS: u64 = 1 << 63;
const CACHE_STAGES: usize = 1 << 62;

impl CacheId {
    /// A cache id not used before in this process.
    pub fn next() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Self(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }

    /// The pseudo job whose blocks are this cache's partitions.
    pub fn job(self) -> JobId {
        JobId(CACHE_JOBS | self.0)
    }

    /// The id of this cache's map stage in every job that reads it.
    pub fn stage(self) -> StageId {
        StageId(CACHE_STAGES + self.0 as usize)
    }

    /// The cache whose pseudo job `job` is, if it is one.
    pub fn of_job(job: JobId) -> Option<Self> {
        (job.0 & CACHE_JOBS != 0).then_some(Self(job.0 & !CACHE_JOBS))
    }

    /// The cache whose map stage `stage` is, if it is one.
    pub fn of_stage(stage: StageId) -> Option<Self> {
        stage.0.checked_sub(CACHE_STAGES).map(|id| Self(id as u64))
    }
}

impl fmt::Display for CacheId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cache {}", self.0)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match CacheId::of_job(*self) {
            Some(cache) => write!(f, "{cache}"),
            None => write!(f, "job {}", self.0),
        }
    }
}

impl fmt::Display for StageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match CacheId::of_stage(*self) {
            Some(cache) => write!(f, "the stage of {cache}"),
            None => write!(f, "stage {}", self.0),
        }
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task {}.{} (partition {}, attempt {}) of {}",
            self.stage.0, self.partition, self.partition, self.attempt, self.job
        )
    }
}

impl fmt::Display for ExecutorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "executor {}", self.0)
    }
}

impl fmt::Display for ShuffleBlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shuffle block ({}, map {}, reduce {}) of {}",
            self.stage, self.map, self.reduce, self.job
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_jobs_and_stages_are_reserved_and_map_back() {
        let cache = CacheId(5);
        assert_eq!(CacheId::of_job(cache.job()), Some(cache));
        assert_eq!(CacheId::of_stage(cache.stage()), Some(cache));
        assert_eq!(CacheId::of_job(JobId(5)), None);
        assert_eq!(CacheId::of_stage(StageId(5)), None);
        let block = ShuffleBlockId { job: cache.job(), stage: cache.stage(), map: 1, reduce: 0 };
        assert_eq!(block.to_string(), "shuffle block (the stage of cache 5, map 1, reduce 0) of cache 5");
        let block = ShuffleBlockId { job: JobId(2), stage: StageId(1), map: 1, reduce: 0 };
        assert_eq!(block.to_string(), "shuffle block (stage 1, map 1, reduce 0) of job 2");
    }
}
