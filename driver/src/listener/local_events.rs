//! The events of `local[N]` jobs: a [`LocalJobListener`] that posts each job to the
//! listener bus as the cluster scheduler posts its jobs, with one stage whose tasks (the
//! plan's output partitions) run on the driver, and the executed plan's operator metrics
//! in the SQL execution's end.

use super::ListenerBus;
use super::events::{ListenerEvent, PlanNode, StageInfo, now_millis};
use super::scheduler_events::{job_finished, stage_name, task_ended, task_started};
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties, displayable};
use flint_engine::ids::{JobId, StageId, TaskId};
use flint_engine::job_runner::JobProperties;
use flint_engine::local_listener::LocalJobListener;
use flint_engine::progress::{TaskMetrics, plan_metrics};
use std::sync::Arc;

/// The executor id of the driver, which runs `local[N]`'s tasks (Spark's `driver`).
pub const DRIVER_EXECUTOR: &str = "driver";

/// Posts `local[N]` jobs on a bus.
#[derive(Debug)]
pub struct LocalJobEvents(pub ListenerBus);

/// Task `partition` of `job`'s one stage, first attempt.
fn task(job: JobId, partition: usize) -> TaskId {
    TaskId { job, stage: StageId(0), partition, attempt: 0 }
}

impl LocalJobListener for LocalJobEvents {
    fn job_started(&self, job: JobId, plan: &Arc<dyn ExecutionPlan>, properties: &JobProperties) {
        let time = now_millis();
        let description = properties.description.clone().unwrap_or_else(|| plan.name().to_string());
        let details = displayable(plan.as_ref()).indent(true).to_string();
        let partitions = plan.output_partitioning().partition_count();
        self.0.post(ListenerEvent::SqlExecutionStart {
            time,
            execution_id: job.0,
            description: description.clone(),
            physical_plan_description: details.clone(),
            spark_plan_info: PlanNode::of(plan.as_ref()),
        });
        // The plan runs whole in the driver: its metrics come with the job's end.
        let stage = StageInfo {
            stage_id: 0,
            name: stage_name(plan.as_ref()),
            num_tasks: partitions,
            parent_ids: Vec::new(),
            details,
            plan_positions: Vec::new(),
        };
        self.0.post(ListenerEvent::JobStart {
            time,
            job_id: job.0,
            stage_infos: vec![stage],
            execution_id: Some(job.0),
            description,
            job_group: properties.group.clone(),
        });
        for partition in 0..partitions {
            self.0.post(task_started(&task(job, partition), DRIVER_EXECUTOR));
        }
    }

    fn task_ended(&self, job: JobId, partition: usize, outcome: Result<TaskMetrics, String>) {
        self.0.post(task_ended(&task(job, partition), DRIVER_EXECUTOR, outcome, Vec::new()));
    }

    fn job_ended(&self, job: JobId, plan: &Arc<dyn ExecutionPlan>, error: Option<String>) {
        for event in job_finished(job.0, error, plan_metrics(plan.as_ref())) {
            self.0.post(event);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::ui::store::{AppStatusStore, SharedStore, Status, StoreListener};
    use flint_engine::FlintSession;

    /// A `local[2]` aggregation posts one job of one stage whose tasks are the plan's
    /// output partitions, all succeeded, and its SQL execution ends with the executed
    /// operators' row counts: the aggregate's output is the 7 groups of `id % 7`.
    #[tokio::test]
    async fn a_local_job_is_one_stage_of_its_output_partitions_with_operator_metrics() {
        let store: SharedStore = Arc::new(parking_lot::RwLock::new(AppStatusStore::new(Default::default())));
        let bus = ListenerBus::start(vec![Box::new(StoreListener(Arc::clone(&store)))]);
        flint_engine::local_listener::install(Arc::new(LocalJobEvents(bus.clone()))).unwrap();
        let session = FlintSession::builder().master("local[2]").config("spark.sql.shuffle.partitions", "3").build().unwrap();
        let sql = "select id % 7 as k, count(*) as n from range(0, 10000) group by id % 7";
        let plan = session.sql(sql).await.unwrap().inner().clone().create_physical_plan().await.unwrap();
        let batches = session.runner().run_job(plan, Arc::default()).await.unwrap();
        assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 7);
        bus.flush().await;

        let store = store.read();
        let [job] = store.jobs.values().collect::<Vec<_>>()[..] else { panic!("one job: {:?}", store.jobs) };
        assert_eq!(job.status, Status::Succeeded);
        let [stage_id] = job.stages[..] else { panic!("one stage: {:?}", job.stages) };
        let stage = &store.stages[&(stage_id, 0)];
        assert_eq!((stage.status, stage.num_tasks, stage.succeeded_partitions.len()), (Status::Succeeded, 3, 3));
        assert_eq!(stage.totals.records, 7);

        let execution = &store.executions[&job.id];
        assert_eq!(execution.status, Status::Succeeded);
        let nodes = execution.plan.pre_order();
        assert_eq!(nodes.len(), execution.node_metrics.len());
        let output_rows = |name: &str| -> Vec<u64> {
            nodes
                .iter()
                .zip(&execution.node_metrics)
                .filter(|(node, _)| node.node_name == name)
                .filter_map(|(_, metrics)| metrics.iter().find(|(m, _)| m == "output_rows").map(|(_, v)| *v))
                .collect()
        };
        let aggregates = output_rows("AggregateExec");
        assert_eq!(aggregates.len(), 2, "a partial and a final aggregate: {nodes:?}");
        assert_eq!(aggregates[0], 7, "the final aggregate's groups");
        assert!(aggregates[1] >= 7, "each partial aggregate outputs its partition's groups");
    }
}
