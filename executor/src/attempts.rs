//! One attempt of a task at a time on an executor. A map task's attempts write the same
//! block files, so a new attempt starts only once an earlier one here (killed, or
//! abandoned by the driver and still finishing) has stopped: otherwise the earlier
//! attempt's files could land after the new one's, under the location the driver
//! recorded for the new attempt.

use flint_proto::TaskRef;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OwnedMutexGuard;

/// A task: job, stage and partition, whatever the attempt.
type TaskKey = (u64, u64, u64);

/// A lock per task; an attempt holds its task's lock while it runs.
#[derive(Debug, Default)]
pub struct AttemptLocks {
    locks: Mutex<HashMap<TaskKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl AttemptLocks {
    /// Waits until no other attempt of `task` runs here; hold the guard for the attempt's
    /// whole run (it is released when the attempt ends or is aborted).
    pub async fn acquire(&self, task: &TaskRef) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(locks.entry((task.job, task.stage, task.partition)).or_default())
        };
        lock.lock_owned().await
    }

    /// Forgets the tasks of a finished job.
    pub fn remove_job(&self, job: u64) {
        self.locks.lock().unwrap_or_else(PoisonError::into_inner).retain(|task, _| task.0 != job);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn attempt(partition: u64, attempt: u32) -> TaskRef {
        TaskRef { job: 1, stage: 2, partition, attempt }
    }

    #[tokio::test]
    async fn a_new_attempt_waits_for_the_earlier_one_and_other_tasks_do_not() {
        let locks = Arc::new(AttemptLocks::default());
        let first = locks.acquire(&attempt(0, 0)).await;
        let other = tokio::time::timeout(Duration::from_millis(50), locks.acquire(&attempt(1, 0))).await;
        assert!(other.is_ok(), "another task runs at once");
        let waiting = tokio::spawn({
            let locks = Arc::clone(&locks);
            async move { locks.acquire(&attempt(0, 1)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "attempt 1 started while attempt 0 runs");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), waiting).await;
        assert!(matches!(second, Ok(Ok(_))), "attempt 1 starts once attempt 0 ended");
        locks.remove_job(1);
        assert!(locks.locks.lock().unwrap_or_else(PoisonError::into_inner).is_empty());
    }
}
