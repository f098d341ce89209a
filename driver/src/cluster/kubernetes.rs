//! Kubernetes: executors are pods the operator creates from the app's
//! `spec.executor.instances` (its `/scale`); the driver starts none and needs no pod
//! permissions. It reads its own SparkApplication to learn what happened to executor pods
//! (`status.executorState`) and when the operator gave up on the app, and asks for a
//! different executor count by patching `/scale`.

use super::{ClusterBackend, ExecutorExit};
use flint_engine::ids::ExecutorId;
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
    /// `spark.executor.instances`.
    pub executors: usize,
    /// Executor pods the operator may create to replace lost ones
    /// (`spark.executor.maxNumFailures`).
    pub max_failures: usize,
    /// Give up when no executor pod runs after this long
    /// (`spark.flint.kubernetes.executorTimeout`, default 300 s).
    pub executor_timeout: Duration,
    /// Between reads of the app's status.
    pub poll_interval: Duration,
}

/// The driver's side of an app on Kubernetes.
#[derive(Debug)]
pub struct KubernetesCluster {
    conf: KubernetesConf,
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
        Ok(Self { conf, apps, stop })
    }

    /// Asks the operator for `executors` executors by patching the app's `/scale`.
    pub async fn request_total(&self, executors: i32) -> Result<(), KubernetesError> {
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

/// What one read of the app's status tells the scheduler: newly ended executor pods, and
/// whether to give up (the operator failed the app, or no executor arrived in time).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StatusReading {
    /// `(executor id, reason)` for pods seen ending for the first time.
    pub ended: Vec<(String, String)>,
    /// Why the job cannot go on, if it cannot.
    pub give_up: Option<String>,
}

/// Reads `status` (the app's status JSON) against the executors already reported in
/// `reported`. Pure, so it is tested without an API server.
pub fn read_status(
    status: &serde_json::Value,
    reported: &mut BTreeSet<String>,
    waited: Duration,
    conf: &KubernetesConf,
) -> StatusReading {
    let mut reading = StatusReading::default();
    let mut any_running = false;
    if let Some(states) = status.get("executorState").and_then(|s| s.as_object()) {
        for (pod, state) in states {
            let state = state.as_str().unwrap_or("UNKNOWN");
            any_running |= state == "RUNNING";
            let Some(id) = executor_id_of(pod) else { continue };
            if (state == "FAILED" || state == "COMPLETED") && reported.insert(id.clone()) {
                reading.ended.push((id, format!("executor pod {pod} is {state} (status.executorState)")));
            }
        }
    }
    let state = status.pointer("/applicationState/state").and_then(|s| s.as_str()).unwrap_or("");
    if matches!(state, "FAILING" | "FAILED") {
        let error = status.pointer("/applicationState/errorMessage").and_then(|s| s.as_str()).unwrap_or("");
        reading.give_up = Some(format!("the operator failed the application: {error}"));
    } else if !any_running && reported.is_empty() && waited >= conf.executor_timeout {
        reading.give_up = Some(format!(
            "no executor pod ran within {}s (spark.flint.kubernetes.executorTimeout); see `kubectl describe sparkapp {}`",
            conf.executor_timeout.as_secs(),
            conf.app
        ));
    }
    reading
}

impl ClusterBackend for KubernetesCluster {
    fn start(
        &self,
        _driver_url: String,
        exits: tokio::sync::mpsc::UnboundedSender<ExecutorExit>,
    ) -> BoxFuture<'_, std::io::Result<()>> {
        // Starts nothing: the operator creates the executor pods and gives them this pod's
        // IP. What happens to them is read from the app's status.
        let apps = self.apps.clone();
        let conf = self.conf.clone();
        let mut stop = self.stop.subscribe();
        let expected = self.executors();
        tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            let mut reported = BTreeSet::new();
            let mut gave_up = false;
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
                let reading = read_status(&status, &mut reported, started.elapsed(), &conf);
                for (id, reason) in reading.ended {
                    tracing::info!(executor = %id, %reason, "executor pod ended");
                    let _ = exits.send(ExecutorExit { executor: ExecutorId(id), reason });
                }
                if let (Some(reason), false) = (reading.give_up, gave_up) {
                    gave_up = true;
                    eprintln!("flint: giving up on executors: {reason}");
                    // Enough exits that the scheduler fails the job once no executor is left.
                    for n in 0..expected {
                        let executor = ExecutorId(format!("never-registered-{n}"));
                        let _ = exits.send(ExecutorExit { executor, reason: reason.clone() });
                    }
                }
            }
        });
        Box::pin(async { Ok(()) })
    }

    fn executors(&self) -> usize {
        // Replacements arrive under new ids: the job only runs out of executors once the
        // operator can create no more.
        self.conf.executors + self.conf.max_failures
    }

    fn stop(&self) {
        let _ = self.stop.send(true);
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
            max_failures: 4,
            executor_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
        }
    }

    #[test]
    fn executor_ids_come_from_pod_names() {
        assert_eq!(executor_id_of("pi-1-exec-12").as_deref(), Some("12"));
        assert_eq!(executor_id_of("pi-exec-x"), None);
        assert_eq!(executor_id_of("pi-1-driver"), None);
    }

    #[test]
    fn ended_executors_are_reported_once() {
        let mut reported = BTreeSet::new();
        let status = serde_json::json!({
            "applicationState": {"state": "RUNNING"},
            "executorState": {"pi-1-exec-1": "FAILED", "pi-1-exec-2": "RUNNING"}
        });
        let first = read_status(&status, &mut reported, Duration::from_secs(1), &conf());
        assert_eq!(first.ended.len(), 1);
        assert_eq!(first.ended[0].0, "1");
        assert_eq!(first.give_up, None);
        let second = read_status(&status, &mut reported, Duration::from_secs(2), &conf());
        assert!(second.ended.is_empty());
    }

    #[test]
    fn gives_up_when_no_executor_runs_in_time_or_the_operator_failed_the_app() {
        let mut reported = BTreeSet::new();
        let pending = serde_json::json!({"applicationState": {"state": "RUNNING"}, "executorState": {"pi-1-exec-1": "PENDING"}});
        assert_eq!(read_status(&pending, &mut reported, Duration::from_secs(59), &conf()).give_up, None);
        let late = read_status(&pending, &mut reported, Duration::from_secs(61), &conf()).give_up.unwrap();
        assert!(late.contains("no executor pod ran within 60s"), "{late}");
        let failed = serde_json::json!({"applicationState": {"state": "FAILING", "errorMessage": "1 Insufficient cpu"}});
        let reason = read_status(&failed, &mut reported, Duration::from_secs(1), &conf()).give_up.unwrap();
        assert!(reason.contains("Insufficient cpu"), "{reason}");
    }
}
