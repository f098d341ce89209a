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
            let p = progress.snapshot();
            let line = format!(
                "[{app}] {}/{} partitions done, {} rows, {:.1}s",
                p.finished_partitions,
                p.total_partitions,
                p.rows,
                started.elapsed().as_secs_f64()
            );
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
