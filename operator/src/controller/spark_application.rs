//! The SparkApplication controller: the thin I/O shell around [`app_state::reconcile`].
//! Each reconcile lists the app's pods, asks the pure machine what to do, applies objects
//! with server-side apply (one field manager per site, forced), deletes what must go,
//! writes the status through `/status` and records an Event per transition. It never
//! branches on why it ran: the same observation always gives the same plan.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use flint_proto::auth::AppSecret;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret, Service};
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams, PostParams, Preconditions};
use kube::runtime::controller::{Action as ControllerAction, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use serde::Serialize;

use crate::app_state::{self, Action, Observed, Phase, PodView, Terminated};
use crate::crd::{AppState, SparkApplication};
use crate::pod_builder::{self, BuildSettings, DriverRef, LABEL_APP, LABEL_ATTEMPT, LABEL_EXECUTOR_ID, LABEL_ROLE};

/// Field manager for the status.
const MANAGER_STATUS: &str = "flint-operator/status";
/// Field manager for the driver's ConfigMap, Service and Pod.
const MANAGER_DRIVER: &str = "flint-operator/driver";
/// Field manager for executor pods.
const MANAGER_EXECUTORS: &str = "flint-operator/executors";
/// Lines of a failed driver's log copied into `errorMessage`.
const LOG_TAIL_LINES: i64 = 20;

/// What the controller needs, shared by every reconcile.
#[derive(Clone)]
pub struct Context {
    /// The API client.
    pub client: Client,
    /// Publishes Events.
    pub recorder: Recorder,
    /// Timing knobs of the status machine.
    pub settings: app_state::Settings,
    /// Defaults of the pod builders.
    pub build: BuildSettings,
}

/// Why a reconcile failed; every variant names the app.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The app has no namespace (SparkApplication is namespaced, so this is a bug).
    #[error("SparkApplication {app} has no namespace")]
    NoNamespace {
        /// The app.
        app: String,
    },
    /// Listing the app's pods failed.
    #[error("cannot list the pods of SparkApplication {app}: {source}")]
    ListPods {
        /// The app.
        app: String,
        /// The API error.
        source: kube::Error,
    },
    /// Applying an owned object failed.
    #[error("cannot apply {kind} {name} of SparkApplication {app}: {source}")]
    Apply {
        /// The app.
        app: String,
        /// The object's kind.
        kind: &'static str,
        /// The object's name.
        name: String,
        /// The API error.
        source: kube::Error,
    },
    /// Creating the app's authentication Secret failed.
    #[error("cannot create Secret {name} of SparkApplication {app}: {source}")]
    CreateSecret {
        /// The app.
        app: String,
        /// The Secret.
        name: String,
        /// The API error.
        source: kube::Error,
    },
    /// The app's secret could not be generated.
    #[error("cannot generate the secret of SparkApplication {app}: {source}")]
    GenerateSecret {
        /// The app.
        app: String,
        /// The cause.
        source: flint_proto::auth::SecretError,
    },
    /// Deleting a pod failed.
    #[error("cannot delete pod {name} of SparkApplication {app}: {source}")]
    DeletePod {
        /// The app.
        app: String,
        /// The pod.
        name: String,
        /// The API error.
        source: kube::Error,
    },
    /// Reading or deleting an object left by an earlier app of the same name failed.
    #[error("cannot remove {kind} {name}, left by an earlier SparkApplication named {app}: {source}")]
    Leftover {
        /// The app.
        app: String,
        /// The object's kind.
        kind: &'static str,
        /// The object's name.
        name: String,
        /// The API error.
        source: kube::Error,
    },
    /// An object the submission needs to create exists and was not made for this app.
    #[error(
        "{kind} {name} already exists and was not created by the Flint operator for SparkApplication {app}; \
         delete or rename it, or rename the app"
    )]
    NameTaken {
        /// The app.
        app: String,
        /// The object's kind.
        kind: &'static str,
        /// The object's name.
        name: String,
    },
    /// Writing the status failed.
    #[error("cannot write the status of SparkApplication {app}: {source}")]
    WriteStatus {
        /// The app.
        app: String,
        /// The API error.
        source: kube::Error,
    },
    /// Deleting a finished app after its TTL failed.
    #[error("cannot delete SparkApplication {app} after its timeToLiveSeconds: {source}")]
    DeleteApp {
        /// The app.
        app: String,
        /// The API error.
        source: kube::Error,
    },
}

impl Error {
    /// A short category for logs and Warning events.
    pub fn category(&self) -> &'static str {
        match self {
            Error::NoNamespace { .. } => "InvalidObject",
            Error::ListPods { .. } => "ListPodsFailed",
            Error::Apply { .. } => "ApplyFailed",
            Error::CreateSecret { .. } => "CreateSecretFailed",
            Error::GenerateSecret { .. } => "GenerateSecretFailed",
            Error::DeletePod { .. } => "DeletePodFailed",
            Error::Leftover { .. } => "LeftoverCleanupFailed",
            Error::NameTaken { .. } => "NameTaken",
            Error::WriteStatus { .. } => "WriteStatusFailed",
            Error::DeleteApp { .. } => "DeleteAppFailed",
        }
    }
}

/// Runs the controller over `apps` (all namespaces, or one) until SIGTERM/SIGINT.
pub async fn run(client: Client, namespace: Option<String>, settings: app_state::Settings, build: BuildSettings) {
    let (apps, pods): (Api<SparkApplication>, Api<Pod>) = match &namespace {
        Some(ns) => (Api::namespaced(client.clone(), ns), Api::namespaced(client.clone(), ns)),
        None => (Api::all(client.clone()), Api::all(client.clone())),
    };
    let reporter = Reporter {
        controller: "flint-operator".to_string(),
        instance: std::env::var("FLINT_POD_NAME").ok(),
    };
    let context = Arc::new(Context { recorder: Recorder::new(client.clone(), reporter), client, settings, build });
    tracing::info!(namespace = namespace.as_deref().unwrap_or("*"), "watching SparkApplications");
    Controller::new(apps, watcher::Config::default())
        .owns(pods, watcher::Config::default().labels(LABEL_APP))
        .shutdown_on_signal()
        .run(reconcile, error_policy, context)
        .for_each(|result| async move {
            match result {
                Ok((app, _)) => tracing::debug!(app = %app.name, namespace = ?app.namespace, "reconciled"),
                // An app deleted while queued: nothing to do.
                Err(kube::runtime::controller::Error::ObjectNotFound(object)) => {
                    tracing::debug!(%object, "deleted before its reconcile")
                }
                Err(error) => tracing::warn!(%error, "reconcile failed"),
            }
        })
        .await;
}

/// Transient API errors are retried with a short back-off; the next watch event or the
/// requeue brings the app back anyway.
fn error_policy(app: Arc<SparkApplication>, error: &Error, _: Arc<Context>) -> ControllerAction {
    tracing::warn!(app = %app.name_any(), category = error.category(), %error, "reconcile failed; retrying");
    ControllerAction::requeue(Duration::from_secs(5))
}

/// One level-triggered pass over `app`.
async fn reconcile(app: Arc<SparkApplication>, ctx: Arc<Context>) -> Result<ControllerAction, Error> {
    let name = app.name_any();
    let Some(ns) = app.namespace() else { return Err(Error::NoNamespace { app: name }) };
    if app.meta().deletion_timestamp.is_some() {
        // Owner references garbage-collect the pods, service and configmap.
        return Ok(ControllerAction::await_change());
    }
    let pods_api: Api<Pod> = Api::namespaced(ctx.client.clone(), &ns);
    let listed = pods_api
        .list(&ListParams::default().labels(&format!("{LABEL_APP}={name}")))
        .await
        .map_err(|source| Error::ListPods { app: name.clone(), source })?;
    let status = app.status.clone().unwrap_or_default();
    let attempt = status.attempt.to_string();
    let mut driver = None;
    let mut executors = Vec::new();
    let mut stale = Vec::new();
    for pod in listed.items.iter().filter(|p| pod_builder::is_controlled_by(*p, &app)) {
        let labels = pod.labels();
        let current = labels.get(LABEL_ATTEMPT) == Some(&attempt);
        match (labels.get(LABEL_ROLE).map(String::as_str), current) {
            (Some("driver"), true) => driver = Some(view(pod)),
            (Some("executor"), true) => executors.push(view(pod)),
            (Some("executor"), false) => {
                let v = view(pod);
                if !v.deleting && !matches!(v.phase, Some(Phase::Succeeded | Phase::Failed)) {
                    stale.push(v.name);
                }
            }
            _ => {}
        }
    }
    for pod in stale {
        delete_pod(&pods_api, &name, &pod).await?;
    }
    let state = app.state();
    let log_tail = match &driver {
        Some(d) if d.phase == Some(Phase::Failed) && matches!(state, AppState::Submitted | AppState::Running) => {
            let params = LogParams {
                container: Some(pod_builder::DRIVER_CONTAINER.to_string()),
                tail_lines: Some(LOG_TAIL_LINES),
                ..LogParams::default()
            };
            pods_api.logs(&d.name, &params).await.ok()
        }
        _ => None,
    };
    let now = Timestamp::now();
    let observed = Observed {
        spec: &app.spec,
        generation: app.meta().generation.unwrap_or(0),
        status: status.clone(),
        driver: driver.clone(),
        executors,
        driver_log_tail: log_tail,
        now,
        settings: &ctx.settings,
    };
    let mut plan = app_state::reconcile(&observed);
    let mut deleted_app = false;
    for action in plan.actions.clone() {
        match action {
            Action::ApplyDriver { attempt } => match submit(&ctx, &app, &ns, attempt, &listed.items).await {
                Ok(Submission::Applied) => {}
                Ok(Submission::Waiting(leftovers)) => {
                    // Applying now would adopt (or collide with) what the garbage
                    // collector is about to delete; the plan runs again once they are gone.
                    tracing::info!(
                        app = %name, namespace = %ns, objects = ?leftovers,
                        "waiting for the objects of an earlier SparkApplication of the same name to be deleted"
                    );
                    return Ok(ControllerAction::requeue(Duration::from_secs(1)));
                }
                Err(error) => match submission_refused(&error) {
                    Some(message) => {
                        plan = app_state::submission_failed(plan, observed.generation, message, now);
                        break;
                    }
                    None => return Err(error),
                },
            },
            Action::ApplyExecutors { ids } => {
                let Some(d) = driver.as_ref() else { continue };
                let Some(ip) = d.ip.clone() else { continue };
                let driver_ref = DriverRef { pod_name: d.name.clone(), uid: d.uid.clone(), ip };
                for id in ids {
                    let pod = pod_builder::executor_pod(&app, status.attempt, id, &driver_ref, &ctx.build);
                    apply(&pods_api, &name, "Pod", pod, MANAGER_EXECUTORS).await?;
                    tracing::info!(app = %name, namespace = %ns, executor = id, "created executor pod");
                }
            }
            Action::DeletePods(names) => {
                for pod in names {
                    delete_pod(&pods_api, &name, &pod).await?;
                }
            }
            Action::DeleteApplication => {
                let apps: Api<SparkApplication> = Api::namespaced(ctx.client.clone(), &ns);
                match apps.delete(&name, &DeleteParams::background()).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(source) => return Err(Error::DeleteApp { app: name, source }),
                }
                tracing::info!(app = %name, namespace = %ns, "deleted after timeToLiveSeconds");
                deleted_app = true;
            }
        }
    }
    if deleted_app {
        return Ok(ControllerAction::await_change());
    }
    if plan.status != status {
        write_status(&ctx, &app, &ns, &plan.status).await?;
    }
    for transition in &plan.transitions {
        tracing::info!(
            app = %name, namespace = %ns, from = %transition.from, to = %transition.to,
            reason = %transition.reason, message = %transition.message, "state transition"
        );
        let event = Event {
            type_: if transition.is_warning() { EventType::Warning } else { EventType::Normal },
            reason: transition.reason.clone(),
            note: Some(truncate(&format!("{}: {}", transition.to, transition.message), 1000)),
            action: transition.to.as_str().to_string(),
            secondary: None,
        };
        if let Err(error) = ctx.recorder.publish(&event, &app.object_ref(&())).await {
            tracing::warn!(app = %name, %error, "cannot publish an event");
        }
    }
    Ok(ControllerAction::requeue(plan.requeue_after))
}

/// The API server refused the driver's objects (quota, admission, invalid pod) or one of
/// their names is taken: a submission failure, not a transient error. Conflicts, throttling and 5xx are retried.
fn submission_refused(error: &Error) -> Option<String> {
    match error {
        Error::NameTaken { .. } => Some(error.to_string()),
        Error::Apply { source: kube::Error::Api(status), .. }
            if (400..500).contains(&status.code) && status.code != 409 && status.code != 429 =>
        {
            Some(error.to_string())
        }
        _ => None,
    }
}

/// What submitting an attempt did.
enum Submission {
    /// The driver's objects are applied.
    Applied,
    /// Nothing applied yet: objects of an earlier app of the same name are being deleted.
    Waiting(Vec<String>),
}

/// Applies the driver's objects of `attempt` once no earlier app's objects hold their names.
async fn submit(ctx: &Context, app: &SparkApplication, ns: &str, attempt: i32, pods: &[Pod]) -> Result<Submission, Error> {
    let leftovers = remove_leftovers(ctx, app, ns, attempt, pods).await?;
    if !leftovers.is_empty() {
        return Ok(Submission::Waiting(leftovers));
    }
    apply_driver(ctx, app, ns, attempt).await?;
    Ok(Submission::Applied)
}

async fn apply_driver(ctx: &Context, app: &SparkApplication, ns: &str, attempt: i32) -> Result<(), Error> {
    let name = app.name_any();
    ensure_auth_secret(ctx, app, ns).await?;
    let config_maps: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), ns);
    apply(&config_maps, &name, "ConfigMap", pod_builder::config_map(app, attempt), MANAGER_DRIVER).await?;
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), ns);
    apply(&services, &name, "Service", pod_builder::driver_service(app, attempt), MANAGER_DRIVER).await?;
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), ns);
    apply(&pods, &name, "Pod", pod_builder::driver_pod(app, attempt, &ctx.build), MANAGER_DRIVER).await?;
    tracing::info!(app = %name, namespace = %ns, attempt, "applied the driver pod, service and configmap");
    Ok(())
}

/// The objects an attempt's submission would create under names that objects of an
/// earlier SparkApplication of the same name still hold (the Secret's name is the app's
/// own, see [`pod_builder::auth_secret_name`]) (an app deleted and applied again
/// faster than the garbage collector removes what the first one owned). Deletes each (by
/// its UID, so nothing of this app is touched) and returns their names; empty when the
/// names are free or already this app's.
async fn remove_leftovers(
    ctx: &Context,
    app: &SparkApplication,
    ns: &str,
    attempt: i32,
    pods: &[Pod],
) -> Result<Vec<String>, Error> {
    let name = app.name_any();
    let mut leftovers = Vec::new();
    let services: Api<Service> = Api::namespaced(ctx.client.clone(), ns);
    let config_maps: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), ns);
    let pods_api: Api<Pod> = Api::namespaced(ctx.client.clone(), ns);
    if let Some(service) = get(&services, &name, "Service", &pod_builder::service_name(&name)).await? {
        leftovers.extend(remove_if_foreign(&services, app, "Service", &service).await?);
    }
    let config_map_name = pod_builder::config_map_name(&name, attempt);
    if let Some(config_map) = get(&config_maps, &name, "ConfigMap", &config_map_name).await? {
        leftovers.extend(remove_if_foreign(&config_maps, app, "ConfigMap", &config_map).await?);
    }
    for pod in pods {
        leftovers.extend(remove_if_foreign(&pods_api, app, "Pod", pod).await?);
    }
    Ok(leftovers)
}

async fn get<K>(api: &Api<K>, app: &str, kind: &'static str, name: &str) -> Result<Option<K>, Error>
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.get_opt(name)
        .await
        .map_err(|source| Error::Leftover { app: app.to_string(), kind, name: name.to_string(), source })
}

/// Deletes `object` unless `app` controls it and returns its name when it was foreign.
/// Only an object the operator made for an app of this name (it carries the app label)
/// is deleted; anything else under that name is the user's and refuses the submission.
async fn remove_if_foreign<K>(
    api: &Api<K>,
    app: &SparkApplication,
    kind: &'static str,
    object: &K,
) -> Result<Option<String>, Error>
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    if pod_builder::is_controlled_by(object, app) {
        return Ok(None);
    }
    let name = object.meta().name.clone().unwrap_or_default();
    if object.labels().get(LABEL_APP) != Some(&app.name_any()) {
        return Err(Error::NameTaken { app: app.name_any(), kind, name });
    }
    if object.meta().deletion_timestamp.is_none() {
        let preconditions = Preconditions { uid: object.meta().uid.clone(), resource_version: None };
        let params = DeleteParams { preconditions: Some(preconditions), ..DeleteParams::background() };
        match api.delete(&name, &params).await {
            Ok(_) => {}
            // Already gone, or replaced by an object of the same name in the meantime.
            Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => {}
            Err(source) => return Err(Error::Leftover { app: app.name_any(), kind, name, source }),
        }
    }
    Ok(Some(format!("{kind}/{name}")))
}

/// Creates the app's authentication Secret unless it exists. Created, not applied: a
/// server-side apply of a fresh random value would replace the secret of pods already
/// running, while a create that finds the Secret there (409) leaves it as it is, so an
/// operator restarted at any point keeps the app's secret.
async fn ensure_auth_secret(ctx: &Context, app: &SparkApplication, ns: &str) -> Result<(), Error> {
    let name = app.name_any();
    let secret_name = pod_builder::auth_secret_name(app);
    let secret = AppSecret::generate().map_err(|source| Error::GenerateSecret { app: name.clone(), source })?;
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let params = PostParams { field_manager: Some(MANAGER_DRIVER.to_string()), ..PostParams::default() };
    match secrets.create(&params, &pod_builder::auth_secret(app, &secret)).await {
        Ok(_) => {
            tracing::info!(app = %name, namespace = %ns, secret = %secret_name, "created the application's secret");
            Ok(())
        }
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(source) => Err(Error::CreateSecret { app: name, name: secret_name, source }),
    }
}

async fn apply<K>(api: &Api<K>, app: &str, kind: &'static str, object: K, manager: &str) -> Result<(), Error>
where
    K: Resource + Clone + Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let name = object.meta().name.clone().unwrap_or_default();
    api.patch(&name, &PatchParams::apply(manager).force(), &Patch::Apply(&object))
        .await
        .map(|_| ())
        .map_err(|source| Error::Apply { app: app.to_string(), kind, name, source })
}

async fn delete_pod(pods: &Api<Pod>, app: &str, name: &str) -> Result<(), Error> {
    match pods.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => Err(Error::DeletePod { app: app.to_string(), name: name.to_string(), source }),
    }
}

async fn write_status(
    ctx: &Context,
    app: &SparkApplication,
    ns: &str,
    status: &crate::crd::SparkApplicationStatus,
) -> Result<(), Error> {
    let name = app.name_any();
    let apps: Api<SparkApplication> = Api::namespaced(ctx.client.clone(), ns);
    // The resourceVersion the decisions were made from: a reconcile that started from a
    // stale copy (the watch cache lags behind the last status write) gets a conflict and
    // runs again from the fresh object, instead of moving a finished app a second time.
    let patch = serde_json::json!({
        "apiVersion": "flint.dev/v1alpha1",
        "kind": "SparkApplication",
        "metadata": { "resourceVersion": app.resource_version() },
        "status": status,
    });
    apps.patch_status(&name, &PatchParams::apply(MANAGER_STATUS).force(), &Patch::Apply(&patch))
        .await
        .map(|_| ())
        .map_err(|source| Error::WriteStatus { app: name, source })
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// What decisions need of a pod.
pub fn view(pod: &Pod) -> PodView {
    let status = pod.status.as_ref();
    let unschedulable = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "PodScheduled" && c.status == "False"))
        .and_then(|c| c.message.clone().or_else(|| c.reason.clone()));
    let container = status.and_then(|s| s.container_statuses.as_ref()).and_then(|cs| {
        cs.iter()
            .find(|c| c.name == pod_builder::DRIVER_CONTAINER || c.name == pod_builder::EXECUTOR_CONTAINER)
            .or_else(|| cs.first())
    });
    let state = container.and_then(|c| c.state.as_ref());
    let waiting = state.and_then(|s| s.waiting.as_ref()).and_then(|w| {
        let reason = w.reason.clone().unwrap_or_default();
        match &w.message {
            Some(message) => Some(format!("{reason}: {message}")),
            None if !reason.is_empty() => Some(reason),
            None => None,
        }
    });
    let terminated = state.and_then(|s| s.terminated.as_ref()).map(|t| Terminated {
        exit_code: t.exit_code,
        reason: t.reason.clone(),
        message: t.message.clone(),
        signal: t.signal,
    });
    PodView {
        name: pod.name_any(),
        uid: pod.uid().unwrap_or_default(),
        phase: Some(Phase::parse(status.and_then(|s| s.phase.as_deref()))),
        deleting: pod.meta().deletion_timestamp.is_some(),
        created: pod.meta().creation_timestamp.as_ref().map(|t| t.0),
        ip: status.and_then(|s| s.pod_ip.clone()).filter(|ip| !ip.is_empty()),
        ready: status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True")),
        executor_id: pod.labels().get(LABEL_EXECUTOR_ID).and_then(|id| id.parse().ok()),
        unschedulable,
        waiting,
        terminated,
    }
}
