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

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job {}", self.0)
    }
}

impl fmt::Display for StageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stage {}", self.0)
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
            "shuffle block (stage {}, map {}, reduce {}) of {}",
            self.stage.0, self.map, self.reduce, self.job
        )
    }
}
