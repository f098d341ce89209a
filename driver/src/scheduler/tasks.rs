//! The task scheduler: hands the tasks of every running job to executor slots (one per
//! core), counts failures against `spark.task.maxFailures`, retries on another executor
//! where one exists, and reconciles the attempts it believes run with the ones each
//! executor's heartbeat lists. Pure state and decisions.
//!
//! Everything is keyed by [`TaskKey`] (job, stage, partition), so jobs running at once
//! never mix their attempts, failure counts or reports.

use flint_engine::ids::{ExecutorId, JobId, StageId, TaskId, TaskKey};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Heartbeats in a row that must leave out an attempt before it counts as lost: one
/// heartbeat may have been built just before the attempt's launch reached the executor.
pub const MISSED_HEARTBEATS_BEFORE_LOST: u32 = 3;

/// A decision: run this attempt on that executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The attempt.
    pub task: TaskId,
    /// Where it runs.
    pub executor: ExecutorId,
}

/// A task failed `spark.task.maxFailures` times.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task {} of stage {} failed {failures} times, most recently on {executor}: {cause}", task.partition, task.stage.0)]
pub struct TaskFailuresExhausted {
    /// The task.
    pub task: TaskKey,
    /// How many times it failed.
    pub failures: u32,
    /// Where it last failed.
    pub executor: ExecutorId,
    /// The last error.
    pub cause: String,
}

/// What comparing an executor's heartbeat with the running attempts found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Attempts the executor runs that no job wants any more (their job was cancelled or
    /// they were abandoned, and the kill did not arrive): to kill again.
    pub orphans: Vec<TaskId>,
    /// Attempts the scheduler believed ran there that the executor has not listed for
    /// [`MISSED_HEARTBEATS_BEFORE_LOST`] heartbeats: their status was lost. Their slots
    /// are free again; the tasks are to run again.
    pub lost: Vec<TaskId>,
}

#[derive(Debug, Clone)]
struct Running {
    executor: ExecutorId,
    attempt: u32,
    /// Heartbeats of its executor in a row that did not list it.
    missed: u32,
}

/// Slots, running attempts and failure counts of every job.
#[derive(Debug)]
pub struct TaskScheduler {
    max_failures: u32,
    free_slots: BTreeMap<ExecutorId, usize>,
    running: HashMap<TaskKey, Running>,
    attempts: HashMap<TaskKey, u32>,
    failures: HashMap<TaskKey, u32>,
    last_failed_on: HashMap<TaskKey, ExecutorId>,
}

impl TaskScheduler {
    /// A scheduler failing a job after one of its tasks fails `max_failures` times.
    pub fn new(max_failures: u32) -> Self {
        Self {
            max_failures: max_failures.max(1),
            free_slots: BTreeMap::new(),
            running: HashMap::new(),
            attempts: HashMap::new(),
            failures: HashMap::new(),
            last_failed_on: HashMap::new(),
        }
    }

    /// An executor with `cores` slots joined.
    pub fn add_executor(&mut self, executor: ExecutorId, cores: usize) {
        self.free_slots.insert(executor, cores.max(1));
    }

    /// An executor is gone; returns the attempts that were running on it (their tasks run
    /// again; this does not count as their failure).
    pub fn remove_executor(&mut self, executor: &ExecutorId) -> Vec<TaskId> {
        self.free_slots.remove(executor);
        let lost: Vec<TaskId> = self
            .running
            .iter()
            .filter(|(_, running)| &running.executor == executor)
            .map(|(key, running)| key.attempt(running.attempt))
            .collect();
        for task in &lost {
            self.running.remove(&task.key());
        }
        lost
    }

    /// Whether some executor has a free slot.
    pub fn has_free_slot(&self) -> bool {
        self.free_slots.values().any(|slots| *slots > 0)
    }

    /// Whether a task has an attempt running.
    pub fn is_running(&self, key: &TaskKey) -> bool {
        self.running.contains_key(key)
    }

    /// How many attempts of `job` run now (what fair scheduling shares out).
    pub fn running_in(&self, job: JobId) -> usize {
        self.running.keys().filter(|key| key.job == job).count()
    }

    /// Places `key` on a free slot, preferring an executor other than the one it last
    /// failed on; `None` when it already runs or no slot is free.
    pub fn assign(&mut self, key: TaskKey) -> Option<Assignment> {
        if self.running.contains_key(&key) {
            return None;
        }
        let avoid = self.last_failed_on.get(&key);
        let free = |(_, slots): &(&ExecutorId, &usize)| **slots > 0;
        let executor = self
            .free_slots
            .iter()
            .filter(free)
            .find(|(e, _)| Some(*e) != avoid)
            .or_else(|| self.free_slots.iter().find(free))
            .map(|(e, _)| e.clone())?;
        if let Some(slots) = self.free_slots.get_mut(&executor) {
            *slots -= 1;
        }
        let next = self.attempts.entry(key).or_insert(0);
        let attempt = *next;
        *next += 1;
        self.running.insert(key, Running { executor: executor.clone(), attempt, missed: 0 });
        Some(Assignment { task: key.attempt(attempt), executor })
    }

    /// An attempt ended; false for a stale attempt (superseded, abandoned, of a cancelled
    /// job or from a lost executor), whose report must be ignored.
    pub fn finished(&mut self, task: TaskId, executor: &ExecutorId) -> bool {
        let key = task.key();
        match self.running.get(&key) {
            Some(running) if &running.executor == executor && running.attempt == task.attempt => {
                self.running.remove(&key);
                self.free_slot(executor);
                true
            }
            _ => false,
        }
    }

    /// Counts a failure of a finished attempt; an error once the task has failed
    /// `spark.task.maxFailures` times.
    pub fn record_failure(&mut self, key: TaskKey, executor: &ExecutorId, cause: &str) -> Result<(), TaskFailuresExhausted> {
        let failures = self.failures.entry(key).or_insert(0);
        *failures += 1;
        self.last_failed_on.insert(key, executor.clone());
        if *failures >= self.max_failures {
            return Err(TaskFailuresExhausted {
                task: key,
                failures: *failures,
                executor: executor.clone(),
                cause: cause.to_string(),
            });
        }
        Ok(())
    }

    /// Forgets the running attempts of `job`'s `stages` (their input was recomputed, so
    /// their reports must be ignored) and frees their slots; returns them, to be killed.
    pub fn abandon(&mut self, job: JobId, stages: &[StageId]) -> Vec<Assignment> {
        self.take_running(|key| key.job == job && stages.contains(&key.stage))
    }

    /// Forgets everything about `job` (it ended or was cancelled) and frees its slots;
    /// returns its running attempts, to be killed. Executors and their slots stay.
    pub fn remove_job(&mut self, job: JobId) -> Vec<Assignment> {
        let running = self.take_running(|key| key.job == job);
        self.attempts.retain(|key, _| key.job != job);
        self.failures.retain(|key, _| key.job != job);
        self.last_failed_on.retain(|key, _| key.job != job);
        running
    }

    /// Compares the attempts `executor`'s heartbeat lists with the ones believed to run
    /// there (see [`Reconciled`]).
    pub fn reconcile(&mut self, executor: &ExecutorId, listed: &[TaskId]) -> Reconciled {
        let listed: BTreeSet<TaskId> = listed.iter().copied().collect();
        let mut reconciled = Reconciled::default();
        for task in &listed {
            let ours = self
                .running
                .get(&task.key())
                .is_some_and(|running| &running.executor == executor && running.attempt == task.attempt);
            if !ours {
                reconciled.orphans.push(*task);
            }
        }
        for (key, running) in self.running.iter_mut().filter(|(_, running)| &running.executor == executor) {
            if listed.contains(&key.attempt(running.attempt)) {
                running.missed = 0;
            } else {
                running.missed += 1;
                if running.missed >= MISSED_HEARTBEATS_BEFORE_LOST {
                    reconciled.lost.push(key.attempt(running.attempt));
                }
            }
        }
        for task in &reconciled.lost {
            self.running.remove(&task.key());
            self.free_slot(executor);
        }
        reconciled.lost.sort();
        reconciled
    }

    /// Every running attempt.
    pub fn running(&self) -> Vec<Assignment> {
        let mut running: Vec<Assignment> = self
            .running
            .iter()
            .map(|(key, running)| Assignment { task: key.attempt(running.attempt), executor: running.executor.clone() })
            .collect();
        running.sort_by_key(|assignment| assignment.task);
        running
    }

    fn take_running(&mut self, picked: impl Fn(&TaskKey) -> bool) -> Vec<Assignment> {
        let mut taken: Vec<Assignment> = self
            .running
            .iter()
            .filter(|(key, _)| picked(key))
            .map(|(key, running)| Assignment { task: key.attempt(running.attempt), executor: running.executor.clone() })
            .collect();
        taken.sort_by_key(|assignment| assignment.task);
        for assignment in &taken {
            self.running.remove(&assignment.task.key());
            self.free_slot(&assignment.executor);
        }
        taken
    }

    fn free_slot(&mut self, executor: &ExecutorId) {
        if let Some(slots) = self.free_slots.get_mut(executor) {
            *slots += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn e(id: &str) -> ExecutorId {
        ExecutorId(id.to_string())
    }

    fn key(job: u64, stage: usize, partition: usize) -> TaskKey {
        TaskKey { job: JobId(job), stage: StageId(stage), partition }
    }

    fn assign_all(s: &mut TaskScheduler, tasks: &[TaskKey]) -> Vec<Assignment> {
        tasks.iter().filter_map(|task| s.assign(*task)).collect()
    }

    #[test]
    fn tasks_fill_one_slot_per_core() {
        let mut s = TaskScheduler::new(4);
        s.add_executor(e("a"), 1);
        s.add_executor(e("b"), 2);
        let tasks: Vec<TaskKey> = (0..5).map(|p| key(0, 0, p)).collect();
        let assigned = assign_all(&mut s, &tasks);
        assert_eq!(assigned.len(), 3);
        assert!(!s.has_free_slot());
        assert!(assign_all(&mut s, &tasks).is_empty(), "no free slot left");
        assert!(s.finished(assigned[0].task, &assigned[0].executor));
        assert_eq!(assign_all(&mut s, &tasks).len(), 1);
    }

    /// The same stage and partition in two jobs are two tasks: neither's attempt or report
    /// is taken for the other's (the single-job scheduler keyed tasks by stage and
    /// partition only, and a second job's keys collided with the first's).
    #[test]
    fn jobs_running_at_once_keep_their_tasks_apart() {
        let mut s = TaskScheduler::new(4);
        s.add_executor(e("a"), 2);
        let first = s.assign(key(0, 0, 0)).unwrap();
        let second = s.assign(key(1, 0, 0)).unwrap();
        assert_eq!((first.task.attempt, second.task.attempt), (0, 0));
        assert_eq!((s.running_in(JobId(0)), s.running_in(JobId(1))), (1, 1));
        assert!(!s.finished(key(1, 0, 0).attempt(1), &e("a")), "another attempt");
        assert_eq!(s.remove_job(JobId(0)), vec![first.clone()], "cancelling job 0 kills only its attempt");
        assert!(!s.finished(first.task, &e("a")), "a cancelled job's late report is stale");
        assert!(s.finished(second.task, &e("a")));
        assert_eq!(s.assign(key(0, 0, 0)).unwrap().task.attempt, 0, "a removed job's counts are gone");
    }

    #[test]
    fn a_failed_task_retries_elsewhere_and_fails_the_job_after_max_failures() {
        let mut s = TaskScheduler::new(2);
        s.add_executor(e("a"), 1);
        s.add_executor(e("b"), 1);
        let task = key(0, 1, 0);
        let first = s.assign(task).unwrap();
        assert!(s.finished(first.task, &first.executor));
        s.record_failure(task, &first.executor, "boom").unwrap();
        let second = s.assign(task).unwrap();
        assert_ne!(second.executor, first.executor);
        assert_eq!(second.task.attempt, 1);
        assert!(s.finished(second.task, &second.executor));
        let err = s.record_failure(task, &second.executor, "boom").unwrap_err();
        assert_eq!(err.failures, 2);
        assert!(err.to_string().contains("task 0 of stage 1 failed 2 times"), "{err}");
    }

    #[test]
    fn a_lost_executor_gives_back_its_running_tasks_and_stale_reports_are_ignored() {
        let mut s = TaskScheduler::new(4);
        s.add_executor(e("a"), 1);
        let task = key(0, 0, 3);
        let a = s.assign(task).unwrap();
        assert_eq!(s.remove_executor(&e("a")), vec![a.task]);
        assert!(!s.finished(a.task, &a.executor));
        s.add_executor(e("b"), 1);
        assert_eq!(s.assign(task).unwrap().executor, e("b"));
    }

    #[test]
    fn abandoned_attempts_free_their_slots_and_their_reports_are_ignored() {
        let mut s = TaskScheduler::new(4);
        s.add_executor(e("a"), 2);
        let (old, kept) = (key(0, 1, 0), key(0, 2, 0));
        let assigned = assign_all(&mut s, &[old, kept]);
        assert_eq!(assigned.len(), 2);
        let abandoned = s.abandon(JobId(0), &[StageId(1)]);
        assert_eq!(abandoned, vec![assigned[0].clone()]);
        assert!(!s.finished(abandoned[0].task, &abandoned[0].executor), "a stale report");
        let again = s.assign(old).unwrap();
        assert_eq!(again.task.attempt, 1, "the freed slot runs a new attempt");
        assert!(s.finished(assigned[1].task, &assigned[1].executor));
    }

    /// A status the driver never received: the executor stops listing the attempt, and
    /// after a few heartbeats its slot is free and the task is given back to run again.
    /// An attempt the executor lists that nobody wants is to be killed.
    #[test]
    fn heartbeats_find_lost_statuses_and_orphaned_attempts() {
        let mut s = TaskScheduler::new(4);
        s.add_executor(e("a"), 2);
        let (kept, lost) = (s.assign(key(0, 0, 0)).unwrap(), s.assign(key(0, 0, 1)).unwrap());
        let orphan = key(7, 0, 0).attempt(0);
        assert_eq!(s.reconcile(&e("a"), &[kept.task, lost.task, orphan]).orphans, vec![orphan]);
        for _ in 1..MISSED_HEARTBEATS_BEFORE_LOST {
            assert_eq!(s.reconcile(&e("a"), &[kept.task]), Reconciled::default(), "not yet lost");
        }
        let reconciled = s.reconcile(&e("a"), &[kept.task]);
        assert_eq!(reconciled.lost, vec![lost.task]);
        assert!(s.has_free_slot(), "the lost attempt's slot is free");
        assert!(!s.finished(lost.task, &e("a")), "its late report is stale");
        assert_eq!(s.assign(key(0, 0, 1)).unwrap().task.attempt, 1, "it runs again");
        assert_eq!(s.reconcile(&e("a"), &[]).lost, vec![], "one missed heartbeat is not a loss");
    }
}
