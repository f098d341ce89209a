//! Progress and metrics of a running job, in one place: the runner (local or a cluster's
//! scheduler) records stages and finished tasks; the CLI progress line, the log and a
//! later UI read them.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use datafusion::physical_plan::ExecutionPlan;

use crate::shuffle::ShuffleReadTotals;

/// Counters a running job updates and a progress display reads.
#[derive(Debug, Default)]
pub struct JobProgress {
    total_partitions: AtomicUsize,
    finished_partitions: AtomicUsize,
    rows: AtomicU64,
    local_spill_bytes: AtomicU64,
    stages: Mutex<BTreeMap<(u64, usize), StageMetrics>>,
}

/// A consistent-enough copy of [`JobProgress`] for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressSnapshot {
    /// Tasks of the job (one per partition of each stage, plus recomputations).
    pub total_partitions: usize,
    /// Tasks finished.
    pub finished_partitions: usize,
    /// Result rows produced so far.
    pub rows: u64,
}

/// What one successful task did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskMetrics {
    /// Rows it wrote (map task) or returned (result task).
    pub rows: u64,
    /// Bytes it wrote to shuffle blocks or returned.
    pub bytes: u64,
    /// How long it ran on its executor.
    pub duration: Duration,
    /// Bytes its operators spilled to disk.
    pub spill_bytes: u64,
    /// What its shuffle readers read (nothing in a stage that reads no shuffle).
    pub shuffle_read: ShuffleReadTotals,
}

/// A stage's tasks and the sum of its finished tasks' metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageMetrics {
    /// The job the stage belongs to.
    pub job: u64,
    /// The stage's id within its job.
    pub stage: usize,
    /// Tasks to run, counting recomputed ones.
    pub tasks: usize,
    /// Tasks finished.
    pub finished: usize,
    /// Task attempts that failed.
    pub failed: usize,
    /// Sum over finished tasks.
    pub totals: TaskMetrics,
}

impl StageMetrics {
    /// Whether every task of the stage has finished.
    pub fn is_complete(&self) -> bool {
        self.finished >= self.tasks
    }
}

impl StageMetrics {
    fn add_task(&mut self, metrics: TaskMetrics) {
        self.finished += 1;
        let totals = &mut self.totals;
        totals.rows += metrics.rows;
        totals.bytes += metrics.bytes;
        totals.duration += metrics.duration;
        totals.spill_bytes += metrics.spill_bytes;
        totals.shuffle_read += metrics.shuffle_read;
    }
}

impl std::fmt::Display for StageMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "job {} stage {}: {}/{} tasks, {} failed, {} rows, {} bytes, {:.3}s task time, {} bytes spilled",
            self.job,
            self.stage,
            self.finished,
            self.tasks,
            self.failed,
            self.totals.rows,
            self.totals.bytes,
            self.totals.duration.as_secs_f64(),
            self.totals.spill_bytes
        )
    }
}

impl JobProgress {
    /// Records that a job with `partitions` output partitions started.
    pub fn start(&self, partitions: usize) {
        self.total_partitions.fetch_add(partitions, Ordering::Relaxed);
    }

    /// Records `rows` more output rows.
    pub fn add_rows(&self, rows: usize) {
        self.rows.fetch_add(rows as u64, Ordering::Relaxed);
    }

    /// Records one finished output partition.
    pub fn finish_partition(&self) {
        self.finished_partitions.fetch_add(1, Ordering::Relaxed);
    }

    /// Records `bytes` spilled by the operators of a job that ran in this process.
    pub fn add_spill_bytes(&self, bytes: u64) {
        self.local_spill_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Bytes spilled so far: by jobs run in this process and by the finished tasks of
    /// every stage.
    pub fn spill_bytes(&self) -> u64 {
        let tasks: u64 = self.stages.lock().values().map(|stage| stage.totals.spill_bytes).sum();
        self.local_spill_bytes.load(Ordering::Relaxed) + tasks
    }

    /// Runs `update` on the record of `stage` of `job`, creating it if new.
    fn update_stage(&self, job: u64, stage: usize, update: impl FnOnce(&mut StageMetrics)) {
        let mut stages = self.stages.lock();
        update(stages.entry((job, stage)).or_insert_with(|| StageMetrics { job, stage, ..StageMetrics::default() }));
    }

    /// Records that `stage` of `job` has `tasks` more tasks to run (when planned, and
    /// again when lost outputs are recomputed).
    pub fn add_stage_tasks(&self, job: u64, stage: usize, tasks: usize) {
        self.start(tasks);
        self.update_stage(job, stage, |entry| entry.tasks += tasks);
    }

    /// Records that `tasks` tasks of `stage` of `job` need not run after all (their
    /// output is cached from an earlier job).
    pub fn skip_stage_tasks(&self, job: u64, stage: usize, tasks: usize) {
        let _ = self.total_partitions.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| Some(n.saturating_sub(tasks)));
        self.update_stage(job, stage, |entry| entry.tasks = entry.tasks.saturating_sub(tasks));
    }

    /// Records a finished task of `stage` of `job` and what it did.
    pub fn task_finished(&self, job: u64, stage: usize, metrics: TaskMetrics) {
        self.finish_partition();
        self.update_stage(job, stage, |entry| entry.add_task(metrics));
    }

    /// Records a failed attempt of a task of `stage` of `job`.
    pub fn task_failed(&self, job: u64, stage: usize) {
        self.update_stage(job, stage, |entry| entry.failed += 1);
    }

    /// Every stage of `job` recorded so far, by id.
    pub fn stages(&self, job: u64) -> Vec<StageMetrics> {
        self.stages.lock().range((job, 0)..=(job, usize::MAX)).map(|(_, stage)| stage.clone()).collect()
    }

    /// The first stage (oldest job first) with tasks still to finish, if stages are recorded.
    pub fn current_stage(&self) -> Option<StageMetrics> {
        self.stages.lock().values().find(|s| !s.is_complete()).cloned()
    }

    /// The counters now.
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            total_partitions: self.total_partitions.load(Ordering::Relaxed),
            finished_partitions: self.finished_partitions.load(Ordering::Relaxed),
            rows: self.rows.load(Ordering::Relaxed),
        }
    }
}

/// Bytes spilled by every operator of an executed plan.
pub fn spilled_bytes(plan: &Arc<dyn ExecutionPlan>) -> u64 {
    let own = plan.metrics().and_then(|metrics| metrics.spilled_bytes()).unwrap_or(0) as u64;
    own + plan.children().into_iter().map(spilled_bytes).sum::<u64>()
}

/// Each operator's metrics of an executed plan, in pre-order, summed over the partitions
/// that ran (timestamps left out): what the SQL tab's graph shows of each operator.
pub fn plan_metrics(plan: &dyn ExecutionPlan) -> Vec<Vec<(String, u64)>> {
    let mine = plan
        .metrics()
        .map(|metrics| {
            metrics
                .aggregate_by_name()
                .sorted_for_display()
                .timestamps_removed()
                .iter()
                .map(|metric| (metric.value().name().to_string(), metric.value().as_usize() as u64))
                .collect()
        })
        .unwrap_or_default();
    let mut all = vec![mine];
    for child in plan.children() {
        all.extend(plan_metrics(child.as_ref()));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_sum_their_tasks_and_recomputations_add_tasks() {
        let progress = JobProgress::default();
        progress.add_stage_tasks(7, 0, 2);
        progress.add_stage_tasks(7, 1, 1);
        let shuffle_read = ShuffleReadTotals { records: 3, local_bytes: 30, remote_bytes: 40 };
        let task = TaskMetrics { rows: 10, bytes: 100, duration: Duration::from_millis(5), spill_bytes: 7, shuffle_read };
        progress.task_finished(7, 0, task);
        progress.task_failed(7, 0);
        progress.task_finished(7, 0, task);
        assert_eq!(progress.current_stage().map(|s| s.stage), Some(1));
        progress.add_stage_tasks(7, 0, 1);
        progress.add_stage_tasks(8, 0, 5);
        assert_eq!(progress.stages(7).len(), 2, "stages of one job");
        let stage = progress.current_stage().unwrap_or_default();
        assert_eq!((stage.stage, stage.tasks, stage.finished, stage.failed), (0, 3, 2, 1));
        let shuffle_read = ShuffleReadTotals { records: 6, local_bytes: 60, remote_bytes: 80 };
        assert_eq!(stage.totals, TaskMetrics { rows: 20, bytes: 200, duration: Duration::from_millis(10), spill_bytes: 14, shuffle_read });
        assert_eq!(progress.snapshot().total_partitions, 9);
        assert_eq!(progress.snapshot().finished_partitions, 2);
        assert!(stage.to_string().starts_with("job 7 stage 0: 2/3 tasks, 1 failed, 20 rows"), "{stage}");
    }

    #[test]
    fn skipped_tasks_leave_the_stage_and_the_total() {
        let progress = JobProgress::default();
        progress.add_stage_tasks(3, 0, 2);
        progress.add_stage_tasks(3, 1, 1);
        progress.skip_stage_tasks(3, 0, 2);
        assert_eq!(progress.current_stage().map(|s| s.stage), Some(1), "a stage with nothing to run is done");
        assert_eq!(progress.snapshot().total_partitions, 1);
    }
}
