//! `local-cluster[E,C,M]`: `flint executor` processes of the same binary on loopback, C
//! cores and M MiB each, as many as the scheduler asks for (E at the start). Each process
//! is launched under a new id and a launch name, and gets the application's secret in
//! its environment. Lost processes are not replaced: once every one is gone the backend
//! gives up.

use super::{BackendError, BackendEvent, ClusterBackend, DriverEndpoint};
use flint_engine::ids::ExecutorId;
use flint_engine::shuffle::layout;
use flint_proto::auth::SECRET_ENV;
use futures::future::BoxFuture;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long [`ClusterBackend::stop`] lets executors told to stop exit on their own
/// before it kills them.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Spawns executor processes of `binary` (normally this process's own executable).
#[derive(Debug)]
pub struct LocalCluster {
    /// The binary with an `executor` subcommand.
    pub binary: PathBuf,
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
    processes: Arc<Mutex<Processes>>,
}

/// The processes launched so far, and what they are launched for.
#[derive(Debug, Default)]
struct Processes {
    driver: Option<(DriverEndpoint, mpsc::UnboundedSender<BackendEvent>)>,
    next_id: usize,
    wanted: usize,
    live: BTreeMap<usize, Launched>,
    stopping: bool,
}

/// One live executor process.
#[derive(Debug)]
struct Launched {
    pid: u32,
    kill: Option<oneshot::Sender<()>>,
}

impl Launched {
    fn kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
    }
}

/// The name an executor of the local cluster registers under.
pub fn launch_name(id: usize) -> String {
    format!("local-cluster-exec-{id}")
}

impl LocalCluster {
    /// A local cluster of executors of `cores` cores × `memory_mb` MiB.
    pub fn new(binary: PathBuf, cores: usize, memory_mb: usize, work_dir: PathBuf) -> Self {
        Self {
            binary,
            cores,
            memory_mb,
            work_dir,
            heartbeat_interval: Duration::from_secs(1),
            extra_args: Vec::new(),
            processes: Arc::default(),
        }
    }

    fn processes(&self) -> MutexGuard<'_, Processes> {
        self.processes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Launches executor `id` for `driver`; its exit is reported on `events`.
    fn launch(&self, processes: &mut Processes, id: usize) -> Result<(), BackendError> {
        let Some((driver, events)) = processes.driver.clone() else {
            return Err(BackendError::Process {
                what: "start executors before it was started".to_string(),
                source: std::io::Error::other("ClusterBackend::start was not called"),
            });
        };
        let executor = id.to_string();
        let mut command = tokio::process::Command::new(&self.binary);
        command
            .arg("executor")
            .args(["--driver-url", &driver.url, "--executor-id", &executor, "--name", &launch_name(id)])
            .args(["--cores", &self.cores.to_string(), "--memory", &format!("{}m", self.memory_mb)])
            .args(["--work-dir", &self.work_dir.display().to_string()])
            .args(["--heartbeat-interval-ms", &self.heartbeat_interval.as_millis().to_string()])
            .args(&self.extra_args)
            .env(SECRET_ENV, driver.secret.expose())
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|source| BackendError::Process { what: format!("start executor {executor}"), source })?;
        let pid = child.id().unwrap_or(0);
        tracing::info!(executor = %executor, pid, "started executor");
        eprintln!("flint: started executor {executor} (pid {pid})");
        let (kill, killed) = oneshot::channel();
        processes.live.insert(id, Launched { pid, kill: Some(kill) });
        let blocks = layout::executor_dir(&self.work_dir, &executor, pid);
        let shared = Arc::clone(&self.processes);
        tokio::spawn(async move {
            let status = tokio::select! {
                status = child.wait() => status,
                _ = killed => {
                    let _ = child.start_kill();
                    child.wait().await
                }
            };
            let reason = match status {
                Ok(status) => format!("process {pid} {status}"),
                Err(e) => format!("process {pid}: {e}"),
            };
            // An executor killed outright leaves its blocks behind.
            if let Err(e) = std::fs::remove_dir_all(&blocks)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %blocks.display(), error = %e, "cannot remove an executor's blocks");
            }
            let give_up = {
                let mut processes = shared.lock().unwrap_or_else(PoisonError::into_inner);
                processes.live.remove(&id);
                processes.live.is_empty() && processes.wanted > 0 && !processes.stopping
            };
            let _ = events.send(BackendEvent::Exited { executor: ExecutorId(executor), reason });
            if give_up {
                let reason = "every executor process of the local cluster exited; it does not replace them".to_string();
                let _ = events.send(BackendEvent::GaveUp { reason });
            }
        });
        Ok(())
    }
}

impl ClusterBackend for LocalCluster {
    fn start(
        &self,
        driver: DriverEndpoint,
        events: mpsc::UnboundedSender<BackendEvent>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        self.processes().driver = Some((driver, events));
        Box::pin(async { Ok(()) })
    }

    fn request_total(&self, total: usize) -> BoxFuture<'_, Result<(), BackendError>> {
        let mut processes = self.processes();
        processes.wanted = total;
        let mut outcome = Ok(());
        while processes.live.len() < total && outcome.is_ok() {
            let id = processes.next_id;
            processes.next_id += 1;
            outcome = self.launch(&mut processes, id);
        }
        let surplus = processes.live.len().saturating_sub(total);
        for (_, launched) in processes.live.iter_mut().rev().take(surplus) {
            launched.kill();
        }
        Box::pin(async move { outcome })
    }

    fn kill(&self, executors: Vec<ExecutorId>) -> BoxFuture<'_, Result<(), BackendError>> {
        let mut processes = self.processes();
        for executor in executors {
            let launched = executor.0.parse().ok().and_then(|id: usize| processes.live.get_mut(&id));
            if let Some(launched) = launched {
                tracing::info!(%executor, pid = launched.pid, "killing a lost executor's process");
                launched.kill();
            }
        }
        Box::pin(async { Ok(()) })
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        self.processes().stopping = true;
        Box::pin(async move {
            // Executors stop themselves on StopExecutor or when the driver goes away; this
            // is the backstop for ones that hang.
            let deadline = tokio::time::Instant::now() + STOP_GRACE;
            while !self.processes().live.is_empty() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            for launched in self.processes().live.values_mut() {
                launched.kill();
            }
            let deadline = tokio::time::Instant::now() + STOP_GRACE;
            while !self.processes().live.is_empty() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use flint_proto::auth::AppSecret;
    use std::os::unix::fs::PermissionsExt;

    /// A backend whose "executors" are a script that exits 3 unless it got the secret in
    /// its environment, and otherwise sleeps.
    fn cluster(dir: &std::path::Path, secret: &str) -> LocalCluster {
        let script = dir.join("fake-flint");
        std::fs::write(&script, format!("#!/bin/sh\n[ \"${SECRET_ENV}\" = {secret} ] || exit 3\nexec sleep 30\n")).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        LocalCluster::new(script, 1, 64, dir.to_path_buf())
    }

    async fn next(events: &mut mpsc::UnboundedReceiver<BackendEvent>) -> BackendEvent {
        tokio::time::timeout(Duration::from_secs(10), events.recv()).await.expect("an event in time").expect("an event")
    }

    #[tokio::test]
    async fn launches_what_is_asked_stops_the_surplus_and_gives_up_when_none_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let backend = cluster(dir.path(), "s3cr3t");
        let (tx, mut events) = mpsc::unbounded_channel();
        let driver = DriverEndpoint { url: "http://127.0.0.1:1".into(), secret: AppSecret::new("s3cr3t").unwrap() };
        backend.start(driver, tx).await.unwrap();
        backend.request_total(3).await.unwrap();
        assert_eq!(backend.processes().live.keys().copied().collect::<Vec<_>>(), vec![0, 1, 2]);
        backend.request_total(2).await.unwrap();
        let BackendEvent::Exited { executor, reason } = next(&mut events).await else { panic!("not an exit") };
        assert_eq!(executor, ExecutorId("2".into()), "the newest goes first");
        assert!(reason.contains("signal: 9"), "{reason}");
        backend.kill(vec![ExecutorId("0".into())]).await.unwrap();
        let BackendEvent::Exited { executor, .. } = next(&mut events).await else { panic!("not an exit") };
        assert_eq!(executor, ExecutorId("0".into()));
        backend.kill(vec![ExecutorId("1".into())]).await.unwrap();
        assert!(matches!(next(&mut events).await, BackendEvent::Exited { .. }));
        let BackendEvent::GaveUp { reason } = next(&mut events).await else { panic!("no give-up") };
        assert!(reason.contains("every executor process"), "{reason}");
    }
}
