//! A job progress line on stderr: redrawn in place on a terminal, a line every few
//! seconds otherwise; silent for jobs that finish within a second.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use flint_engine::progress::JobProgress;

/// The running progress display; stop it when the job ends.
pub struct ProgressBar {
    stop: Arc<AtomicBool>,
    drawn: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

/// Starts showing `progress` of application `app` on stderr.
pub fn spawn(progress: Arc<JobProgress>, app: String) -> ProgressBar {
    let stop = Arc::new(AtomicBool::new(false));
    let drawn = Arc::new(AtomicBool::new(false));
    let terminal = std::io::stderr().is_terminal();
    let period = if terminal { Duration::from_millis(250) } else { Duration::from_secs(5) };
    let (task_stop, task_drawn) = (Arc::clone(&stop), Arc::clone(&drawn));
    let task = tokio::spawn(async move {
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(1)).await;
        while !task_stop.load(Ordering::Relaxed) {
            let line = progress_line(&app, &progress, started.elapsed());
            {
                let mut stderr = std::io::stderr().lock();
                let _ = if terminal { write!(stderr, "\r\x1b[2K{line}") } else { writeln!(stderr, "{line}") };
            }
            task_drawn.store(terminal, Ordering::Relaxed);
            tokio::time::sleep(period).await;
        }
    });
    ProgressBar { stop, drawn, task }
}

/// `[app] stage 2: 3/8 tasks | 11/20 tasks done, 1000 rows, 2.5s`; without stages (local
/// jobs) just the job's partitions.
fn progress_line(app: &str, progress: &JobProgress, elapsed: Duration) -> String {
    let p = progress.snapshot();
    let stage = progress
        .current_stage()
        .map(|s| format!("stage {}: {}/{} tasks | ", s.stage, s.finished, s.tasks))
        .unwrap_or_default();
    format!(
        "[{app}] {stage}{}/{} {} done, {} rows, {:.1}s",
        p.finished_partitions,
        p.total_partitions,
        if stage.is_empty() { "partitions" } else { "tasks" },
        p.rows,
        elapsed.as_secs_f64()
    )
}

impl ProgressBar {
    /// Erases the progress line before other output is printed.
    pub fn clear(&self) {
        if self.drawn.swap(false, Ordering::Relaxed) {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }

    /// Stops the display and erases its line.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.abort();
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flint_engine::progress::TaskMetrics;

    #[test]
    fn the_line_names_the_running_stage_of_a_distributed_job() {
        let progress = JobProgress::default();
        progress.start(4);
        progress.finish_partition();
        assert_eq!(progress_line("app", &progress, Duration::from_millis(1500)), "[app] 1/4 partitions done, 0 rows, 1.5s");
        let staged = JobProgress::default();
        staged.add_stage_tasks(0, 0, 2);
        staged.add_stage_tasks(0, 1, 3);
        staged.task_finished(0, 0, TaskMetrics::default());
        staged.task_finished(0, 0, TaskMetrics::default());
        staged.task_finished(0, 1, TaskMetrics::default());
        assert_eq!(
            progress_line("app", &staged, Duration::from_secs(2)),
            "[app] stage 1: 1/3 tasks | 3/5 tasks done, 0 rows, 2.0s"
        );
    }
}
