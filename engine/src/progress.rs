//! Progress of a running job, shared between the tasks that run it and whoever shows it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Counters a running job updates and a progress display reads.
#[derive(Debug, Default)]
pub struct JobProgress {
    total_partitions: AtomicUsize,
    finished_partitions: AtomicUsize,
    rows: AtomicU64,
}

/// A consistent-enough copy of [`JobProgress`] for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressSnapshot {
    /// Output partitions of the job.
    pub total_partitions: usize,
    /// Output partitions finished.
    pub finished_partitions: usize,
    /// Rows produced so far.
    pub rows: u64,
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

    /// The counters now.
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            total_partitions: self.total_partitions.load(Ordering::Relaxed),
            finished_partitions: self.finished_partitions.load(Ordering::Relaxed),
            rows: self.rows.load(Ordering::Relaxed),
        }
    }
}
