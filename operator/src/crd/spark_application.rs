//! The `SparkApplication` custom resource (`flint.dev/v1alpha1`): spec fields named as in
//! kubeflow's `sparkoperator.k8s.io/v1beta2` so manifests port by changing `apiVersion`,
//! and a status with conditions, attempts and per-executor state.
//!
//! Validation lives in the schema (ranges, required fields) and in CEL rules
//! (`x-kubernetes-validations`), so the API server refuses a bad manifest before the
//! operator sees it, with a message naming the field. Pod-level Kubernetes structures
//! (volumes, env, affinity, tolerations, templates) are kept as preserved unknown fields:
//! the API server validates them when the operator creates the pods, and the CRD stays
//! small.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, EnvFromSource, EnvVar, PodTemplateSpec, SecurityContext, Toleration, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::schema;

/// What a Flint application runs: a PySpark script or a file of SQL statements.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplicationType {
    /// `mainApplicationFile` is a `.py` script run against the driver's Spark Connect server.
    Python,
    /// `mainApplicationFile` is a file of SQL statements separated by `;`.
    #[serde(rename = "SQL")]
    Sql,
}

/// `spec.restartPolicy.type`.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RestartPolicyType {
    /// Never run the driver again.
    #[default]
    Never,
    /// Run it again after a failure, up to `onFailureRetries` times.
    OnFailure,
    /// Run it again after it ends, whatever the outcome.
    Always,
}

/// The `SparkApplication` spec.
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
#[kube(
    group = "flint.dev",
    version = "v1alpha1",
    kind = "SparkApplication",
    namespaced,
    shortname = "sparkapp",
    status = "SparkApplicationStatus",
    derive = "PartialEq",
    doc = "A Spark application run by Flint: one driver pod and executor pods the operator manages.",
    scale(spec_replicas_path = ".spec.executor.instances", status_replicas_path = ".status.executors"),
    printcolumn = r#"{"name": "State", "type": "string", "jsonPath": ".status.applicationState.state"}"#,
    printcolumn = r#"{"name": "Attempts", "type": "integer", "jsonPath": ".status.executionAttempts"}"#,
    printcolumn = r#"{"name": "Executors", "type": "integer", "jsonPath": ".status.executors"}"#,
    printcolumn = r#"{"name": "Start", "type": "date", "jsonPath": ".status.lastSubmissionAttemptTime"}"#,
    printcolumn = r#"{"name": "Finish", "type": "date", "jsonPath": ".status.terminationTime"}"#,
    printcolumn = r#"{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct SparkApplicationSpec {
    /// `Python` or `SQL`. Java, Scala and R applications are refused: Flint runs no JVM.
    #[serde(rename = "type")]
    #[schemars(schema_with = "schema::application_type")]
    pub type_: ApplicationType,
    /// `cluster` (the default and only mode: the driver runs in a pod).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["cluster"]))]
    pub mode: Option<String>,
    /// The image of the driver and executors unless they name their own; the operator's
    /// default image if unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `Always`, `IfNotPresent` or `Never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["Always", "IfNotPresent", "Never"]))]
    pub image_pull_policy: Option<String>,
    /// Names of Secrets to pull the image with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<String>,
    /// The application: `local:///path` (or a plain absolute path) inside the driver
    /// container, or an object in a bucket (`s3a://bucket/app.py`; also `s3://`, `gs://`,
    /// `abfss://`) that the driver fetches with the application's `hadoopConf` /
    /// `spark.hadoop.*` keys and environment.
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self.startsWith('local:///') || self.startsWith('/') || self.matches('^(s3a|s3|gs|abfss|abfs)://[^/]+/.+')",
        "message": "mainApplicationFile must be a path inside the driver container (local:///path or /path) or an object in a bucket (s3a://bucket/key, s3://, gs://, abfss://)"
    }]), length(min = 1, max = 4096))]
    pub main_application_file: String,
    /// Not supported: Flint runs no JVM classes. Present so a manifest that sets it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "size(self) == 0",
        "message": "mainClass is not supported: Flint runs Python and SQL applications, not JVM classes"
    }]), length(max = 1024))]
    pub main_class: Option<String>,
    /// Arguments of the application (a Python script's `sys.argv[1:]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    /// Spark configuration (`--conf`). Authentication is always on and its secret is the
    /// operator's: `spark.authenticate.secret` here would sit in plain text in the app's
    /// ConfigMap, so it is refused, as is `spark.authenticate` other than `true`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("x-kubernetes-validations" = [
        {"rule": "!('spark.authenticate.secret' in self)",
         "message": "spark.authenticate.secret may not be set: the operator keeps each app's secret in a Secret <app>-auth-<uid>, which a ConfigMap-stored value would expose"},
        {"rule": "!('spark.authenticate' in self) || self['spark.authenticate'] == 'true'",
         "message": "spark.authenticate cannot be turned off: driver and executors always authenticate with the app's secret"}
    ]))]
    pub spark_conf: BTreeMap<String, String>,
    /// Hadoop configuration, passed on as `spark.hadoop.<key>`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hadoop_conf: BTreeMap<String, String>,
    /// Volumes the driver and executor pods may mount (`volumeMounts`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "schema::preserved_list")]
    pub volumes: Vec<Volume>,
    /// The driver pod.
    pub driver: DriverSpec,
    /// The executor pods.
    pub executor: ExecutorSpec,
    /// Dependencies. Flint honours none yet; `jars` and `packages` are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deps: Option<Dependencies>,
    /// What happens when the driver ends.
    #[serde(default)]
    pub restart_policy: RestartPolicy,
    /// Delete the application this many seconds after it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub time_to_live_seconds: Option<i64>,
    /// Dynamic allocation bounds (validated now; acted on in a later release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_allocation: Option<DynamicAllocation>,
}

/// Fields common to the driver and executor pods (`SparkPodSpec` in v1beta2).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct SparkPodSpec {
    /// CPU cores (`spark.driver.cores` / `spark.executor.cores`); also the pod's CPU request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub cores: Option<i32>,
    /// The CPU limit, a Kubernetes quantity such as `1500m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32))]
    pub core_limit: Option<String>,
    /// Memory, as Spark writes it (`512m`, `2g`) or a Kubernetes quantity (`2Gi`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::memory")]
    pub memory: Option<String>,
    /// Memory added to the pod's request and limit on top of `memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::memory")]
    pub memory_overhead: Option<String>,
    /// The image, instead of `spec.image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Labels added to the pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations added to the pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Environment of the container.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "schema::preserved_list")]
    pub env: Vec<EnvVar>,
    /// Environment from ConfigMaps and Secrets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "schema::preserved_list")]
    pub env_from: Vec<EnvFromSource>,
    /// Mounts of `spec.volumes`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "schema::preserved_list")]
    pub volume_mounts: Vec<VolumeMount>,
    /// Node selector of the pod.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations of the pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "schema::preserved_list")]
    pub tolerations: Vec<Toleration>,
    /// Affinity of the pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::preserved_object")]
    pub affinity: Option<Affinity>,
    /// The pod's service account (the driver's must be allowed to read and scale its app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// The container's security context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::preserved_object")]
    pub security_context: Option<SecurityContext>,
    /// A pod template the operator starts from (its first container is Spark's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::preserved_object")]
    pub template: Option<PodTemplateSpec>,
}

/// `spec.driver`.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DriverSpec {
    /// The pod fields shared with executors.
    #[serde(flatten)]
    pub pod: SparkPodSpec,
}

/// `spec.executor`.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorSpec {
    /// The pod fields shared with the driver.
    #[serde(flatten)]
    pub pod: SparkPodSpec,
    /// How many executors (`spark.executor.instances`); the `/scale` subresource sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0), extend("default" = 1))]
    pub instances: Option<i32>,
}

/// `spec.deps`: only present so that what Flint cannot honour is refused.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Dependencies {
    /// Not supported: Flint runs no JVM code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "size(self) == 0",
        "message": "deps.jars is not supported: Flint runs no JVM code"
    }]))]
    pub jars: Vec<String>,
    /// Not supported: Flint resolves no Maven packages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "size(self) == 0",
        "message": "deps.packages is not supported: Flint resolves no Maven packages"
    }]))]
    pub packages: Vec<String>,
}

/// `spec.restartPolicy`, as in v1beta2.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RestartPolicy {
    /// `Never` (the default), `OnFailure` or `Always`.
    #[serde(default, rename = "type")]
    pub type_: RestartPolicyType,
    /// Reruns after a failed driver (OnFailure), default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub on_failure_retries: Option<i32>,
    /// Seconds between a failure and the rerun, default 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub on_failure_retry_interval: Option<i64>,
    /// Resubmissions after the driver's objects could not be created (OnFailure), default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub on_submission_failure_retries: Option<i32>,
    /// Seconds between a submission failure and the next try, default 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub on_submission_failure_retry_interval: Option<i64>,
}

/// `spec.dynamicAllocation` (bounds are validated; scaling on them comes in part 2).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [
    {"rule": "!has(self.minExecutors) || !has(self.maxExecutors) || self.minExecutors <= self.maxExecutors",
     "message": "dynamicAllocation.minExecutors must not exceed maxExecutors"},
    {"rule": "!has(self.minExecutors) || !has(self.initialExecutors) || self.minExecutors <= self.initialExecutors",
     "message": "dynamicAllocation.initialExecutors must not be below minExecutors"},
    {"rule": "!has(self.initialExecutors) || !has(self.maxExecutors) || self.initialExecutors <= self.maxExecutors",
     "message": "dynamicAllocation.initialExecutors must not exceed maxExecutors"}
]))]
pub struct DynamicAllocation {
    /// Whether executors scale with the load.
    #[serde(default)]
    pub enabled: bool,
    /// Executors at the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub initial_executors: Option<i32>,
    /// The fewest executors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub min_executors: Option<i32>,
    /// The most executors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub max_executors: Option<i32>,
    /// Keep executors holding shuffle data (`spark.dynamicAllocation.shuffleTracking.enabled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shuffle_tracking_enabled: Option<bool>,
}

/// The application states, spelled as v1beta2 spells them.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AppState {
    /// Not yet submitted.
    #[default]
    New,
    /// The driver's objects exist; the driver pod is not running yet.
    Submitted,
    /// The driver pod runs.
    Running,
    /// The driver exited 0; executors are being removed.
    Succeeding,
    /// Done, successfully.
    Completed,
    /// The driver failed; deciding whether to run it again.
    Failing,
    /// Done, unsuccessfully.
    Failed,
    /// The driver's objects could not be created.
    SubmissionFailed,
    /// Waiting to run a new attempt.
    PendingRerun,
    /// The spec changed; the running attempt is being removed.
    Invalidating,
}

impl AppState {
    /// Whether nothing more will happen (short of a spec change).
    pub fn is_terminal(self) -> bool {
        matches!(self, AppState::Completed | AppState::Failed)
    }

    /// The upper-case name, as in `status.applicationState.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            AppState::New => "NEW",
            AppState::Submitted => "SUBMITTED",
            AppState::Running => "RUNNING",
            AppState::Succeeding => "SUCCEEDING",
            AppState::Completed => "COMPLETED",
            AppState::Failing => "FAILING",
            AppState::Failed => "FAILED",
            AppState::SubmissionFailed => "SUBMISSION_FAILED",
            AppState::PendingRerun => "PENDING_RERUN",
            AppState::Invalidating => "INVALIDATING",
        }
    }
}

impl std::fmt::Display for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `status.applicationState`.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationState {
    /// The state.
    #[serde(default)]
    pub state: AppState,
    /// Why the application failed (or is failing): exit code, reason and the end of the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// `status.driverInfo`.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DriverInfo {
    /// The current attempt's driver pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
    /// Its IP, which executors connect to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_ip: Option<String>,
    /// The headless driver Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_ui_service_name: Option<String>,
    /// The driver UI port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_ui_port: Option<i32>,
    /// The driver UI's address, `podIP:port` (the Flint UI, REST API and /metrics).
    #[serde(default, rename = "webUIAddress", skip_serializing_if = "Option::is_none")]
    pub web_ui_address: Option<String>,
}

/// One entry of `status.stateHistory`.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StateTransition {
    /// The state entered.
    pub state: AppState,
    /// When.
    #[schemars(schema_with = "schema::date_time")]
    pub time: Time,
    /// The attempt it belongs to.
    #[serde(default)]
    pub attempt: i32,
}

/// A `metav1.Condition`, with its schema kept small.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// CamelCase kind: `Submitted`, `Running`, `Succeeded`, `Failed`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// CamelCase reason.
    pub reason: String,
    /// What a human should know.
    #[serde(default)]
    pub message: String,
    /// When `status` last changed.
    #[schemars(schema_with = "schema::date_time")]
    pub last_transition_time: Time,
    /// The `metadata.generation` the condition was computed from.
    #[serde(default)]
    pub observed_generation: i64,
}

/// The SparkApplication status; only the operator writes it, through `/status`.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct SparkApplicationStatus {
    /// The state and the error message.
    #[serde(default)]
    pub application_state: ApplicationState,
    /// Spark's application id (`spark-app-selector`), one per attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark_application_id: Option<String>,
    /// Driver pod and service.
    #[serde(default)]
    pub driver_info: DriverInfo,
    /// State of each executor pod of the current attempt (PENDING, RUNNING, COMPLETED,
    /// FAILED, UNKNOWN), at most 100 entries.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub executor_state: BTreeMap<String, String>,
    /// Executor pods running now (the `/scale` status replicas).
    #[serde(default)]
    pub executors: i32,
    /// The highest executor id created in this attempt, so ids are never reused.
    #[serde(default)]
    pub last_executor_id: i32,
    /// Executor pods of this attempt that failed or vanished and were replaced.
    #[serde(default)]
    pub executor_failures: i32,
    /// Runs of the driver since the spec last changed.
    #[serde(default)]
    pub execution_attempts: i32,
    /// Tries to create the driver's objects since the spec last changed.
    #[serde(default)]
    pub submission_attempts: i32,
    /// The current attempt's number, increasing forever; part of the pod names.
    #[serde(default)]
    pub attempt: i32,
    /// Hash of the spec the current attempt runs (executor instances excluded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_hash: Option<String>,
    /// When the current attempt was submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::optional_date_time")]
    pub last_submission_attempt_time: Option<Time>,
    /// When the current attempt (or the application) ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::optional_date_time")]
    pub termination_time: Option<Time>,
    /// Conditions with `observedGeneration`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The last state transitions, oldest first (at most 20).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub state_history: Vec<StateTransition>,
    /// The `metadata.generation` this status was computed from.
    #[serde(default)]
    pub observed_generation: i64,
}

impl SparkApplication {
    /// The state, `NEW` without a status.
    pub fn state(&self) -> AppState {
        self.status.as_ref().map(|s| s.application_state.state).unwrap_or_default()
    }
}
