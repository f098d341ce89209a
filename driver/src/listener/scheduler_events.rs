//! The events the cluster scheduler posts, made from its own types: a submitted job and
//! its SQL execution, launched and finished attempts.

use super::events::{ListenerEvent, PlanNode, StageInfo, TaskAttempt, TaskEndMetrics, now_millis};
use datafusion::physical_plan::{ExecutionPlan, displayable};
use flint_engine::ids::TaskId;
use flint_engine::job_runner::JobProperties;
use flint_engine::planner::{StagePlan, stage_origins};
use flint_engine::progress::TaskMetrics;
use std::sync::Arc;

/// A job's SQL execution start (one per job: the execution's id is the job's) and its
/// job start: `plan` is the physical plan before it was split into `stages`.
pub fn job_submitted(plan: &Arc<dyn ExecutionPlan>, stages: &StagePlan, properties: &JobProperties) -> [ListenerEvent; 2] {
    let time = now_millis();
    let job = stages.job.0;
    let description = properties.description.clone().unwrap_or_else(|| plan.name().to_string());
    let positions = stage_origins(plan, stages);
    let stage_infos = stages
        .stages
        .iter()
        .zip(positions)
        .map(|(stage, plan_positions)| StageInfo {
            stage_id: stage.id.0,
            name: stage_name(stage.plan.as_ref()),
            num_tasks: stage.partitions,
            parent_ids: stage.parents.iter().map(|p| p.0).collect(),
            details: displayable(stage.plan.as_ref()).indent(true).to_string(),
            plan_positions,
        })
        .collect();
    [
        ListenerEvent::SqlExecutionStart {
            time,
            execution_id: job,
            description: description.clone(),
            physical_plan_description: displayable(plan.as_ref()).indent(true).to_string(),
            spark_plan_info: PlanNode::of(plan.as_ref()),
        },
        ListenerEvent::JobStart {
            time,
            job_id: job,
            stage_infos,
            execution_id: Some(job),
            description,
            job_group: properties.group.clone(),
        },
    ]
}

/// A job's end and its SQL execution's, with its operators' metrics in `node_metrics`
/// (pre-order, as the execution's plan) where the driver has them.
pub fn job_finished(job: u64, error: Option<String>, node_metrics: Vec<Vec<(String, u64)>>) -> [ListenerEvent; 2] {
    let time = now_millis();
    [
        ListenerEvent::JobEnd { time, job_id: job, error: error.clone() },
        ListenerEvent::SqlExecutionEnd { time, execution_id: job, error, node_metrics },
    ]
}

/// A stage's name: its fragment's operators below the shuffle writer, as far as the
/// first one with more than one input.
pub(crate) fn stage_name(plan: &dyn ExecutionPlan) -> String {
    let mut names = vec![plan.name().to_string()];
    let mut children = plan.children().into_iter().cloned().collect::<Vec<_>>();
    while let [child] = children.as_slice() {
        names.push(child.name().to_string());
        if names.len() == 3 {
            break;
        }
        children = child.children().into_iter().cloned().collect();
    }
    names.join(" ← ")
}

/// The event's form of an attempt.
pub fn attempt(task: &TaskId) -> TaskAttempt {
    TaskAttempt { job_id: task.job.0, stage_id: task.stage.0, index: task.partition, attempt: task.attempt }
}

/// An attempt launched on `executor`.
pub fn task_started(task: &TaskId, executor: &str) -> ListenerEvent {
    ListenerEvent::TaskStart { time: now_millis(), task: attempt(task), executor_id: executor.to_string() }
}

/// An attempt ended on `executor`: with `metrics` when it succeeded, else `error`, and
/// its operators' metrics (`operator_metrics`, pre-order of its stage's fragment).
pub fn task_ended(
    task: &TaskId,
    executor: &str,
    outcome: Result<TaskMetrics, String>,
    operator_metrics: Vec<Vec<(String, u64)>>,
) -> ListenerEvent {
    let (error, metrics) = match outcome {
        Ok(m) => (
            None,
            TaskEndMetrics {
                records: m.rows,
                bytes: m.bytes,
                run_time_ms: m.duration.as_millis() as u64,
                spill_bytes: m.spill_bytes,
                shuffle_read_records: m.shuffle_read.records,
                shuffle_local_bytes_read: m.shuffle_read.local_bytes,
                shuffle_remote_bytes_read: m.shuffle_read.remote_bytes,
            },
        ),
        Err(error) => (Some(error), TaskEndMetrics::default()),
    };
    ListenerEvent::TaskEnd { time: now_millis(), task: attempt(task), executor_id: executor.to_string(), error, metrics, operator_metrics }
}
