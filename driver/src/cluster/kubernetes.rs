//! Kubernetes: executors are pods the operator creates from the app's
//! `spec.executor.instances` (its `/scale`); the driver starts none and needs no pod
//! permissions. It reads its own SparkApplication to learn what happened to executor pods
//! (`status.executorState`) and when the operator gave up on the app, and asks for a
//! different executor count by patching `/scale`.

use super::{BackendError, BackendEvent, ClusterBackend, DriverEndpoint};
use flint_engine::ids::ExecutorId;
use flint_proto::conf::EXECUTOR_TIMEOUT;
use futures::future::BoxFuture;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::watch;

/// Why the backend could not reach the API server.
#[derive(Debug, thiserror::Error)]
pub enum KubernetesError {
    /// No client configuration (in a pod, the service account token).
    #[error("cannot configure a Kubernetes client for SparkApplication {namespace}/{app}: {source}")]
    Client {
        /// The app.
        app: String,
        /// Its namespace.
        namespace: String,
        /// The error.
        source: kube::Error,
    },
    /// Patching `/scale` failed.
    #[error("cannot scale SparkApplication {namespace}/{app} to {executors} executors: {source}")]
    Scale {
        /// The app.
        app: String,
        /// Its namespace.
        namespace: String,
        /// The count asked for.
        executors: i32,
        /// The error.
        source: kube::Error,
    },
}

/// Settings of the Kubernetes backend, from the driver pod's environment and conf.
#[derive(Debug, Clone)]
pub struct KubernetesConf {
    /// The SparkApplication's name.
    pub app: String,
    /// Its namespace.
    pub namespace: String,
    /// The executor count its spec asks for now (`spark.executor.instances`), which the
    /// operator creates pods for without being asked.
    pub executors: usize,
    /// Give up when no executor pod runs after this long
    /// ([`EXECUTOR_TIMEOUT`]).
    pub executor_timeout: Duration,
    /// Between reads of the app's status.
    pub poll_interval: Duration,
}

/// The driver's side of an app on Kubernetes.
#[derive(Debug)]
pub struct KubernetesCluster {
    conf: KubernetesConf,
    /// The count last asked for: asking for it again patches nothing, so the driver's
    /// start does not undo a `kubectl scale` made meanwhile.
    requested: std::sync::Mutex<usize>,
    apps: Api<DynamicObject>,
    stop: watch::Sender<bool>,
}

/// `flint.dev/v1alpha1` `SparkApplication`, without linking the operator's types.
fn spark_application() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("flint.dev", "v1alpha1", "SparkApplication"),
        "sparkapplications",
    )
}

impl KubernetesCluster {
    /// A backend for the app `conf` names, with the client from the pod's service account
    /// (or `KUBECONFIG`).
    pub async fn new(conf: KubernetesConf) -> Result<Self, KubernetesError> {
        let client = kube::Client::try_default().await.map_err(|source| KubernetesError::Client {
            app: conf.app.clone(),
            namespace: conf.namespace.clone(),
            source,
        })?;
        let apps = Api::namespaced_with(client, &conf.namespace, &spark_application());
        let (stop, _) = watch::channel(false);
        Ok(Self { requested: std::sync::Mutex::new(conf.executors), conf, apps, stop })
    }

    /// Asks the operator for `executors` executors by patching the app's `/scale`.
    async fn scale(&self, executors: i32) -> Result<(), KubernetesError> {
        let patch = serde_json::json!({"spec": {"replicas": executors}});
        self.apps
            .patch_scale(&self.conf.app, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map(|_| ())
            .map_err(|source| KubernetesError::Scale {
                app: self.conf.app.clone(),
                namespace: self.conf.namespace.clone(),
                executors,
                source,
            })
    }
}

/// The executor id of a pod the operator named `<app>-<attempt>-exec-<id>`.
pub fn executor_id_of(pod: &str) -> Option<String> {
    pod.rsplit_once("-exec-").map(|(_, id)| id.to_string()).filter(|id| id.chars().all(|c| c.is_ascii_digit()))
}

/// What the backend remembers between reads of the app's status, and the decisions it
/// takes from them: which executor pods ended or wait, and when to give up. Pure, so it
/// is tested without an API server.
#[derive(Debug, Default)]
pub struct StatusTracker {
    ended: BTreeSet<String>,
    pending: BTreeSet<String>,
    unschedulable: Option<String>,
    ran: bool,
    gave_up: bool,
}

impl StatusTracker {
    /// The events one read of `status` (the app's status JSON), `waited` after the start,
    /// brings: pods seen ending or pending for the first time, and giving up once, when
    /// the operator failed the app or no executor pod ran within the timeout.
    pub fn read(&mut self, status: &serde_json::Value, waited: Duration, conf: &KubernetesConf) -> Vec<BackendEvent> {
        let mut events = Vec::new();
        if let Some(states) = status.get("executorState").and_then(|s| s.as_object()) {
            for (pod, state) in states {
                let state = state.as_str().unwrap_or("UNKNOWN");
                let Some(id) = executor_id_of(pod) else { continue };
                let executor = ExecutorId(id.clone());
                match state {
                    "RUNNING" => self.ran = true,
                    "FAILED" | "COMPLETED" if self.ended.insert(id.clone()) => {
                        self.ran = true;
                        let reason = format!("executor pod {pod} is {state} (status.executorState)");
                        events.push(BackendEvent::Exited { executor, reason });
                    }
                    "PENDING" if self.pending.insert(id) => {
                        let reason = format!("executor pod {pod} is Pending");
                        events.push(BackendEvent::Pending { executor, reason });
                    }
                    _ => {}
                }
            }
        }
        let unschedulable = status
            .get("conditions")
            .and_then(|c| c.as_array())
            .and_then(|cs| cs.iter().find(|c| c["type"] == "ExecutorsScheduled" && c["status"] == "False"))
            .and_then(|c| c["message"].as_str())
            .map(str::to_string);
        if unschedulable.is_some() && unschedulable != self.unschedulable {
            events.push(BackendEvent::Unschedulable { reason: unschedulable.clone().unwrap_or_default() });
        }
        self.unschedulable = unschedulable;
        if self.gave_up {
            return events;
        }
        let state = status.pointer("/applicationState/state").and_then(|s| s.as_str()).unwrap_or("");
        let reason = if matches!(state, "FAILING" | "FAILED") {
            let error = status.pointer("/applicationState/errorMessage").and_then(|s| s.as_str()).unwrap_or("");
            Some(format!("the operator failed the application: {error}"))
        } else if !self.ran && waited >= conf.executor_timeout {
            Some(format!(
                "no executor pod ran within {}s ({}); see `kubectl describe sparkapp {}`",
                conf.executor_timeout.as_secs(),
                EXECUTOR_TIMEOUT.name,
                conf.app
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            self.gave_up = true;
            events.push(BackendEvent::GaveUp { reason });
        }
        events
    }
}

impl ClusterBackend for KubernetesCluster {
    fn start(
        &self,
        _driver: DriverEndpoint,
        events: tokio::sync::mpsc::UnboundedSender<BackendEvent>,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        // The operator gives executor pods this pod's IP and the app's Secret; what happens
        // to them is read from the app's status.
        let apps = self.apps.clone();
        let conf = self.conf.clone();
        let mut stop = self.stop.subscribe();
        tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            let mut tracker = StatusTracker::default();
            loop {
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = tokio::time::sleep(conf.poll_interval) => {}
                }
                let app = match apps.get(&conf.app).await {
                    Ok(app) => app,
                    Err(error) => {
                        tracing::warn!(app = %conf.app, %error, "cannot read the SparkApplication");
                        continue;
                    }
                };
                let status = app.data.get("status").cloned().unwrap_or_default();
                for event in tracker.read(&status, started.elapsed(), &conf) {
                    if events.send(event).is_err() {
                        return;
                    }
                }
            }
        });
        Box::pin(async { Ok(()) })
    }

    fn request_total(&self, total: usize) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let unchanged = {
                let mut requested = self.requested.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                std::mem::replace(&mut *requested, total) == total
            };
            if !unchanged {
                self.scale(i32::try_from(total).unwrap_or(i32::MAX)).await?;
            }
            Ok(())
        })
    }

    fn kill(&self, executors: Vec<ExecutorId>) -> BoxFuture<'_, Result<(), BackendError>> {
        // The driver may not touch pods: an executor declared lost finds out from its next
        // heartbeat and exits, and the operator replaces its pod (up to
        // spark.executor.maxNumFailures).
        tracing::info!(?executors, "lost executors are left to exit and to the operator to replace");
        Box::pin(async { Ok(()) })
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        let _ = self.stop.send(true);
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf() -> KubernetesConf {
        KubernetesConf {
            app: "pi".into(),
            namespace: "jobs".into(),
            executors: 2,
            executor_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
        }
    }

    fn exited(events: &[BackendEvent]) -> Vec<&str> {
        events
            .iter()
            .filter_map(|e| match e {
                BackendEvent::Exited { executor, .. } => Some(executor.0.as_str()),
                _ => None,
            })
            .collect()
    }

    fn gave_up(events: &[BackendEvent]) -> Option<&str> {
        events.iter().find_map(|e| match e {
            BackendEvent::GaveUp { reason } => Some(reason.as_str()),
            _ => None,
        })
    }

    #[test]
    fn executor_ids_come_from_pod_names() {
        assert_eq!(executor_id_of("pi-1-exec-12").as_deref(), Some("12"));
        assert_eq!(executor_id_of("pi-exec-x"), None);
        assert_eq!(executor_id_of("pi-1-driver"), None);
    }

    #[test]
    fn ended_and_pending_executors_are_reported_once() {
        let mut tracker = StatusTracker::default();
        let status = serde_json::json!({
            "applicationState": {"state": "RUNNING"},
            "executorState": {"pi-1-exec-1": "FAILED", "pi-1-exec-2": "RUNNING", "pi-1-exec-3": "PENDING"}
        });
        let first = tracker.read(&status, Duration::from_secs(1), &conf());
        assert_eq!(exited(&first), vec!["1"]);
        let pending = BackendEvent::Pending { executor: ExecutorId("3".into()), reason: "executor pod pi-1-exec-3 is Pending".into() };
        assert!(first.contains(&pending), "{first:?}");
        assert_eq!(gave_up(&first), None);
        assert!(tracker.read(&status, Duration::from_secs(2), &conf()).is_empty());
    }

    #[test]
    fn gives_up_once_when_no_executor_runs_in_time_or_the_operator_failed_the_app() {
        let mut tracker = StatusTracker::default();
        let pending = serde_json::json!({"applicationState": {"state": "RUNNING"}, "executorState": {"pi-1-exec-1": "PENDING"}});
        assert_eq!(gave_up(&tracker.read(&pending, Duration::from_secs(59), &conf())), None);
        let late = tracker.read(&pending, Duration::from_secs(61), &conf());
        assert!(gave_up(&late).unwrap().contains("no executor pod ran within 60s"), "{late:?}");
        assert_eq!(gave_up(&tracker.read(&pending, Duration::from_secs(62), &conf())), None, "only once");

        let mut tracker = StatusTracker::default();
        let failed = serde_json::json!({"applicationState": {"state": "FAILING", "errorMessage": "1 Insufficient cpu"}});
        let events = tracker.read(&failed, Duration::from_secs(1), &conf());
        assert!(gave_up(&events).unwrap().contains("Insufficient cpu"), "{events:?}");
    }

    #[test]
    fn unschedulable_executors_are_reported_once_per_reason() {
        let mut tracker = StatusTracker::default();
        let stuck = |message: &str| {
            serde_json::json!({
                "applicationState": {"state": "RUNNING"},
                "conditions": [
                    {"type": "Running", "status": "True", "message": ""},
                    {"type": "ExecutorsScheduled", "status": "False", "message": message}
                ]
            })
        };
        let reason = "executor pod pi-1-exec-1 cannot be scheduled: 0/1 nodes are available: 1 Insufficient cpu";
        let events = tracker.read(&stuck(reason), Duration::from_secs(1), &conf());
        assert_eq!(events, vec![BackendEvent::Unschedulable { reason: reason.into() }]);
        assert!(tracker.read(&stuck(reason), Duration::from_secs(2), &conf()).is_empty());
        let scheduled = serde_json::json!({"applicationState": {"state": "RUNNING"}, "conditions": [{"type": "ExecutorsScheduled", "status": "True"}]});
        assert!(tracker.read(&scheduled, Duration::from_secs(3), &conf()).is_empty());
        assert_eq!(tracker.read(&stuck(reason), Duration::from_secs(4), &conf()).len(), 1, "stuck again");
    }

    #[test]
    fn an_executor_that_ran_keeps_the_backend_from_timing_out() {
        let mut tracker = StatusTracker::default();
        let running = serde_json::json!({"applicationState": {"state": "RUNNING"}, "executorState": {"pi-1-exec-1": "RUNNING"}});
        tracker.read(&running, Duration::from_secs(1), &conf());
        let lost = serde_json::json!({"applicationState": {"state": "RUNNING"}, "executorState": {"pi-1-exec-1": "FAILED", "pi-1-exec-2": "PENDING"}});
        let events = tracker.read(&lost, Duration::from_secs(120), &conf());
        assert_eq!(exited(&events), vec!["1"]);
        assert_eq!(gave_up(&events), None, "replacements may still come: {events:?}");
    }
}
