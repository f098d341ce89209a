//! The task scheduler: hands tasks to executor slots (one per core), counts failures
//! against `spark.task.maxFailures` and retries on another executor where one exists.
//! Pure state and decisions.

use flint_engine::ids::{ExecutorId, StageId};
use std::collections::{BTreeMap, HashMap};

/// One partition of one stage.
pub type TaskKey = (StageId, usize);

/// A decision: run this attempt of this task on that executor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The stage.
    pub stage: StageId,
    /// The partition.
    pub partition: usize,
    /// The attempt number, from 0.
    pub attempt: u32,
    /// Where it runs.
    pub executor: ExecutorId,
}

/// A task failed `spark.task.maxFailures` times.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task {partition} of stage {} failed {failures} times, most recently on {executor}: {cause}", stage.0)]
pub struct TaskFailuresExhausted {
    /// The stage.
    pub stage: StageId,
    /// The partition.
    pub partition: usize,
    /// How many times it failed.
    pub failures: u32,
    /// Where it last failed.
    pub executor: ExecutorId,
    /// The last error.
    pub cause: String,
}

/// Slots, running attempts and failure counts.
#[derive(Debug)]
pub struct TaskScheduler {
    max_failures: u32,
    free_slots: BTreeMap<ExecutorId, usize>,
    running: HashMap<TaskKey, (ExecutorId, u32)>,
    attempts: HashMap<TaskKey, u32>,
    failures: HashMap<TaskKey, u32>,
    last_failed_on: HashMap<TaskKey, ExecutorId>,
}

impl TaskScheduler {
    /// A scheduler failing a job after a task fails `max_failures` times.
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

    /// An executor is gone; returns the tasks that were running on it (to run again; this
    /// does not count as their failure).
    pub fn remove_executor(&mut self, executor: &ExecutorId) -> Vec<TaskKey> {
        self.free_slots.remove(executor);
        let lost: Vec<TaskKey> =
            self.running.iter().filter(|(_, (e, _))| e == executor).map(|(key, _)| *key).collect();
        for key in &lost {
            self.running.remove(key);
        }
        lost
    }

    /// Whether a task has an attempt running.
    pub fn is_running(&self, key: &TaskKey) -> bool {
        self.running.contains_key(key)
    }

    /// Places as many of `tasks` (in order) as there are free slots, preferring an
    /// executor other than the one the task last failed on.
    pub fn assign(&mut self, tasks: &[TaskKey]) -> Vec<Assignment> {
        let mut out = Vec::new();
        for key in tasks {
            if self.running.contains_key(key) {
                continue;
            }
            let avoid = self.last_failed_on.get(key);
            let free = |(_, slots): &(&ExecutorId, &usize)| **slots > 0;
            let chosen = self
                .free_slots
                .iter()
                .filter(free)
                .find(|(e, _)| Some(*e) != avoid)
                .or_else(|| self.free_slots.iter().find(free))
                .map(|(e, _)| e.clone());
            let Some(executor) = chosen else { break };
            if let Some(slots) = self.free_slots.get_mut(&executor) {
                *slots -= 1;
            }
            let attempt = self.attempts.entry(*key).or_insert(0);
            let assignment = Assignment { stage: key.0, partition: key.1, attempt: *attempt, executor: executor.clone() };
            *attempt += 1;
            self.running.insert(*key, (executor, assignment.attempt));
            out.push(assignment);
        }
        out
    }

    /// An attempt ended; returns false for a stale attempt (superseded or from a lost
    /// executor), whose report must be ignored.
    pub fn finished(&mut self, key: TaskKey, attempt: u32, executor: &ExecutorId) -> bool {
        match self.running.get(&key) {
            Some((e, a)) if e == executor && *a == attempt => {
                self.running.remove(&key);
                if let Some(slots) = self.free_slots.get_mut(executor) {
                    *slots += 1;
                }
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
                stage: key.0,
                partition: key.1,
                failures: *failures,
                executor: executor.clone(),
                cause: cause.to_string(),
            });
        }
        Ok(())
    }

    /// Forgets the running attempts of `stages` (their input was recomputed, so their
    /// reports must be ignored) and frees their slots; returns them, to be killed.
    pub fn abandon(&mut self, stages: &[StageId]) -> Vec<Assignment> {
        let abandoned: Vec<Assignment> = self
            .running
            .iter()
            .filter(|(key, _)| stages.contains(&key.0))
            .map(|(key, (e, a))| Assignment { stage: key.0, partition: key.1, attempt: *a, executor: e.clone() })
            .collect();
        for task in &abandoned {
            self.running.remove(&(task.stage, task.partition));
            if let Some(slots) = self.free_slots.get_mut(&task.executor) {
                *slots += 1;
            }
        }
        abandoned
    }

    /// Forgets every task (a job ended); executors and their slots stay.
    pub fn clear_tasks(&mut self) {
        let running: Vec<_> = self.running.drain().map(|(_, (e, _))| e).collect();
        for executor in running {
            if let Some(slots) = self.free_slots.get_mut(&executor) {
                *slots += 1;
            }
        }
        self.attempts.clear();
        self.failures.clear();
        self.last_failed_on.clear();
    }

    /// Running attempts, for killing them when a job fails.
    pub fn running(&self) -> Vec<Assignment> {
        self.running
            .iter()
            .map(|(key, (e, a))| Assignment { stage: key.0, partition: key.1, attempt: *a, executor: e.clone() })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: &str) -> ExecutorId {
        ExecutorId(id.to_string())
    }

    #[test]
    fn tasks_fill_one_slot_per_core() {
        let mut s = TaskScheduler::new(4);
        s.add_executor(e("a"), 1);
        s.add_executor(e("b"), 2);
        let tasks: Vec<TaskKey> = (0..5).map(|p| (StageId(0), p)).collect();
        let assigned = s.assign(&tasks);
        assert_eq!(assigned.len(), 3);
        assert!(s.assign(&tasks).is_empty(), "no free slot left");
        assert!(s.finished((StageId(0), 0), 0, &assigned[0].executor));
        assert_eq!(s.assign(&tasks).len(), 1);
    }

    #[test]
    fn a_failed_task_retries_elsewhere_and_fails_the_job_after_max_failures() {
        let mut s = TaskScheduler::new(2);
        s.add_executor(e("a"), 1);
        s.add_executor(e("b"), 1);
        let key = (StageId(1), 0);
        let first = s.assign(&[key]).remove(0);
        assert!(s.finished(key, first.attempt, &first.executor));
        s.record_failure(key, &first.executor, "boom").unwrap();
        let second = s.assign(&[key]).remove(0);
        assert_ne!(second.executor, first.executor);
        assert_eq!(second.attempt, 1);
        assert!(s.finished(key, second.attempt, &second.executor));
        let err = s.record_failure(key, &second.executor, "boom").unwrap_err();
        assert_eq!(err.failures, 2);
        assert!(err.to_string().contains("task 0 of stage 1 failed 2 times"), "{err}");
    }

    #[test]
    fn a_lost_executor_gives_back_its_running_tasks_and_stale_reports_are_ignored() {
        let mut s = TaskScheduler::new(4);
        s.add_executor(e("a"), 1);
        let key = (StageId(0), 3);
        let a = s.assign(&[key]).remove(0);
        assert_eq!(s.remove_executor(&e("a")), vec![key]);
        assert!(!s.finished(key, a.attempt, &a.executor));
        s.add_executor(e("b"), 1);
        assert_eq!(s.assign(&[key])[0].executor, e("b"));
    }

    #[test]
    fn abandoned_attempts_free_their_slots_and_their_reports_are_ignored() {
        let mut s = TaskScheduler::new(4);
        s.add_executor(e("a"), 2);
        let (old, kept) = ((StageId(1), 0), (StageId(2), 0));
        let assigned = s.assign(&[old, kept]);
        assert_eq!(assigned.len(), 2);
        let abandoned = s.abandon(&[StageId(1)]);
        assert_eq!(abandoned, vec![assigned[0].clone()]);
        assert!(!s.finished(old, abandoned[0].attempt, &abandoned[0].executor), "a stale report");
        let again = s.assign(&[old]).remove(0);
        assert_eq!(again.attempt, 1, "the freed slot runs a new attempt");
        assert!(s.finished(kept, assigned[1].attempt, &assigned[1].executor));
    }
}
