//! `local-cluster[E,C,M]`: E `flint executor` processes of the same binary on loopback,
//! C cores and M MiB each.

use super::{ClusterBackend, ExecutorExit};
use flint_engine::ids::ExecutorId;
use flint_engine::shuffle::layout;
use futures::future::BoxFuture;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// Spawns executor processes of `binary` (normally this process's own executable).
#[derive(Debug)]
pub struct LocalCluster {
    /// The binary with an `executor` subcommand.
    pub binary: PathBuf,
    /// Executor processes.
    pub executors: usize,
    /// Cores per executor.
    pub cores: usize,
    /// MiB per executor.
    pub memory_mb: usize,
    /// The executors' `spark.local.dir`.
    pub work_dir: PathBuf,
    /// Between heartbeats.
    pub heartbeat_interval: Duration,
    /// Extra arguments for every executor (tests pass `--protocol-version`).
    pub extra_args: Vec<String>,
    /// The id and process id of every executor started.
    started: Mutex<Vec<(String, u32)>>,
}

impl LocalCluster {
    /// A local cluster of `executors` × `cores` cores × `memory_mb` MiB.
    pub fn new(binary: PathBuf, executors: usize, cores: usize, memory_mb: usize, work_dir: PathBuf) -> Self {
        Self {
            binary,
            executors,
            cores,
            memory_mb,
            work_dir,
            heartbeat_interval: Duration::from_secs(1),
            extra_args: Vec::new(),
            started: Mutex::new(Vec::new()),
        }
    }
}

impl ClusterBackend for LocalCluster {
    fn start(
        &self,
        driver_url: String,
        exits: tokio::sync::mpsc::UnboundedSender<ExecutorExit>,
    ) -> BoxFuture<'_, std::io::Result<()>> {
        Box::pin(async move {
            for index in 0..self.executors {
                let id = index.to_string();
                let mut command = tokio::process::Command::new(&self.binary);
                command
                    .arg("executor")
                    .args(["--driver-url", &driver_url, "--executor-id", &id])
                    .args(["--cores", &self.cores.to_string(), "--memory", &format!("{}m", self.memory_mb)])
                    .args(["--work-dir", &self.work_dir.display().to_string()])
                    .args(["--heartbeat-interval-ms", &self.heartbeat_interval.as_millis().to_string()])
                    .args(&self.extra_args)
                    .stdin(std::process::Stdio::null())
                    .kill_on_drop(true);
                let mut child = command.spawn()?;
                let pid = child.id().unwrap_or(0);
                tracing::info!("started executor {id} (pid {pid})");
                eprintln!("flint: started executor {id} (pid {pid})");
                if let Ok(mut started) = self.started.lock() {
                    started.push((id.clone(), pid));
                }
                let exits = exits.clone();
                let blocks = layout::executor_dir(&self.work_dir, &id, pid);
                tokio::spawn(async move {
                    let reason = match child.wait().await {
                        Ok(status) => format!("process {pid} {status}"),
                        Err(e) => format!("process {pid}: {e}"),
                    };
                    // An executor killed outright leaves its blocks behind.
                    if let Err(e) = std::fs::remove_dir_all(&blocks)
                        && e.kind() != std::io::ErrorKind::NotFound
                    {
                        tracing::warn!("could not remove {}: {e}", blocks.display());
                    }
                    let _ = exits.send(ExecutorExit { executor: ExecutorId(id), reason });
                });
            }
            Ok(())
        })
    }

    fn executors(&self) -> usize {
        self.executors
    }

    fn stop(&self) {
        // Executors stop themselves on StopExecutor or when the driver goes away; this is
        // the backstop for ones that hang, and removes what killed ones left behind.
        if let Ok(started) = self.started.lock() {
            for (id, pid) in started.iter() {
                let _ = std::process::Command::new("kill").arg(pid.to_string()).stderr(std::process::Stdio::null()).status();
                let _ = std::fs::remove_dir_all(layout::executor_dir(&self.work_dir, id, *pid));
            }
        }
    }
}
