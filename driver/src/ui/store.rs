//! The app status store: what the UI and the REST API show, kept up to date from the
//! listener events (Spark's `AppStatusStore`). Pure: [`AppStatusStore::apply`] folds one
//! event in, so the live driver and the history server (replaying an event log) build
//! the same state. It stays bounded by Spark's `spark.ui.retained*` limits.

use crate::listener::events::{Millis, PlanNode, TaskAttempt, TaskEndMetrics};
use crate::listener::{Listener, ListenerEvent};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// How much of the application the store keeps (Spark's `spark.ui.retained*` keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// `spark.ui.retainedJobs` (1000).
    pub jobs: usize,
    /// `spark.ui.retainedStages` (1000).
    pub stages: usize,
    /// `spark.ui.retainedTasks` (100000): tasks kept per stage attempt.
    pub tasks: usize,
    /// `spark.sql.ui.retainedExecutions` (1000).
    pub executions: usize,
    /// `spark.ui.retainedDeadExecutors` (100).
    pub dead_executors: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Self { jobs: 1000, stages: 1000, tasks: 100_000, executions: 1000, dead_executors: 100 }
    }
}

/// The application as a whole.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppInfo {
    /// Its id.
    pub id: String,
    /// `spark.app.name`.
    pub name: String,
    /// Who ran it.
    pub user: String,
    /// When it started.
    pub start: Millis,
    /// When it ended, once it has.
    pub end: Option<Millis>,
    /// When the last event came.
    pub last_updated: Millis,
}

/// How a job, stage or task is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Waiting for its parents (stages).
    Pending,
    /// Running.
    Running,
    /// Finished with its result.
    Succeeded,
    /// Failed.
    Failed,
    /// Never ran: its output was there already (stages).
    Skipped,
    /// Stopped because its job ended (tasks).
    Killed,
}

/// One job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Its id.
    pub id: u64,
    /// What it computes.
    pub description: String,
    /// `spark.jobGroup.id`.
    pub group: Option<String>,
    /// Its SQL execution.
    pub execution: Option<u64>,
    /// When it was submitted.
    pub submitted: Millis,
    /// When it ended.
    pub completed: Option<Millis>,
    /// Running, Succeeded or Failed.
    pub status: Status,
    /// Why it failed.
    pub error: Option<String>,
    /// Its stages' application-wide ids, parents first.
    pub stages: Vec<usize>,
}

/// One attempt of one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Application-wide id.
    pub id: usize,
    /// The attempt (a stage whose lost outputs are recomputed runs again as a new one).
    pub attempt: u32,
    /// The job.
    pub job: u64,
    /// The stage's id within its job.
    pub job_stage: usize,
    /// The fragment's root operator.
    pub name: String,
    /// The fragment's plan.
    pub details: String,
    /// Application-wide ids of the stages it reads.
    pub parents: Vec<usize>,
    /// Tasks to run in this attempt.
    pub num_tasks: usize,
    /// How it is doing.
    pub status: Status,
    /// When its first task launched.
    pub submitted: Option<Millis>,
    /// When it ended.
    pub completed: Option<Millis>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Partitions with a successful attempt.
    pub succeeded_partitions: BTreeSet<usize>,
    /// Attempts running now.
    pub active: usize,
    /// Attempts that failed.
    pub failed: usize,
    /// Attempts killed.
    pub killed: usize,
    /// Sum over successful attempts.
    pub totals: TaskEndMetrics,
    /// Whether its output is a shuffle (map stage) rather than the job's result.
    pub is_map: bool,
    /// Every successful attempt's run time, for the distribution.
    pub run_times: Vec<u64>,
    /// Where each operator of its fragment stands in its SQL execution's plan
    /// ([`StageInfo::plan_positions`]).
    pub plan_positions: Vec<Option<usize>>,
}

/// One task attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Application-wide id, in launch order (Spark's `taskId`).
    pub id: u64,
    /// Its place in its job.
    pub attempt: TaskAttempt,
    /// The executor that runs it.
    pub executor: String,
    /// The executor's `host:port`.
    pub host: String,
    /// When it launched.
    pub launched: Millis,
    /// When it ended.
    pub finished: Option<Millis>,
    /// Running, Succeeded, Failed or Killed.
    pub status: Status,
    /// Why it failed.
    pub error: Option<String>,
    /// What it did.
    pub metrics: TaskEndMetrics,
}

/// One executor.
#[derive(Debug, Clone, PartialEq)]
pub struct Executor {
    /// Its id.
    pub id: String,
    /// Its `host:port`.
    pub host_port: String,
    /// Task slots.
    pub cores: usize,
    /// When it registered.
    pub added: Millis,
    /// When it was lost.
    pub removed: Option<Millis>,
    /// Why it was lost.
    pub remove_reason: Option<String>,
    /// Attempts running on it now.
    pub active_tasks: usize,
    /// Attempts that failed on it.
    pub failed_tasks: usize,
    /// Attempts that succeeded on it.
    pub completed_tasks: usize,
    /// Run time of its finished attempts, in milliseconds.
    pub total_duration_ms: u64,
    /// Shuffle bytes its map tasks wrote.
    pub shuffle_write_bytes: u64,
    /// Shuffle bytes its tasks read.
    pub shuffle_read_bytes: u64,
    /// Bytes its tasks spilled.
    pub spill_bytes: u64,
}

/// One SQL execution (a query's action).
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// Its id.
    pub id: u64,
    /// What it is.
    pub description: String,
    /// The physical plan as text.
    pub plan_description: String,
    /// The plan's operators.
    pub plan: PlanNode,
    /// Each operator's metrics, in pre-order, where known.
    pub node_metrics: Vec<Vec<(String, u64)>>,
    /// When it started.
    pub submitted: Millis,
    /// When it ended.
    pub completed: Option<Millis>,
    /// Running, Succeeded or Failed.
    pub status: Status,
    /// Why it failed.
    pub error: Option<String>,
    /// Its jobs.
    pub jobs: Vec<u64>,
}

/// Counts since the application started, kept whatever the retention drops (what the
/// Prometheus counters report).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Jobs that succeeded.
    pub jobs_succeeded: u64,
    /// Jobs that failed or were cancelled.
    pub jobs_failed: u64,
    /// Task attempts that succeeded.
    pub tasks_succeeded: u64,
    /// Task attempts that failed.
    pub tasks_failed: u64,
    /// Task attempts killed.
    pub tasks_killed: u64,
    /// Run time of finished attempts, in milliseconds.
    pub task_run_time_ms: u64,
    /// Bytes map tasks wrote to shuffle blocks.
    pub shuffle_write_bytes: u64,
    /// Bytes of shuffle blocks tasks read.
    pub shuffle_read_bytes: u64,
    /// Bytes result tasks returned.
    pub result_bytes: u64,
    /// Bytes tasks spilled.
    pub spill_bytes: u64,
    /// Executors lost.
    pub executors_lost: u64,
}

/// Everything the UI shows about one application.
#[derive(Debug, Clone, Default)]
pub struct AppStatusStore {
    retention: Retention,
    /// The application.
    pub app: AppInfo,
    /// `spark.*` properties, secrets redacted.
    pub spark_properties: Vec<(String, String)>,
    /// What runs the application.
    pub runtime: Vec<(String, String)>,
    /// Executors by id, live and lost.
    pub executors: BTreeMap<String, Executor>,
    /// Jobs by id.
    pub jobs: BTreeMap<u64, Job>,
    /// Stage attempts by (application-wide id, attempt).
    pub stages: BTreeMap<(usize, u32), Stage>,
    /// Each stage attempt's tasks, by (job, stage, partition, attempt).
    pub tasks: HashMap<(usize, u32), BTreeMap<TaskAttempt, Task>>,
    /// SQL executions by id.
    pub executions: BTreeMap<u64, Execution>,
    /// Counts since the start.
    pub totals: Totals,
    /// (job, stage within the job) → application-wide stage id and its latest attempt.
    stage_ids: HashMap<(u64, usize), (usize, u32)>,
    next_stage: usize,
    next_task: u64,
}

impl AppStatusStore {
    /// An empty store keeping at most what `retention` says.
    pub fn new(retention: Retention) -> Self {
        Self { retention, ..Self::default() }
    }

    /// Whether the application has ended.
    pub fn is_completed(&self) -> bool {
        self.app.end.is_some()
    }

    /// The attempts of a stage, oldest first.
    pub fn stage_attempts(&self, id: usize) -> impl Iterator<Item = &Stage> {
        self.stages.range((id, 0)..=(id, u32::MAX)).map(|(_, stage)| stage)
    }

    /// Folds one event in.
    pub fn apply(&mut self, event: &ListenerEvent) {
        match event {
            ListenerEvent::ApplicationStart { app_name, app_id, time, spark_user } => {
                self.app = AppInfo {
                    id: app_id.clone(),
                    name: app_name.clone(),
                    user: spark_user.clone(),
                    start: *time,
                    end: None,
                    last_updated: *time,
                };
            }
            ListenerEvent::ApplicationEnd { time } => {
                self.app.end = Some(*time);
                self.app.last_updated = *time;
            }
            ListenerEvent::EnvironmentUpdate { spark_properties, runtime } => {
                self.spark_properties = spark_properties.clone();
                self.runtime = runtime.clone();
            }
            ListenerEvent::ExecutorAdded { time, executor_id, host_port, total_cores } => {
                self.touch(*time);
                self.executors.insert(
                    executor_id.clone(),
                    Executor {
                        id: executor_id.clone(),
                        host_port: host_port.clone(),
                        cores: *total_cores,
                        added: *time,
                        removed: None,
                        remove_reason: None,
                        active_tasks: 0,
                        failed_tasks: 0,
                        completed_tasks: 0,
                        total_duration_ms: 0,
                        shuffle_write_bytes: 0,
                        shuffle_read_bytes: 0,
                        spill_bytes: 0,
                    },
                );
            }
            ListenerEvent::ExecutorRemoved { time, executor_id, reason } => {
                self.touch(*time);
                self.executor_removed(*time, executor_id, reason);
            }
            ListenerEvent::JobStart { time, job_id, stage_infos, execution_id, description, job_group } => {
                self.touch(*time);
                let mut stages = Vec::new();
                for info in stage_infos {
                    let id = self.next_stage;
                    self.next_stage += 1;
                    self.stage_ids.insert((*job_id, info.stage_id), (id, 0));
                    stages.push(id);
                }
                let last = stage_infos.len().saturating_sub(1);
                for (position, info) in stage_infos.iter().enumerate() {
                    let parents =
                        info.parent_ids.iter().filter_map(|p| self.stage_ids.get(&(*job_id, *p)).map(|(id, _)| *id)).collect();
                    let id = stages[position];
                    self.stages.insert(
                        (id, 0),
                        Stage {
                            id,
                            attempt: 0,
                            job: *job_id,
                            job_stage: info.stage_id,
                            name: info.name.clone(),
                            details: info.details.clone(),
                            parents,
                            num_tasks: info.num_tasks,
                            status: Status::Pending,
                            submitted: None,
                            completed: None,
                            failure_reason: None,
                            succeeded_partitions: BTreeSet::new(),
                            active: 0,
                            failed: 0,
                            killed: 0,
                            totals: TaskEndMetrics::default(),
                            is_map: position != last,
                            run_times: Vec::new(),
                            plan_positions: info.plan_positions.clone(),
                        },
                    );
                }
                if let Some(execution) = execution_id.and_then(|id| self.executions.get_mut(&id)) {
                    execution.jobs.push(*job_id);
                }
                self.jobs.insert(
                    *job_id,
                    Job {
                        id: *job_id,
                        description: description.clone(),
                        group: job_group.clone(),
                        execution: *execution_id,
                        submitted: *time,
                        completed: None,
                        status: Status::Running,
                        error: None,
                        stages,
                    },
                );
                self.trim();
            }
            ListenerEvent::JobEnd { time, job_id, error } => {
                self.touch(*time);
                self.job_ended(*time, *job_id, error.as_deref());
                self.trim();
            }
            ListenerEvent::TaskStart { time, task, executor_id } => {
                self.touch(*time);
                self.task_started(*time, *task, executor_id);
            }
            ListenerEvent::TaskEnd { time, task, executor_id, error, metrics, operator_metrics } => {
                self.touch(*time);
                self.task_ended(*time, *task, executor_id, error.as_deref(), *metrics);
                if error.is_none() {
                    self.add_operator_metrics(task, operator_metrics);
                }
            }
            ListenerEvent::SqlExecutionStart { time, execution_id, description, physical_plan_description, spark_plan_info } => {
                self.touch(*time);
                self.executions.insert(
                    *execution_id,
                    Execution {
                        id: *execution_id,
                        description: description.clone(),
                        plan_description: physical_plan_description.clone(),
                        plan: spark_plan_info.clone(),
                        node_metrics: Vec::new(),
                        submitted: *time,
                        completed: None,
                        status: Status::Running,
                        error: None,
                        jobs: Vec::new(),
                    },
                );
                self.trim();
            }
            ListenerEvent::SqlExecutionEnd { time, execution_id, error, node_metrics } => {
                self.touch(*time);
                if let Some(execution) = self.executions.get_mut(execution_id) {
                    execution.completed = Some(*time);
                    execution.status = if error.is_some() { Status::Failed } else { Status::Succeeded };
                    execution.error = error.clone();
                    // A job on executors summed its operators' metrics from its tasks.
                    if !node_metrics.is_empty() {
                        execution.node_metrics = node_metrics.clone();
                    }
                }
            }
        }
    }

    /// Adds a successful task's operator metrics (its fragment's pre-order) to the
    /// operators of its SQL execution's plan they ran.
    fn add_operator_metrics(&mut self, task: &TaskAttempt, operators: &[Vec<(String, u64)>]) {
        let Some(key) = self.stage_ids.get(&(task.job_id, task.stage_id)) else { return };
        let Some(stage) = self.stages.get(key) else { return };
        let execution = self.jobs.get(&task.job_id).and_then(|job| job.execution);
        let Some(execution) = execution.and_then(|id| self.executions.get_mut(&id)) else { return };
        if operators.is_empty() || stage.plan_positions.len() != operators.len() {
            return;
        }
        execution.node_metrics.resize(execution.plan.pre_order().len(), Vec::new());
        for (position, metrics) in stage.plan_positions.iter().zip(operators) {
            let Some(node) = position.and_then(|p| execution.node_metrics.get_mut(p)) else { continue };
            for (name, value) in metrics {
                match node.iter_mut().find(|(known, _)| known == name) {
                    Some((_, sum)) => *sum += value,
                    None => node.push((name.clone(), *value)),
                }
            }
        }
    }

    fn touch(&mut self, time: Millis) {
        self.app.last_updated = self.app.last_updated.max(time);
    }

    /// The stage attempt a task belongs to; a launch into a finished stage starts its
    /// next attempt (lost outputs being recomputed).
    fn stage_for_launch(&mut self, task: &TaskAttempt, time: Millis) -> Option<(usize, u32)> {
        let (id, attempt) = *self.stage_ids.get(&(task.job_id, task.stage_id))?;
        let current = self.stages.get(&(id, attempt))?;
        if current.status != Status::Succeeded {
            return Some((id, attempt));
        }
        let mut next = current.clone();
        next.attempt = attempt + 1;
        next.num_tasks = 0;
        next.status = Status::Pending;
        next.submitted = Some(time);
        next.completed = None;
        next.succeeded_partitions.clear();
        (next.active, next.failed, next.killed, next.totals, next.run_times) = (0, 0, 0, TaskEndMetrics::default(), Vec::new());
        self.stages.insert((id, attempt + 1), next);
        self.stage_ids.insert((task.job_id, task.stage_id), (id, attempt + 1));
        Some((id, attempt + 1))
    }

    fn task_started(&mut self, time: Millis, task: TaskAttempt, executor_id: &str) {
        let Some(key) = self.stage_for_launch(&task, time) else { return };
        let host = self.executors.get(executor_id).map(|e| e.host_port.clone()).unwrap_or_default();
        if let Some(executor) = self.executors.get_mut(executor_id) {
            executor.active_tasks += 1;
        }
        let id = self.next_task;
        self.next_task += 1;
        let Some(stage) = self.stages.get_mut(&key) else { return };
        if stage.status == Status::Pending {
            stage.status = Status::Running;
            stage.submitted.get_or_insert(time);
        }
        if stage.attempt > 0 && !self.tasks.get(&key).is_some_and(|t| t.keys().any(|a| a.index == task.index)) {
            stage.num_tasks += 1;
        }
        stage.active += 1;
        let entry = Task {
            id,
            attempt: task,
            executor: executor_id.to_string(),
            host,
            launched: time,
            finished: None,
            status: Status::Running,
            error: None,
            metrics: TaskEndMetrics::default(),
        };
        let tasks = self.tasks.entry(key).or_default();
        tasks.insert(task, entry);
        if tasks.len() > self.retention.tasks {
            let oldest = tasks.iter().filter(|(_, t)| t.status != Status::Running).min_by_key(|(_, t)| t.id).map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                tasks.remove(&oldest);
            }
        }
    }

    /// Ends a running attempt; false if it is not running (an update for an attempt the
    /// scheduler had already given up on).
    fn end_task(&mut self, time: Millis, task: TaskAttempt, status: Status, error: Option<&str>, metrics: TaskEndMetrics) -> bool {
        let Some(&(id, _)) = self.stage_ids.get(&(task.job_id, task.stage_id)) else { return false };
        let Some(key) = self
            .stages
            .range((id, 0)..=(id, u32::MAX))
            .rev()
            .map(|(key, _)| *key)
            .find(|key| self.tasks.get(key).and_then(|t| t.get(&task)).is_some_and(|t| t.status == Status::Running))
        else {
            return false;
        };
        let Some(entry) = self.tasks.get_mut(&key).and_then(|t| t.get_mut(&task)) else { return false };
        entry.status = status;
        entry.finished = Some(time);
        entry.error = error.map(str::to_string);
        entry.metrics = metrics;
        let executor_id = entry.executor.clone();
        if let Some(executor) = self.executors.get_mut(&executor_id) {
            executor.active_tasks = executor.active_tasks.saturating_sub(1);
            executor.total_duration_ms += metrics.run_time_ms;
            match status {
                Status::Succeeded => executor.completed_tasks += 1,
                Status::Failed => executor.failed_tasks += 1,
                _ => {}
            }
        }
        let totals = &mut self.totals;
        totals.task_run_time_ms += metrics.run_time_ms;
        totals.spill_bytes += metrics.spill_bytes;
        if status == Status::Succeeded {
            totals.shuffle_read_bytes += metrics.shuffle_read_bytes();
        }
        match status {
            Status::Succeeded => totals.tasks_succeeded += 1,
            Status::Failed => totals.tasks_failed += 1,
            _ => totals.tasks_killed += 1,
        }
        let Some(stage) = self.stages.get_mut(&key) else { return true };
        if status == Status::Succeeded {
            if stage.is_map { totals.shuffle_write_bytes += metrics.bytes } else { totals.result_bytes += metrics.bytes }
        }
        stage.active = stage.active.saturating_sub(1);
        match status {
            Status::Succeeded => {
                stage.succeeded_partitions.insert(task.index);
                stage.totals.add(&metrics);
                stage.run_times.push(metrics.run_time_ms);
                if stage.is_map
                    && let Some(executor) = self.executors.get_mut(&executor_id)
                {
                    executor.shuffle_write_bytes += metrics.bytes;
                }
                if let Some(executor) = self.executors.get_mut(&executor_id) {
                    executor.spill_bytes += metrics.spill_bytes;
                    executor.shuffle_read_bytes += metrics.shuffle_read_bytes();
                }
            }
            Status::Failed => stage.failed += 1,
            Status::Killed => stage.killed += 1,
            _ => {}
        }
        if stage.active == 0 && stage.succeeded_partitions.len() >= stage.num_tasks && stage.status == Status::Running {
            stage.status = Status::Succeeded;
            stage.completed = Some(time);
        }
        true
    }

    fn task_ended(&mut self, time: Millis, task: TaskAttempt, _executor: &str, error: Option<&str>, metrics: TaskEndMetrics) {
        let status = if error.is_some() { Status::Failed } else { Status::Succeeded };
        self.end_task(time, task, status, error, metrics);
    }

    fn executor_removed(&mut self, time: Millis, executor_id: &str, reason: &str) {
        if let Some(executor) = self.executors.get_mut(executor_id) {
            // Removed again: the scheduler learnt a better reason (the exit status that
            // came after a failed task launch).
            if executor.removed.is_none() {
                self.totals.executors_lost += 1;
                executor.removed = Some(time);
            }
            executor.remove_reason = Some(reason.to_string());
        }
        let running: Vec<TaskAttempt> = self
            .tasks
            .values()
            .flat_map(|tasks| tasks.values())
            .filter(|t| t.status == Status::Running && t.executor == executor_id)
            .map(|t| t.attempt)
            .collect();
        let error = format!("ExecutorLostFailure (executor {executor_id} exited): {reason}");
        for task in running {
            self.end_task(time, task, Status::Failed, Some(&error), TaskEndMetrics::default());
        }
        let dead: Vec<(Millis, String)> =
            self.executors.values().filter_map(|e| e.removed.map(|at| (at, e.id.clone()))).collect();
        if dead.len() > self.retention.dead_executors {
            let mut dead = dead;
            dead.sort();
            for (_, id) in dead.iter().take(dead.len() - self.retention.dead_executors) {
                self.executors.remove(id);
            }
        }
    }

    fn job_ended(&mut self, time: Millis, job_id: u64, error: Option<&str>) {
        let running: Vec<TaskAttempt> = self
            .tasks
            .values()
            .flat_map(|tasks| tasks.values())
            .filter(|t| t.status == Status::Running && t.attempt.job_id == job_id)
            .map(|t| t.attempt)
            .collect();
        for task in running {
            self.end_task(time, task, Status::Killed, Some("the job ended"), TaskEndMetrics::default());
        }
        let Some(job) = self.jobs.get_mut(&job_id) else { return };
        job.completed = Some(time);
        job.status = if error.is_some() { Status::Failed } else { Status::Succeeded };
        job.error = error.map(str::to_string);
        if error.is_some() { self.totals.jobs_failed += 1 } else { self.totals.jobs_succeeded += 1 }
        for id in job.stages.clone() {
            for ((_, _), stage) in self.stages.range_mut((id, 0)..=(id, u32::MAX)) {
                match stage.status {
                    Status::Pending => stage.status = Status::Skipped,
                    Status::Running if error.is_none() => {
                        stage.status = Status::Succeeded;
                        stage.completed = Some(time);
                    }
                    Status::Running => {
                        stage.status = Status::Failed;
                        stage.completed = Some(time);
                        stage.failure_reason = error.map(str::to_string);
                    }
                    _ => {}
                }
            }
        }
    }

    /// Drops the oldest finished jobs, stages and executions past the retention limits.
    fn trim(&mut self) {
        while self.jobs.len() > self.retention.jobs {
            let Some(oldest) = self.jobs.values().find(|j| j.status != Status::Running).map(|j| j.id) else { break };
            self.jobs.remove(&oldest);
        }
        while self.stages.len() > self.retention.stages {
            let finished = |s: &&Stage| !matches!(s.status, Status::Running | Status::Pending);
            let Some(oldest) = self.stages.values().find(finished).map(|s| (s.id, s.attempt)) else { break };
            self.stages.remove(&oldest);
            self.tasks.remove(&oldest);
        }
        while self.executions.len() > self.retention.executions {
            let Some(oldest) = self.executions.values().find(|e| e.status != Status::Running).map(|e| e.id) else { break };
            self.executions.remove(&oldest);
        }
    }
}

/// The store of a live application, shared by the listener bus (writing) and the UI
/// (reading).
pub type SharedStore = Arc<parking_lot::RwLock<AppStatusStore>>;

/// Feeds the listener bus's events into a shared store.
#[derive(Debug)]
pub struct StoreListener(pub SharedStore);

#[async_trait::async_trait]
impl Listener for StoreListener {
    async fn on_event(&mut self, event: &ListenerEvent) {
        self.0.write().apply(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listener::events::{PlanNode, StageInfo};

    fn stage(id: usize, tasks: usize, parents: Vec<usize>) -> StageInfo {
        StageInfo { stage_id: id, name: format!("s{id}"), num_tasks: tasks, parent_ids: parents, details: String::new(), plan_positions: vec![] }
    }

    fn task(stage: usize, index: usize, attempt: u32) -> TaskAttempt {
        TaskAttempt { job_id: 0, stage_id: stage, index, attempt }
    }

    fn ok(records: u64) -> TaskEndMetrics {
        TaskEndMetrics { records, bytes: records * 10, run_time_ms: 5, ..Default::default() }
    }

    /// On a cluster the tasks of each stage report their fragment's operators; the SQL
    /// execution's operators get their sums through the stages' plan positions (a failed
    /// attempt's count nothing), and the execution's end keeps them.
    #[test]
    fn task_operator_metrics_add_up_to_the_execution_s_operators() {
        let node = |name: &str, children| PlanNode { node_name: name.into(), simple_string: name.into(), children };
        let plan = node("Final", vec![node("RepartitionExec", vec![node("Partial", vec![])])]);
        let mut store = AppStatusStore::default();
        let rows = |n: u64| vec![("output_rows".to_string(), n)];
        let map = StageInfo { plan_positions: vec![None, Some(2)], ..stage(0, 2, vec![]) };
        let result = StageInfo { plan_positions: vec![Some(0), None], ..stage(1, 1, vec![0]) };
        let end = |t: TaskAttempt, error: Option<&str>, operator_metrics| ListenerEvent::TaskEnd {
            time: 3,
            task: t,
            executor_id: "1".into(),
            error: error.map(str::to_string),
            metrics: ok(1),
            operator_metrics,
        };
        let events = vec![
            ListenerEvent::SqlExecutionStart { time: 1, execution_id: 4, description: "q".into(), physical_plan_description: String::new(), spark_plan_info: plan },
            ListenerEvent::JobStart { time: 1, job_id: 0, stage_infos: vec![map, result], execution_id: Some(4), description: "q".into(), job_group: None },
            end(task(0, 0, 0), None, vec![vec![], rows(5)]),
            end(task(0, 1, 0), Some("lost"), vec![vec![], rows(100)]),
            end(task(0, 1, 1), None, vec![vec![], rows(6)]),
            end(task(1, 0, 0), None, vec![vec![("output_rows".to_string(), 2), ("elapsed_compute".to_string(), 7)], vec![]]),
            ListenerEvent::JobEnd { time: 4, job_id: 0, error: None },
            ListenerEvent::SqlExecutionEnd { time: 4, execution_id: 4, error: None, node_metrics: vec![] },
        ];
        for event in &events {
            store.apply(event);
        }
        let expected = vec![vec![("output_rows".to_string(), 2), ("elapsed_compute".to_string(), 7)], vec![], rows(11)];
        assert_eq!(store.executions[&4].node_metrics, expected);
        assert_eq!(store.executions[&4].status, Status::Succeeded);
    }

    /// A two-stage job on two executors, one lost mid-stage with a task on it: the task
    /// fails with the executor's reason, runs again, the job succeeds; the reducer read
    /// what the maps wrote, and a later reason for the lost executor replaces the first.
    #[test]
    fn a_lost_executor_fails_its_tasks_and_the_job_still_succeeds() {
        let mut store = AppStatusStore::new(Retention::default());
        let events = vec![
            ListenerEvent::ExecutorAdded { time: 1, executor_id: "1".into(), host_port: "h:1".into(), total_cores: 1 },
            ListenerEvent::ExecutorAdded { time: 1, executor_id: "2".into(), host_port: "h:2".into(), total_cores: 1 },
            ListenerEvent::JobStart {
                time: 2,
                job_id: 0,
                stage_infos: vec![stage(0, 2, vec![]), stage(1, 1, vec![0])],
                execution_id: None,
                description: "count".into(),
                job_group: None,
            },
            ListenerEvent::TaskStart { time: 3, task: task(0, 0, 0), executor_id: "1".into() },
            ListenerEvent::TaskStart { time: 3, task: task(0, 1, 0), executor_id: "2".into() },
            ListenerEvent::TaskEnd { time: 4, task: task(0, 0, 0), executor_id: "1".into(), error: None, metrics: ok(7), operator_metrics: vec![] },
            ListenerEvent::ExecutorRemoved { time: 5, executor_id: "2".into(), reason: "killed by signal 9".into() },
            ListenerEvent::TaskStart { time: 6, task: task(0, 1, 1), executor_id: "1".into() },
            ListenerEvent::TaskEnd { time: 7, task: task(0, 1, 1), executor_id: "1".into(), error: None, metrics: ok(3), operator_metrics: vec![] },
            ListenerEvent::TaskStart { time: 8, task: task(1, 0, 0), executor_id: "1".into() },
            ListenerEvent::TaskEnd {
                time: 9,
                task: task(1, 0, 0),
                executor_id: "1".into(),
                error: None,
                metrics: TaskEndMetrics { shuffle_read_records: 10, shuffle_local_bytes_read: 60, shuffle_remote_bytes_read: 40, ..ok(1) },
                operator_metrics: vec![],
            },
            ListenerEvent::JobEnd { time: 10, job_id: 0, error: None },
        ];
        for event in &events {
            store.apply(event);
        }
        assert_eq!(store.jobs[&0].status, Status::Succeeded);
        let map = &store.stages[&(0, 0)];
        assert_eq!((map.status, map.failed, map.totals.records, map.succeeded_partitions.len()), (Status::Succeeded, 1, 10, 2));
        assert_eq!(store.stages[&(1, 0)].parents, vec![0]);
        let lost = &store.tasks[&(0, 0)][&task(0, 1, 0)];
        assert_eq!(lost.status, Status::Failed);
        assert!(lost.error.as_deref().is_some_and(|e| e.contains("killed by signal 9")), "{lost:?}");
        let gone = &store.executors["2"];
        assert_eq!((gone.removed, gone.remove_reason.as_deref(), gone.failed_tasks), (Some(5), Some("killed by signal 9"), 1));
        assert_eq!((store.executors["1"].completed_tasks, store.executors["1"].shuffle_write_bytes), (3, 100));
        let reduce = &store.stages[&(1, 0)].totals;
        assert_eq!((reduce.shuffle_read_records, reduce.shuffle_read_bytes()), (10, 100), "the reducer read the 10 rows the maps wrote");
        assert_eq!((store.executors["1"].shuffle_read_bytes, store.totals.shuffle_read_bytes), (100, 100));
        let lost_before = store.totals.executors_lost;
        store.apply(&ListenerEvent::ExecutorRemoved { time: 11, executor_id: "2".into(), reason: "exited with signal 9".into() });
        let gone = &store.executors["2"];
        assert_eq!((gone.removed, gone.remove_reason.as_deref()), (Some(5), Some("exited with signal 9")), "a later reason replaces the first");
        assert_eq!(store.totals.executors_lost, lost_before, "one executor lost once");
    }

    #[test]
    fn recomputing_a_finished_stage_is_its_next_attempt_and_unrun_stages_are_skipped() {
        let mut store = AppStatusStore::new(Retention::default());
        store.apply(&ListenerEvent::JobStart {
            time: 0,
            job_id: 0,
            stage_infos: vec![stage(0, 1, vec![]), stage(1, 1, vec![]), stage(2, 1, vec![0, 1])],
            execution_id: None,
            description: String::new(),
            job_group: None,
        });
        for (time, attempt) in [(1, 0), (3, 1)] {
            store.apply(&ListenerEvent::TaskStart { time, task: task(0, 0, attempt), executor_id: "1".into() });
            store.apply(&ListenerEvent::TaskEnd { time, task: task(0, 0, attempt), executor_id: "1".into(), error: None, metrics: ok(1), operator_metrics: vec![] });
        }
        store.apply(&ListenerEvent::JobEnd { time: 5, job_id: 0, error: None });
        assert_eq!(store.stage_attempts(0).map(|s| (s.attempt, s.num_tasks, s.status)).collect::<Vec<_>>(),
            vec![(0, 1, Status::Succeeded), (1, 1, Status::Succeeded)]);
        assert_eq!(store.stages[&(1, 0)].status, Status::Skipped);
    }

    #[test]
    fn retention_drops_the_oldest_finished_jobs() {
        let retention = Retention { jobs: 2, ..Retention::default() };
        let mut store = AppStatusStore::new(retention);
        for job_id in 0..5 {
            let start = ListenerEvent::JobStart {
                time: 0,
                job_id,
                stage_infos: vec![stage(0, 1, vec![])],
                execution_id: None,
                description: String::new(),
                job_group: None,
            };
            store.apply(&start);
            if job_id != 1 {
                store.apply(&ListenerEvent::JobEnd { time: 1, job_id, error: None });
            }
        }
        assert_eq!(store.jobs.keys().copied().collect::<Vec<_>>(), vec![1, 4], "the running job stays");
    }
}
