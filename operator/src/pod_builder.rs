//! Pure builders of the objects an application owns: the Secret its driver and executors
//! authenticate each other with, the ConfigMap with its resolved Spark configuration, the
//! headless driver Service, the driver Pod and executor Pods.
//! Names are deterministic (a function of the app, the attempt and the executor id), so
//! applying the same object twice is a no-op and an operator restarted at any point
//! never creates a duplicate.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource,
    LocalObjectReference, ObjectFieldSelector, Pod, PodSpec, Probe, ResourceRequirements, Secret, SecretKeySelector,
    Service, ServicePort, ServiceSpec, TCPSocketAction, Volume, VolumeMount,
};
use flint_proto::auth::{AppSecret, SECRET_ENV};
use flint_proto::conf::parse_duration;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::{Resource, ResourceExt};

use crate::crd::{ApplicationType, SparkApplication, SparkPodSpec};

/// Label: the application's name, on every object it owns.
pub const LABEL_APP: &str = "flint.dev/app";
/// Label: `driver` or `executor`.
pub const LABEL_ROLE: &str = "flint.dev/role";
/// Label: the attempt (a number that grows with every rerun).
pub const LABEL_ATTEMPT: &str = "flint.dev/attempt";
/// Label: the executor's id within its attempt.
pub const LABEL_EXECUTOR_ID: &str = "flint.dev/executor-id";
/// Spark's label with the application id (batch schedulers read it).
pub const LABEL_SPARK_APP_SELECTOR: &str = "spark-app-selector";
/// Spark's role label.
pub const LABEL_SPARK_ROLE: &str = "spark-role";
/// Spark's executor id label.
pub const LABEL_SPARK_EXEC_ID: &str = "spark-exec-id";
/// The port executors reach the driver's scheduler on (Spark's `spark.driver.port` default).
pub const DRIVER_PORT: i32 = 7078;
/// The driver UI port.
pub const UI_PORT: i32 = 4040;
/// The key of the executors' Prometheus `/metrics` port (declared with the driver's UI
/// keys): when set, executor pods serve it and declare it as their `metrics` port, which
/// a Prometheus pod monitor scrapes.
pub const EXECUTOR_METRICS_PORT_KEY: &str = "spark.flint.executor.metricsPort";
/// Where the resolved configuration is mounted in the driver.
pub const CONF_DIR: &str = "/opt/flint/conf";
/// The file name of the resolved configuration in the ConfigMap.
pub const CONF_FILE: &str = "spark.properties";
/// The executors' `spark.local.dir`, an emptyDir.
pub const LOCAL_DIR: &str = "/var/data/spark-local";
/// The driver's container name (as Spark names it).
pub const DRIVER_CONTAINER: &str = "spark-kubernetes-driver";
/// The executor's container name (as Spark names it).
pub const EXECUTOR_CONTAINER: &str = "spark-kubernetes-executor";

/// Operator-wide settings the builders need.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildSettings {
    /// The image when neither the app nor its pod spec names one.
    pub default_image: String,
    /// The driver's service account when `spec.driver.serviceAccount` is unset.
    pub driver_service_account: String,
}

impl Default for BuildSettings {
    fn default() -> Self {
        Self { default_image: "flint:latest".to_string(), driver_service_account: "flint-driver".to_string() }
    }
}

/// Where executors find the driver of their attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverRef {
    /// The driver pod's name.
    pub pod_name: String,
    /// Its uid, for the executors' owner reference (deleting the driver removes them).
    pub uid: String,
    /// Its IP (the harness has no Service DNS, so executors connect by IP).
    pub ip: String,
}

/// `{app}-{suffix}`, cut so the result is a valid DNS label of at most 63 characters.
pub fn object_name(app: &str, suffix: &str) -> String {
    let room = 63usize.saturating_sub(suffix.len() + 1);
    let mut prefix: String = app.replace('.', "-").chars().take(room).collect();
    while prefix.ends_with('-') {
        prefix.pop();
    }
    format!("{prefix}-{suffix}")
}

/// The driver pod of `attempt`.
pub fn driver_pod_name(app: &str, attempt: i32) -> String {
    object_name(app, &format!("{attempt}-driver"))
}

/// Executor `id` of `attempt`.
pub fn executor_pod_name(app: &str, attempt: i32, id: i32) -> String {
    object_name(app, &format!("{attempt}-exec-{id}"))
}

/// The headless driver Service (one per app; its selector follows the attempt).
pub fn service_name(app: &str) -> String {
    object_name(app, "driver-svc")
}

/// The Secret with the application's authentication secret (one per app, kept across
/// attempts). Its name carries the start of the app's UID: an app deleted and applied
/// again under the same name gets a Secret of its own instead of the earlier app's,
/// which the garbage collector is about to delete (the operator may not read Secrets).
pub fn auth_secret_name(app: &SparkApplication) -> String {
    let uid: String = app.uid().unwrap_or_default().chars().filter(|c| *c != '-').take(8).collect();
    object_name(&app.name_any(), &format!("auth-{uid}"))
}

/// The key of the secret in [`auth_secret`].
pub const AUTH_SECRET_KEY: &str = "secret";

/// The ConfigMap with the resolved configuration of `attempt`.
pub fn config_map_name(app: &str, attempt: i32) -> String {
    object_name(app, &format!("{attempt}-conf"))
}

/// Spark's application id for `attempt`: `spark-<uid without dashes>-<attempt>`.
pub fn spark_app_id(app: &SparkApplication, attempt: i32) -> String {
    let uid = app.uid().unwrap_or_default().replace('-', "");
    format!("spark-{uid}-{attempt}")
}

/// A memory size in MiB: Spark's `512m`/`2g`/`1024k`/bytes, or a Kubernetes `512Mi`/`2Gi`
/// (both binary). `None` if it does not parse (the CRD's rule refuses such values).
pub fn memory_mib(value: &str) -> Option<u64> {
    let value = value.trim().to_ascii_lowercase();
    let value = value.strip_suffix('b').unwrap_or(&value);
    let value = value.strip_suffix('i').unwrap_or(value);
    let split = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let n: u64 = number.parse().ok()?;
    let bytes = match unit {
        "" => n,
        "k" => n.checked_mul(1 << 10)?,
        "m" => n.checked_mul(1 << 20)?,
        "g" => n.checked_mul(1 << 30)?,
        "t" => n.checked_mul(1 << 40)?,
        "p" => n.checked_mul(1 << 50)?,
        _ => return None,
    };
    Some(bytes.div_ceil(1 << 20))
}

/// The memory a pod asks for: `memory` (default 1g) plus `memoryOverhead` (default the
/// larger of 10% and 384 MiB, as Spark), in MiB; and `memory` alone.
fn pod_memory(pod: &SparkPodSpec) -> (u64, u64) {
    let heap = pod.memory.as_deref().and_then(memory_mib).unwrap_or(1024);
    let overhead = pod.memory_overhead.as_deref().and_then(memory_mib).unwrap_or((heap / 10).max(384));
    (heap, heap + overhead)
}

fn cores(pod: &SparkPodSpec) -> i32 {
    pod.cores.unwrap_or(1).max(1)
}

/// The executor count the spec asks for (`spec.executor.instances`, default 1).
pub fn desired_executors(app: &SparkApplication) -> i32 {
    app.spec.executor.instances.unwrap_or(1).max(0)
}

/// The resolved Spark configuration: `sparkConf`, `hadoopConf` as `spark.hadoop.*`, and
/// what the typed fields say (which win over `sparkConf`).
pub fn spark_conf(app: &SparkApplication, attempt: i32) -> BTreeMap<String, String> {
    let spec = &app.spec;
    let mut conf = spec.spark_conf.clone();
    for (key, value) in &spec.hadoop_conf {
        conf.insert(format!("spark.hadoop.{key}"), value.clone());
    }
    let name = app.name_any();
    let (driver_heap, _) = pod_memory(&spec.driver.pod);
    let (executor_heap, _) = pod_memory(&spec.executor.pod);
    let typed = [
        ("spark.app.name", name.clone()),
        ("spark.app.id", spark_app_id(app, attempt)),
        ("spark.submit.deployMode", "cluster".to_string()),
        ("spark.kubernetes.namespace", app.namespace().unwrap_or_default()),
        ("spark.kubernetes.driver.pod.name", driver_pod_name(&name, attempt)),
        ("spark.driver.port", DRIVER_PORT.to_string()),
        ("spark.driver.cores", cores(&spec.driver.pod).to_string()),
        ("spark.driver.memory", format!("{driver_heap}m")),
        ("spark.executor.instances", desired_executors(app).to_string()),
        ("spark.executor.cores", cores(&spec.executor.pod).to_string()),
        ("spark.executor.memory", format!("{executor_heap}m")),
        ("spark.flint.app.type", app_type(spec.type_).to_string()),
        ("spark.flint.app.file", local_path(&spec.main_application_file).to_string()),
    ];
    for (key, value) in typed {
        conf.insert(key.to_string(), value);
    }
    conf
}

/// `Python` or `SQL`.
pub fn app_type(type_: ApplicationType) -> &'static str {
    match type_ {
        ApplicationType::Python => "Python",
        ApplicationType::Sql => "SQL",
    }
}

/// `local:///path` → `/path`.
pub fn local_path(file: &str) -> &str {
    file.strip_prefix("local://").unwrap_or(file)
}

/// Renders `conf` as a properties file, one `key=value` a line, sorted.
pub fn properties(conf: &BTreeMap<String, String>) -> String {
    conf.iter().map(|(k, v)| format!("{k}={}\n", v.replace('\n', " "))).collect()
}

fn labels(app: &SparkApplication, attempt: i32, role: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    labels.insert(LABEL_APP.to_string(), app.name_any());
    labels.insert(LABEL_ROLE.to_string(), role.to_string());
    labels.insert(LABEL_ATTEMPT.to_string(), attempt.to_string());
    labels.insert(LABEL_SPARK_APP_SELECTOR.to_string(), spark_app_id(app, attempt));
    labels.insert(LABEL_SPARK_ROLE.to_string(), role.to_string());
    labels
}

fn owner(app: &SparkApplication) -> Vec<OwnerReference> {
    app.controller_owner_ref(&()).into_iter().collect()
}

fn meta(app: &SparkApplication, name: String, labels: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: app.namespace(),
        labels: Some(labels),
        owner_references: Some(owner(app)),
        ..ObjectMeta::default()
    }
}

/// The app's Secret holding `secret`, which its driver and executors get as
/// `_SPARK_AUTH_SECRET`; owned by the app, so it goes with it.
pub fn auth_secret(app: &SparkApplication, secret: &AppSecret) -> Secret {
    let mut labels = BTreeMap::new();
    labels.insert(LABEL_APP.to_string(), app.name_any());
    Secret {
        metadata: meta(app, auth_secret_name(app), labels),
        type_: Some("Opaque".to_string()),
        string_data: Some(BTreeMap::from([(AUTH_SECRET_KEY.to_string(), secret.expose().to_string())])),
        immutable: Some(true),
        ..Secret::default()
    }
}

/// `_SPARK_AUTH_SECRET` from the app's Secret.
fn auth_env(app: &SparkApplication) -> EnvVar {
    EnvVar {
        name: SECRET_ENV.to_string(),
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: auth_secret_name(app),
                key: AUTH_SECRET_KEY.to_string(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

/// The ConfigMap with `spark.properties` for `attempt`.
pub fn config_map(app: &SparkApplication, attempt: i32) -> ConfigMap {
    let mut data = BTreeMap::new();
    data.insert(CONF_FILE.to_string(), properties(&spark_conf(app, attempt)));
    ConfigMap {
        metadata: meta(app, config_map_name(&app.name_any(), attempt), labels(app, attempt, "driver")),
        data: Some(data),
        ..ConfigMap::default()
    }
}

/// The headless Service in front of the driver of `attempt` (Spark's `<prefix>-driver-svc`).
pub fn driver_service(app: &SparkApplication, attempt: i32) -> Service {
    let name = app.name_any();
    let mut selector = BTreeMap::new();
    selector.insert(LABEL_APP.to_string(), name.clone());
    selector.insert(LABEL_ROLE.to_string(), "driver".to_string());
    selector.insert(LABEL_ATTEMPT.to_string(), attempt.to_string());
    let port = |name: &str, port: i32| ServicePort {
        name: Some(name.to_string()),
        port,
        protocol: Some("TCP".to_string()),
        ..ServicePort::default()
    };
    Service {
        metadata: meta(app, service_name(&name), labels(app, attempt, "driver")),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".to_string()),
            selector: Some(selector),
            ports: Some(vec![port("driver-rpc-port", DRIVER_PORT), port("spark-ui", UI_PORT)]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn field_env(name: &str, path: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector { field_path: path.to_string(), ..ObjectFieldSelector::default() }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

fn value_env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar { name: name.to_string(), value: Some(value.into()), ..EnvVar::default() }
}

fn resources(pod: &SparkPodSpec) -> ResourceRequirements {
    let (_, total) = pod_memory(pod);
    let memory = Quantity(format!("{total}Mi"));
    let mut requests = BTreeMap::new();
    requests.insert("cpu".to_string(), Quantity(cores(pod).to_string()));
    requests.insert("memory".to_string(), memory.clone());
    let mut limits = BTreeMap::new();
    limits.insert("memory".to_string(), memory);
    if let Some(limit) = &pod.core_limit {
        limits.insert("cpu".to_string(), Quantity(limit.clone()));
    }
    ResourceRequirements { requests: Some(requests), limits: Some(limits), ..ResourceRequirements::default() }
}

/// The pod shared by driver and executor: the template (if any) with the pod spec's
/// fields on top and `container` as the first container.
fn pod(
    app: &SparkApplication,
    name: String,
    pod_spec: &SparkPodSpec,
    mut labels: BTreeMap<String, String>,
    mut container: Container,
    extra_volumes: Vec<Volume>,
    settings: &BuildSettings,
) -> Pod {
    let spec = &app.spec;
    let template = pod_spec.template.clone().unwrap_or_default();
    let mut template_meta = template.metadata.unwrap_or_default();
    let mut pod_spec_k8s: PodSpec = template.spec.unwrap_or_default();
    // Ours win: a template or user label may not override flint.dev/* or spark-*.
    let mut all_labels = template_meta.labels.take().unwrap_or_default();
    all_labels.extend(pod_spec.labels.clone());
    all_labels.append(&mut labels);
    let mut annotations = template_meta.annotations.take().unwrap_or_default();
    annotations.extend(pod_spec.annotations.clone());
    let image = pod_spec.image.clone().or_else(|| spec.image.clone()).unwrap_or_else(|| settings.default_image.clone());
    container.image = Some(image);
    container.image_pull_policy = spec.image_pull_policy.clone();
    container.env.get_or_insert_with(Vec::new).extend(pod_spec.env.clone());
    if !pod_spec.env_from.is_empty() {
        container.env_from = Some(pod_spec.env_from.clone());
    }
    container.volume_mounts.get_or_insert_with(Vec::new).extend(pod_spec.volume_mounts.clone());
    container.resources = Some(resources(pod_spec));
    container.security_context = pod_spec.security_context.clone();
    let mut containers = pod_spec_k8s.containers;
    containers.retain(|c| c.name != container.name);
    containers.insert(0, container);
    pod_spec_k8s.containers = containers;
    pod_spec_k8s.restart_policy = Some("Never".to_string());
    let mut volumes = pod_spec_k8s.volumes.take().unwrap_or_default();
    volumes.extend(extra_volumes);
    volumes.extend(spec.volumes.clone());
    pod_spec_k8s.volumes = Some(volumes);
    if !pod_spec.node_selector.is_empty() {
        pod_spec_k8s.node_selector = Some(pod_spec.node_selector.clone());
    }
    if !pod_spec.tolerations.is_empty() {
        pod_spec_k8s.tolerations = Some(pod_spec.tolerations.clone());
    }
    if pod_spec.affinity.is_some() {
        pod_spec_k8s.affinity = pod_spec.affinity.clone();
    }
    if !spec.image_pull_secrets.is_empty() {
        pod_spec_k8s.image_pull_secrets = Some(
            spec.image_pull_secrets.iter().map(|name| LocalObjectReference { name: name.clone() }).collect(),
        );
    }
    // Leftover per-app Services in the environment make argument lists too long (kubeflow #1160).
    pod_spec_k8s.enable_service_links = Some(false);
    let mut metadata = meta(app, name, all_labels);
    if !annotations.is_empty() {
        metadata.annotations = Some(annotations);
    }
    Pod { metadata, spec: Some(pod_spec_k8s), ..Pod::default() }
}

/// The driver Pod of `attempt`: `flint driver` with the resolved conf mounted at
/// [`CONF_DIR`], binding its pod IP (`SPARK_DRIVER_BIND_ADDRESS`, as Spark's driver pod).
pub fn driver_pod(app: &SparkApplication, attempt: i32, settings: &BuildSettings) -> Pod {
    let name = app.name_any();
    let conf_volume = Volume {
        name: "spark-conf".to_string(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map_name(&name, attempt),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    };
    let mut args = vec![
        "driver".to_string(),
        "--properties".to_string(),
        format!("{CONF_DIR}/{CONF_FILE}"),
        "--port".to_string(),
        DRIVER_PORT.to_string(),
        // In the arguments, not only the conf, so a path under a mounted volume is seen by
        // the test kubelet (which maps mount paths in arguments) as by a real one.
        "--app-file".to_string(),
        local_path(&app.spec.main_application_file).to_string(),
    ];
    if !app.spec.arguments.is_empty() {
        args.push("--".to_string());
        args.extend(app.spec.arguments.iter().cloned());
    }
    let container = Container {
        name: DRIVER_CONTAINER.to_string(),
        args: Some(args),
        env: Some(vec![
            value_env("FLINT_APP_NAME", name.clone()),
            field_env("FLINT_APP_NAMESPACE", "metadata.namespace"),
            field_env("FLINT_POD_NAME", "metadata.name"),
            field_env("FLINT_POD_IP", "status.podIP"),
            field_env("SPARK_DRIVER_BIND_ADDRESS", "status.podIP"),
            value_env("FLINT_LOG", "info"),
            auth_env(app),
        ]),
        ports: Some(vec![
            ContainerPort { name: Some("driver-rpc-port".to_string()), container_port: DRIVER_PORT, ..ContainerPort::default() },
            ContainerPort { name: Some("spark-ui".to_string()), container_port: UI_PORT, ..ContainerPort::default() },
        ]),
        // Ready once the scheduler accepts executors: the operator starts them then.
        readiness_probe: Some(Probe {
            tcp_socket: Some(TCPSocketAction { port: IntOrString::Int(DRIVER_PORT), ..TCPSocketAction::default() }),
            period_seconds: Some(1),
            ..Probe::default()
        }),
        volume_mounts: Some(vec![VolumeMount {
            name: "spark-conf".to_string(),
            mount_path: CONF_DIR.to_string(),
            read_only: Some(true),
            ..VolumeMount::default()
        }]),
        ..Container::default()
    };
    let mut pod = pod(
        app,
        driver_pod_name(&name, attempt),
        &app.spec.driver.pod,
        labels(app, attempt, "driver"),
        container,
        vec![conf_volume],
        settings,
    );
    if let Some(spec) = pod.spec.as_mut() {
        spec.service_account_name = Some(
            app.spec.driver.pod.service_account.clone().unwrap_or_else(|| settings.driver_service_account.clone()),
        );
    }
    pod
}

/// Executor `id` of `attempt`, connecting to `driver` and advertising its own pod IP.
/// Owned by the app (controller) and by the driver pod, so it goes with either.
pub fn executor_pod(app: &SparkApplication, attempt: i32, id: i32, driver: &DriverRef, settings: &BuildSettings) -> Pod {
    let name = app.name_any();
    let executor = &app.spec.executor.pod;
    let (heap, _) = pod_memory(executor);
    let heartbeat = app
        .spec
        .spark_conf
        .get("spark.executor.heartbeatInterval")
        .and_then(|v| parse_duration(v))
        .map(|d| d.as_millis())
        .unwrap_or(10_000);
    // Passed on as given: the executor refuses a value that is not a port, naming it.
    let metrics_port = app.spec.spark_conf.get(EXECUTOR_METRICS_PORT_KEY).map(|port| port.trim().to_string());
    let mut labels = labels(app, attempt, "executor");
    labels.insert(LABEL_EXECUTOR_ID.to_string(), id.to_string());
    labels.insert(LABEL_SPARK_EXEC_ID.to_string(), id.to_string());
    let container = Container {
        name: EXECUTOR_CONTAINER.to_string(),
        args: Some(vec![
            "executor".to_string(),
            "--driver-url".to_string(),
            format!("http://{}:{DRIVER_PORT}", driver.ip),
            "--executor-id".to_string(),
            id.to_string(),
            "--cores".to_string(),
            cores(executor).to_string(),
            "--memory".to_string(),
            format!("{heap}m"),
            "--work-dir".to_string(),
            LOCAL_DIR.to_string(),
            "--heartbeat-interval-ms".to_string(),
            heartbeat.to_string(),
            "--host".to_string(),
            "0.0.0.0".to_string(),
            "--advertise-host".to_string(),
            "$(SPARK_EXECUTOR_POD_IP)".to_string(),
        ]
        .into_iter()
        .chain(metrics_port.iter().flat_map(|port| ["--metrics-port".to_string(), port.clone()]))
        .collect()),
        ports: metrics_port
            .and_then(|port| port.parse::<i32>().ok())
            .filter(|port| *port > 0)
            .map(|port| vec![ContainerPort { name: Some("metrics".to_string()), container_port: port, ..ContainerPort::default() }]),
        env: Some(vec![
            value_env("FLINT_APP_NAME", name.clone()),
            field_env("SPARK_EXECUTOR_POD_IP", "status.podIP"),
            value_env("SPARK_EXECUTOR_ID", id.to_string()),
            value_env("SPARK_DRIVER_URL", format!("http://{}:{DRIVER_PORT}", driver.ip)),
            field_env("FLINT_POD_NAME", "metadata.name"),
            auth_env(app),
        ]),
        volume_mounts: Some(vec![VolumeMount {
            name: "spark-local-dir".to_string(),
            mount_path: LOCAL_DIR.to_string(),
            ..VolumeMount::default()
        }]),
        ..Container::default()
    };
    let local_dir = Volume {
        name: "spark-local-dir".to_string(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Volume::default()
    };
    let mut pod = pod(app, executor_pod_name(&name, attempt, id), executor, labels, container, vec![local_dir], settings);
    pod.metadata.owner_references.get_or_insert_with(Vec::new).push(OwnerReference {
        api_version: "v1".to_string(),
        kind: "Pod".to_string(),
        name: driver.pod_name.clone(),
        uid: driver.uid.clone(),
        ..OwnerReference::default()
    });
    if let Some(spec) = pod.spec.as_mut() {
        // Executors never talk to the API server.
        spec.automount_service_account_token = Some(false);
        if let Some(account) = &executor.service_account {
            spec.service_account_name = Some(account.clone());
        }
    }
    pod
}


/// Whether `app` (this very object, by UID) is the controller of `object`. An object of
/// the same name controlled by another UID belongs to an earlier SparkApplication of
/// that name that the garbage collector has not removed yet.
pub fn is_controlled_by<K: Resource>(object: &K, app: &SparkApplication) -> bool {
    let uid = app.meta().uid.as_deref();
    object.owner_references().iter().any(|o| Some(o.uid.as_str()) == uid && o.controller == Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::SparkApplicationSpec;

    fn app(yaml_spec: serde_json::Value) -> SparkApplication {
        let spec: SparkApplicationSpec = serde_json::from_value(yaml_spec).unwrap();
        let mut app = SparkApplication::new("pi", spec);
        app.metadata.namespace = Some("jobs".to_string());
        app.metadata.uid = Some("0123-4567".to_string());
        app
    }

    fn basic() -> SparkApplication {
        app(serde_json::json!({
            "type": "SQL",
            "mainApplicationFile": "local:///opt/flint/examples/pi.sql",
            "sparkConf": {"spark.sql.shuffle.partitions": "4"},
            "hadoopConf": {"fs.s3a.endpoint": "http://minio:9000"},
            "driver": {"cores": 1, "memory": "512m", "labels": {"team": "a", "flint.dev/role": "hijack"}},
            "executor": {"cores": 2, "memory": "2g", "instances": 3}
        }))
    }

    #[test]
    fn names_are_deterministic_and_short() {
        assert_eq!(driver_pod_name("pi", 2), "pi-2-driver");
        assert_eq!(executor_pod_name("pi", 2, 7), "pi-2-exec-7");
        assert_eq!(service_name("pi"), "pi-driver-svc");
        let long = "a".repeat(100);
        let name = executor_pod_name(&long, 1, 12);
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("-1-exec-12"));
        assert_eq!(object_name("my.app-", "x"), "my-app-x");
    }

    #[test]
    fn memory_sizes_parse_as_spark_and_kubernetes_write_them() {
        assert_eq!(memory_mib("512m"), Some(512));
        assert_eq!(memory_mib("2g"), Some(2048));
        assert_eq!(memory_mib("2Gi"), Some(2048));
        assert_eq!(memory_mib("1024k"), Some(1));
        assert_eq!(memory_mib("1048576"), Some(1));
        assert_eq!(memory_mib("lots"), None);
    }

    #[test]
    fn conf_resolves_typed_fields_over_spark_conf() {
        let conf = spark_conf(&basic(), 1);
        assert_eq!(conf["spark.sql.shuffle.partitions"], "4");
        assert_eq!(conf["spark.hadoop.fs.s3a.endpoint"], "http://minio:9000");
        assert_eq!(conf["spark.executor.instances"], "3");
        assert_eq!(conf["spark.executor.memory"], "2048m");
        assert_eq!(conf["spark.app.id"], "spark-01234567-1");
        assert_eq!(conf["spark.flint.app.file"], "/opt/flint/examples/pi.sql");
        assert_eq!(conf["spark.kubernetes.driver.pod.name"], "pi-1-driver");
        let text = properties(&conf);
        assert!(text.contains("spark.app.name=pi\n"), "{text}");
    }

    #[test]
    fn an_application_file_in_a_bucket_reaches_the_driver_as_its_url() {
        let mut app = basic();
        app.spec.main_application_file = "s3a://jobs/apps/pi.sql".to_string();
        assert_eq!(spark_conf(&app, 1)["spark.flint.app.file"], "s3a://jobs/apps/pi.sql");
        let args = driver_pod(&app, 1, &BuildSettings::default()).spec.and_then(|s| s.containers.into_iter().next()).and_then(|c| c.args);
        assert!(args.unwrap_or_default().windows(2).any(|w| w[0] == "--app-file" && w[1] == "s3a://jobs/apps/pi.sql"));
    }

    #[test]
    fn driver_pod_mounts_conf_binds_pod_ip_and_keeps_our_labels() {
        let pod = driver_pod(&basic(), 1, &BuildSettings::default());
        let labels = pod.metadata.labels.clone().unwrap();
        assert_eq!(labels["flint.dev/role"], "driver", "a user label must not override ours");
        assert_eq!(labels["team"], "a");
        assert_eq!(labels["spark-app-selector"], "spark-01234567-1");
        assert_eq!(pod.metadata.owner_references.as_ref().unwrap()[0].controller, Some(true));
        let spec = pod.spec.unwrap();
        assert_eq!(spec.service_account_name.as_deref(), Some("flint-driver"));
        assert_eq!(spec.restart_policy.as_deref(), Some("Never"));
        let c = &spec.containers[0];
        assert_eq!(c.image.as_deref(), Some("flint:latest"));
        assert_eq!(c.args.as_ref().unwrap()[..3], ["driver", "--properties", "/opt/flint/conf/spark.properties"]);
        let env = c.env.as_ref().unwrap();
        assert!(env.iter().any(|e| e.name == "SPARK_DRIVER_BIND_ADDRESS"
            && e.value_from.as_ref().unwrap().field_ref.as_ref().unwrap().field_path == "status.podIP"));
        let requests = c.resources.as_ref().unwrap().requests.as_ref().unwrap();
        assert_eq!(requests["memory"].0, "896Mi", "512m + the 384Mi minimum overhead");
        assert_eq!(requests["cpu"].0, "1");
        let volumes = spec.volumes.unwrap();
        assert_eq!(volumes[0].config_map.as_ref().unwrap().name, "pi-1-conf");
    }

    #[test]
    fn executor_pod_is_labelled_owned_and_points_at_the_driver() {
        let driver = DriverRef { pod_name: "pi-1-driver".into(), uid: "d-uid".into(), ip: "127.9.0.5".into() };
        let pod = executor_pod(&basic(), 1, 4, &driver, &BuildSettings::default());
        assert_eq!(pod.metadata.name.as_deref(), Some("pi-1-exec-4"));
        let labels = pod.metadata.labels.clone().unwrap();
        for (key, value) in [
            ("flint.dev/app", "pi"),
            ("flint.dev/role", "executor"),
            ("flint.dev/executor-id", "4"),
            ("spark-role", "executor"),
            ("spark-exec-id", "4"),
            ("spark-app-selector", "spark-01234567-1"),
        ] {
            assert_eq!(labels[key], value, "{key}");
        }
        let owners = pod.metadata.owner_references.clone().unwrap();
        assert_eq!(owners.len(), 2);
        assert_eq!(owners[1].uid, "d-uid");
        let spec = pod.spec.unwrap();
        assert_eq!(spec.automount_service_account_token, Some(false));
        let args = spec.containers[0].args.clone().unwrap();
        let at = |flag: &str| args[args.iter().position(|a| a == flag).unwrap() + 1].clone();
        assert_eq!(at("--driver-url"), "http://127.9.0.5:7078");
        assert_eq!(at("--cores"), "2");
        assert_eq!(at("--memory"), "2048m");
        assert_eq!(at("--advertise-host"), "$(SPARK_EXECUTOR_POD_IP)");
        assert!(!args.contains(&"--metrics-port".to_string()), "no metrics unless asked for: {args:?}");
        assert_eq!(spec.containers[0].ports, None);
    }

    /// `spark.flint.executor.metricsPort` moves the executors' `metrics` port; 0 (any
    /// free port) serves metrics but declares no port a monitor could name.
    #[test]
    fn executor_metrics_port_follows_the_spark_conf() {
        let driver = DriverRef { pod_name: "pi-1-driver".into(), uid: "d-uid".into(), ip: "127.9.0.5".into() };
        for (value, declared) in [("9100", Some(9100)), ("0", None)] {
            let mut app = basic();
            app.spec.spark_conf.insert(EXECUTOR_METRICS_PORT_KEY.to_string(), value.to_string());
            let container = executor_pod(&app, 1, 1, &driver, &BuildSettings::default()).spec.unwrap().containers[0].clone();
            let args = container.args.unwrap();
            assert_eq!(args[args.iter().position(|a| a == "--metrics-port").unwrap() + 1], value);
            let ports = container.ports.unwrap_or_default();
            assert_eq!(ports.iter().find(|p| p.name.as_deref() == Some("metrics")).map(|p| p.container_port), declared);
        }
    }

    /// The secret's own value reaches pods only through the Secret (named after the
    /// app and its UID), never in a pod spec.
    #[test]
    fn driver_and_executors_get_the_app_secret_from_its_secret() {
        let secret = AppSecret::new("s3cr3t-value").unwrap();
        let object = auth_secret(&basic(), &secret);
        assert_eq!(object.metadata.name.as_deref(), Some("pi-auth-01234567"));
        assert_eq!(object.metadata.owner_references.unwrap()[0].kind, "SparkApplication");
        assert_eq!(object.string_data.unwrap()[AUTH_SECRET_KEY], "s3cr3t-value");
        let driver = DriverRef { pod_name: "pi-1-driver".into(), uid: "d-uid".into(), ip: "127.9.0.5".into() };
        for pod in [driver_pod(&basic(), 1, &BuildSettings::default()), executor_pod(&basic(), 1, 4, &driver, &BuildSettings::default())] {
            let env = pod.spec.as_ref().unwrap().containers[0].env.clone().unwrap();
            let auth = env.iter().find(|e| e.name == SECRET_ENV).unwrap();
            let from = auth.value_from.as_ref().unwrap().secret_key_ref.as_ref().unwrap();
            assert_eq!((from.name.as_str(), from.key.as_str()), ("pi-auth-01234567", AUTH_SECRET_KEY));
            assert!(!serde_json::to_string(&pod).unwrap().contains("s3cr3t-value"));
        }
    }

    #[test]
    fn service_is_headless_and_selects_the_attempt() {
        let svc = driver_service(&basic(), 3);
        let spec = svc.spec.unwrap();
        assert_eq!(spec.cluster_ip.as_deref(), Some("None"));
        assert_eq!(spec.selector.unwrap()["flint.dev/attempt"], "3");
    }
}
