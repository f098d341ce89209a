//! The REST API under `/api/v1/applications`, with the paths and field names of Spark's
//! monitoring REST API (applications, jobs, stages, taskList, taskSummary, executors,
//! allexecutors, sql, environment), built from an [`AppStatusStore`].

use super::store::{AppStatusStore, Execution, Executor, Job, Stage, Status, Task};
use crate::listener::events::Millis;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The applications an API serves: the live driver's one, or the history server's.
#[async_trait::async_trait]
pub trait Applications: Send + Sync + 'static {
    /// Every application, newest first.
    async fn list(&self) -> Vec<super::store::SharedStore>;
    /// The application with this id.
    async fn get(&self, id: &str) -> Option<super::store::SharedStore>;
}

/// The routes of `/api/v1`.
pub fn routes() -> axum::Router<Arc<dyn Applications>> {
    axum::Router::new()
        .route("/api/v1/applications", get(applications))
        .route("/api/v1/applications/{app}", get(application))
        .route("/api/v1/applications/{app}/jobs", get(jobs))
        .route("/api/v1/applications/{app}/jobs/{job}", get(job))
        .route("/api/v1/applications/{app}/stages", get(stages))
        .route("/api/v1/applications/{app}/stages/{stage}", get(stage))
        .route("/api/v1/applications/{app}/stages/{stage}/{attempt}", get(stage_attempt))
        .route("/api/v1/applications/{app}/stages/{stage}/{attempt}/taskList", get(task_list))
        .route("/api/v1/applications/{app}/stages/{stage}/{attempt}/taskSummary", get(task_summary))
        .route("/api/v1/applications/{app}/executors", get(executors))
        .route("/api/v1/applications/{app}/allexecutors", get(all_executors))
        .route("/api/v1/applications/{app}/sql", get(sql))
        .route("/api/v1/applications/{app}/sql/{execution}", get(sql_execution))
        .route("/api/v1/applications/{app}/environment", get(environment))
}

/// Spark's form of a time: `2015-02-03T16:42:59.720GMT`.
pub fn spark_time(millis: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fGMT").to_string())
        .unwrap_or_default()
}

/// An API answer: JSON, or an [`ApiError`].
type ApiResult = Result<Json<Value>, ApiError>;

/// A request the API cannot answer: its status and what went wrong.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

fn not_found(what: String) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, format!("{what} not found"))
}

fn json(value: impl Serialize) -> ApiResult {
    serde_json::to_value(value).map(Json).map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

async fn with_app<T: Serialize>(apps: &Arc<dyn Applications>, id: &str, view: impl FnOnce(&AppStatusStore) -> Option<T>) -> ApiResult {
    let store = apps.get(id).await.ok_or_else(|| not_found(format!("application {id}")))?;
    let store = store.read();
    json(view(&store).ok_or_else(|| not_found(format!("that object of application {id}")))?)
}

/// Spark's `ApplicationInfo`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationInfo {
    id: String,
    name: String,
    attempts: Vec<ApplicationAttempt>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ApplicationAttempt {
    start_time: String,
    end_time: String,
    last_updated: String,
    duration: i64,
    spark_user: String,
    completed: bool,
    app_spark_version: String,
    start_time_epoch: i64,
    end_time_epoch: i64,
    last_updated_epoch: i64,
}

/// The application's summary, as `/applications` lists it.
pub fn application_info(store: &AppStatusStore) -> ApplicationInfo {
    let app = &store.app;
    let end = app.end.unwrap_or(-1);
    ApplicationInfo {
        id: app.id.clone(),
        name: app.name.clone(),
        attempts: vec![ApplicationAttempt {
            start_time: spark_time(app.start),
            end_time: spark_time(end.max(0)),
            last_updated: spark_time(app.last_updated),
            duration: app.end.map(|end| end - app.start).unwrap_or(0),
            spark_user: app.user.clone(),
            completed: app.end.is_some(),
            app_spark_version: env!("CARGO_PKG_VERSION").to_string(),
            start_time_epoch: app.start,
            end_time_epoch: end,
            last_updated_epoch: app.last_updated,
        }],
    }
}

async fn applications(State(apps): State<Arc<dyn Applications>>) -> ApiResult {
    json(apps.list().await.iter().map(|store| application_info(&store.read())).collect::<Vec<_>>())
}

async fn application(State(apps): State<Arc<dyn Applications>>, Path(app): Path<String>) -> ApiResult {
    with_app(&apps, &app, |store| Some(application_info(store))).await
}

/// Spark's `JobData`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct JobData {
    job_id: u64,
    name: String,
    description: String,
    submission_time: String,
    completion_time: Option<String>,
    stage_ids: Vec<usize>,
    job_group: Option<String>,
    status: &'static str,
    error_message: Option<String>,
    sql_execution_id: Option<u64>,
    num_tasks: usize,
    num_active_tasks: usize,
    num_completed_tasks: usize,
    num_skipped_tasks: usize,
    num_failed_tasks: usize,
    num_killed_tasks: usize,
    num_active_stages: usize,
    num_completed_stages: usize,
    num_skipped_stages: usize,
    num_failed_stages: usize,
}

fn job_data(store: &AppStatusStore, job: &Job) -> JobData {
    let attempts: Vec<&Stage> = job.stages.iter().flat_map(|id| store.stage_attempts(*id)).collect();
    let latest: Vec<&Stage> = job.stages.iter().filter_map(|id| store.stage_attempts(*id).last()).collect();
    let count = |status: Status| latest.iter().filter(|s| s.status == status).count();
    let skipped_tasks = latest.iter().filter(|s| s.status == Status::Skipped).map(|s| s.num_tasks).sum();
    JobData {
        job_id: job.id,
        name: job.description.clone(),
        description: job.description.clone(),
        submission_time: spark_time(job.submitted),
        completion_time: job.completed.map(spark_time),
        stage_ids: job.stages.clone(),
        job_group: job.group.clone(),
        status: match job.status {
            Status::Running | Status::Pending => "RUNNING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed | Status::Killed => "FAILED",
            Status::Skipped => "UNKNOWN",
        },
        error_message: job.error.clone(),
        sql_execution_id: job.execution,
        num_tasks: attempts.iter().map(|s| s.num_tasks).sum(),
        num_active_tasks: attempts.iter().map(|s| s.active).sum(),
        num_completed_tasks: attempts.iter().map(|s| s.succeeded_partitions.len()).sum(),
        num_skipped_tasks: skipped_tasks,
        num_failed_tasks: attempts.iter().map(|s| s.failed).sum(),
        num_killed_tasks: attempts.iter().map(|s| s.killed).sum(),
        num_active_stages: count(Status::Running),
        num_completed_stages: count(Status::Succeeded),
        num_skipped_stages: count(Status::Skipped),
        num_failed_stages: count(Status::Failed),
    }
}

async fn jobs(State(apps): State<Arc<dyn Applications>>, Path(app): Path<String>) -> ApiResult {
    with_app(&apps, &app, |store| Some(store.jobs.values().rev().map(|job| job_data(store, job)).collect::<Vec<_>>())).await
}

async fn job(State(apps): State<Arc<dyn Applications>>, Path((app, job)): Path<(String, u64)>) -> ApiResult {
    with_app(&apps, &app, |store| store.jobs.get(&job).map(|j| job_data(store, j))).await
}

/// Spark's `StageData` (the fields Flint measures).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StageData {
    status: &'static str,
    stage_id: usize,
    attempt_id: u32,
    job_id: u64,
    num_tasks: usize,
    num_active_tasks: usize,
    num_complete_tasks: usize,
    num_failed_tasks: usize,
    num_killed_tasks: usize,
    executor_run_time: u64,
    submission_time: Option<String>,
    completion_time: Option<String>,
    failure_reason: Option<String>,
    output_bytes: u64,
    output_records: u64,
    shuffle_read_bytes: u64,
    shuffle_read_records: u64,
    shuffle_local_bytes_read: u64,
    shuffle_remote_bytes_read: u64,
    shuffle_write_bytes: u64,
    shuffle_write_records: u64,
    memory_bytes_spilled: u64,
    disk_bytes_spilled: u64,
    name: String,
    details: String,
    parent_ids: Vec<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tasks: Option<HashMap<String, TaskData>>,
}

fn stage_status(status: Status) -> &'static str {
    match status {
        Status::Pending => "PENDING",
        Status::Running => "ACTIVE",
        Status::Succeeded => "COMPLETE",
        Status::Failed | Status::Killed => "FAILED",
        Status::Skipped => "SKIPPED",
    }
}

fn stage_data(store: &AppStatusStore, stage: &Stage, with_tasks: bool) -> StageData {
    let (shuffle, output) = if stage.is_map { (stage.totals, Default::default()) } else { (Default::default(), stage.totals) };
    let tasks = with_tasks.then(|| {
        store
            .tasks
            .get(&(stage.id, stage.attempt))
            .map(|tasks| tasks.values().map(|t| (t.id.to_string(), task_data(t))).collect())
            .unwrap_or_default()
    });
    StageData {
        status: stage_status(stage.status),
        stage_id: stage.id,
        attempt_id: stage.attempt,
        job_id: stage.job,
        num_tasks: stage.num_tasks,
        num_active_tasks: stage.active,
        num_complete_tasks: stage.succeeded_partitions.len(),
        num_failed_tasks: stage.failed,
        num_killed_tasks: stage.killed,
        executor_run_time: stage.totals.run_time_ms,
        submission_time: stage.submitted.map(spark_time),
        completion_time: stage.completed.map(spark_time),
        failure_reason: stage.failure_reason.clone(),
        output_bytes: output.bytes,
        output_records: output.records,
        shuffle_read_bytes: stage.totals.shuffle_read_bytes(),
        shuffle_read_records: stage.totals.shuffle_read_records,
        shuffle_local_bytes_read: stage.totals.shuffle_local_bytes_read,
        shuffle_remote_bytes_read: stage.totals.shuffle_remote_bytes_read,
        shuffle_write_bytes: shuffle.bytes,
        shuffle_write_records: shuffle.records,
        memory_bytes_spilled: stage.totals.spill_bytes,
        disk_bytes_spilled: stage.totals.spill_bytes,
        name: stage.name.clone(),
        details: stage.details.clone(),
        parent_ids: stage.parents.clone(),
        tasks,
    }
}

/// `?status=` filters, as Spark's `/stages?status=active` takes.
#[derive(Debug, serde::Deserialize)]
struct StatusFilter {
    status: Option<String>,
}

async fn stages(State(apps): State<Arc<dyn Applications>>, Path(app): Path<String>, Query(filter): Query<StatusFilter>) -> ApiResult {
    let wanted = filter.status.map(|s| s.to_ascii_uppercase());
    with_app(&apps, &app, |store| {
        Some(
            store
                .stages
                .values()
                .rev()
                .map(|stage| stage_data(store, stage, false))
                .filter(|stage| wanted.as_deref().is_none_or(|w| w == stage.status))
                .collect::<Vec<_>>(),
        )
    }).await
}

async fn stage(State(apps): State<Arc<dyn Applications>>, Path((app, stage)): Path<(String, usize)>) -> ApiResult {
    with_app(&apps, &app, |store| {
        let attempts: Vec<StageData> = store.stage_attempts(stage).map(|s| stage_data(store, s, true)).collect();
        (!attempts.is_empty()).then_some(attempts)
    }).await
}

async fn stage_attempt(
    State(apps): State<Arc<dyn Applications>>,
    Path((app, stage, attempt)): Path<(String, usize, u32)>,
) -> ApiResult {
    with_app(&apps, &app, |store| store.stages.get(&(stage, attempt)).map(|s| stage_data(store, s, true))).await
}

/// Spark's `TaskData`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TaskData {
    task_id: u64,
    index: usize,
    attempt: u32,
    partition_id: usize,
    launch_time: String,
    duration: Option<i64>,
    executor_id: String,
    host: String,
    status: &'static str,
    task_locality: &'static str,
    speculative: bool,
    error_message: Option<String>,
    task_metrics: TaskMetricsData,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TaskMetricsData {
    executor_run_time: u64,
    result_size: u64,
    memory_bytes_spilled: u64,
    disk_bytes_spilled: u64,
    shuffle_read_metrics: ShuffleReadMetrics,
    shuffle_write_metrics: ShuffleWriteMetrics,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ShuffleReadMetrics {
    remote_bytes_read: u64,
    local_bytes_read: u64,
    records_read: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ShuffleWriteMetrics {
    bytes_written: u64,
    records_written: u64,
}

fn task_data(task: &Task) -> TaskData {
    TaskData {
        task_id: task.id,
        index: task.attempt.index,
        attempt: task.attempt.attempt,
        partition_id: task.attempt.index,
        launch_time: spark_time(task.launched),
        duration: task.finished.map(|end| end - task.launched),
        executor_id: task.executor.clone(),
        host: task.host.clone(),
        status: match task.status {
            Status::Succeeded => "SUCCESS",
            Status::Failed => "FAILED",
            Status::Killed => "KILLED",
            _ => "RUNNING",
        },
        task_locality: "ANY",
        speculative: false,
        error_message: task.error.clone(),
        task_metrics: TaskMetricsData {
            executor_run_time: task.metrics.run_time_ms,
            result_size: task.metrics.bytes,
            memory_bytes_spilled: task.metrics.spill_bytes,
            disk_bytes_spilled: task.metrics.spill_bytes,
            shuffle_read_metrics: ShuffleReadMetrics {
                remote_bytes_read: task.metrics.shuffle_remote_bytes_read,
                local_bytes_read: task.metrics.shuffle_local_bytes_read,
                records_read: task.metrics.shuffle_read_records,
            },
            shuffle_write_metrics: ShuffleWriteMetrics { bytes_written: task.metrics.bytes, records_written: task.metrics.records },
        },
    }
}

async fn task_list(
    State(apps): State<Arc<dyn Applications>>,
    Path((app, stage, attempt)): Path<(String, usize, u32)>,
) -> ApiResult {
    with_app(&apps, &app, |store| {
        store.stages.get(&(stage, attempt))?;
        let mut tasks: Vec<&Task> = store.tasks.get(&(stage, attempt)).map(|t| t.values().collect()).unwrap_or_default();
        tasks.sort_by_key(|t| t.id);
        Some(tasks.into_iter().map(task_data).collect::<Vec<_>>())
    }).await
}

/// `?quantiles=0.05,0.5`.
#[derive(Debug, serde::Deserialize)]
struct Quantiles {
    quantiles: Option<String>,
}

/// The `q`-quantiles of `values` (sorted), as Spark's task summary picks them.
fn quantiles(values: &mut [u64], q: &[f64]) -> Vec<f64> {
    values.sort_unstable();
    q.iter()
        .map(|q| match values.len() {
            0 => 0.0,
            n => values[((q * n as f64).floor() as usize).min(n - 1)] as f64,
        })
        .collect()
}

async fn task_summary(
    State(apps): State<Arc<dyn Applications>>,
    Path((app, stage, attempt)): Path<(String, usize, u32)>,
    Query(query): Query<Quantiles>,
) -> ApiResult {
    let wanted: Vec<f64> = query
        .quantiles
        .as_deref()
        .unwrap_or("0.05,0.25,0.5,0.75,0.95")
        .split(',')
        .filter_map(|q| q.trim().parse().ok())
        .collect();
    with_app(&apps, &app, |store| {
        let stage = store.stages.get(&(stage, attempt))?;
        let mut run_times = stage.run_times.clone();
        Some(serde_json::json!({
            "quantiles": wanted,
            "executorRunTime": quantiles(&mut run_times, &wanted),
        }))
    }).await
}

/// Spark's `ExecutorSummary`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExecutorSummary {
    id: String,
    host_port: String,
    is_active: bool,
    total_cores: usize,
    max_tasks: usize,
    active_tasks: usize,
    failed_tasks: usize,
    completed_tasks: usize,
    total_tasks: usize,
    total_duration: u64,
    total_shuffle_read: u64,
    total_shuffle_write: u64,
    memory_bytes_spilled: u64,
    add_time: String,
    remove_time: Option<String>,
    remove_reason: Option<String>,
}

fn executor_summary(executor: &Executor) -> ExecutorSummary {
    ExecutorSummary {
        id: executor.id.clone(),
        host_port: executor.host_port.clone(),
        is_active: executor.removed.is_none(),
        total_cores: executor.cores,
        max_tasks: executor.cores,
        active_tasks: executor.active_tasks,
        failed_tasks: executor.failed_tasks,
        completed_tasks: executor.completed_tasks,
        total_tasks: executor.active_tasks + executor.failed_tasks + executor.completed_tasks,
        total_duration: executor.total_duration_ms,
        total_shuffle_read: executor.shuffle_read_bytes,
        total_shuffle_write: executor.shuffle_write_bytes,
        memory_bytes_spilled: executor.spill_bytes,
        add_time: spark_time(executor.added),
        remove_time: executor.removed.map(spark_time),
        remove_reason: executor.remove_reason.clone(),
    }
}

async fn executors(State(apps): State<Arc<dyn Applications>>, Path(app): Path<String>) -> ApiResult {
    with_app(&apps, &app, |store| {
        Some(store.executors.values().filter(|e| e.removed.is_none()).map(executor_summary).collect::<Vec<_>>())
    }).await
}

async fn all_executors(State(apps): State<Arc<dyn Applications>>, Path(app): Path<String>) -> ApiResult {
    with_app(&apps, &app, |store| Some(store.executors.values().map(executor_summary).collect::<Vec<_>>())).await
}

/// Spark's `ExecutionData` of `/sql`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionData {
    id: u64,
    status: &'static str,
    description: String,
    plan_description: String,
    submission_time: String,
    duration: i64,
    error_message: Option<String>,
    running_job_ids: Vec<u64>,
    success_job_ids: Vec<u64>,
    failed_job_ids: Vec<u64>,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Node {
    node_id: usize,
    node_name: String,
    description: String,
    metrics: Vec<Metric>,
}

#[derive(Debug, Serialize)]
struct Metric {
    name: String,
    value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Edge {
    from_id: usize,
    to_id: usize,
}

fn execution_data(store: &AppStatusStore, execution: &Execution) -> ExecutionData {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    // Pre-order ids; an edge runs from a child (input) to its parent, as Spark's do.
    fn walk(node: &crate::listener::events::PlanNode, nodes: &mut Vec<(usize, String, String)>, edges: &mut Vec<Edge>) -> usize {
        let id = nodes.len();
        nodes.push((id, node.node_name.clone(), node.simple_string.clone()));
        for child in &node.children {
            let child_id = walk(child, nodes, edges);
            edges.push(Edge { from_id: child_id, to_id: id });
        }
        id
    }
    walk(&execution.plan, &mut nodes, &mut edges);
    let nodes = nodes
        .into_iter()
        .map(|(id, name, description)| Node {
            node_id: id,
            node_name: name,
            description,
            metrics: execution
                .node_metrics
                .get(id)
                .map(|m| m.iter().map(|(name, value)| Metric { name: spark_metric_name(name), value: value.to_string() }).collect())
                .unwrap_or_default(),
        })
        .collect();
    let jobs_with = |status: Status| -> Vec<u64> {
        execution.jobs.iter().copied().filter(|j| store.jobs.get(j).is_some_and(|job| job.status == status)).collect()
    };
    ExecutionData {
        id: execution.id,
        status: match execution.status {
            Status::Succeeded => "COMPLETED",
            Status::Failed => "FAILED",
            _ => "RUNNING",
        },
        description: execution.description.clone(),
        plan_description: execution.plan_description.clone(),
        submission_time: spark_time(execution.submitted),
        duration: execution.completed.unwrap_or(store.app.last_updated) - execution.submitted,
        error_message: execution.error.clone(),
        running_job_ids: jobs_with(Status::Running),
        success_job_ids: jobs_with(Status::Succeeded),
        failed_job_ids: jobs_with(Status::Failed),
        nodes,
        edges,
    }
}

/// Spark's name of a DataFusion operator metric where Spark has one (its SQL tab and
/// `nodes[].metrics` say "number of output rows"), else DataFusion's own.
fn spark_metric_name(name: &str) -> String {
    match name {
        "output_rows" => "number of output rows",
        "spilled_bytes" => "spill size",
        "spilled_rows" => "number of spilled rows",
        "output_bytes" => "data size",
        other => other,
    }
    .to_string()
}

async fn sql(State(apps): State<Arc<dyn Applications>>, Path(app): Path<String>) -> ApiResult {
    with_app(&apps, &app, |store| Some(store.executions.values().rev().map(|e| execution_data(store, e)).collect::<Vec<_>>())).await
}

async fn sql_execution(State(apps): State<Arc<dyn Applications>>, Path((app, id)): Path<(String, u64)>) -> ApiResult {
    with_app(&apps, &app, |store| store.executions.get(&id).map(|e| execution_data(store, e))).await
}

async fn environment(State(apps): State<Arc<dyn Applications>>, Path(app): Path<String>) -> ApiResult {
    with_app(&apps, &app, |store| {
        Some(serde_json::json!({
            "runtime": store.runtime.iter().cloned().collect::<HashMap<_, _>>(),
            "sparkProperties": store.spark_properties,
        }))
    }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_in_spark_s_form() {
        assert_eq!(spark_time(1_422_981_779_720), "2015-02-03T16:42:59.720GMT");
    }

    #[test]
    fn quantiles_pick_as_spark_s_task_summary() {
        assert_eq!(quantiles(&mut [5, 1, 3, 2, 4], &[0.0, 0.5, 1.0]), vec![1.0, 3.0, 5.0]);
        assert_eq!(quantiles(&mut [], &[0.5]), vec![0.0]);
    }
}
