//! What happens in a driver, as events: Spark's `SparkListener` events (the names its
//! event logs use, in the `Event` field), posted by the scheduler and read by the app
//! status store, the event log and the metrics.
//!
//! Stage ids here are a job's own (Flint numbers stages within a job); the store gives
//! each stage an application-wide id as Spark's are.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, as Spark's event logs and REST API count time.
pub type Millis = i64;

/// The time now in [`Millis`].
pub fn now_millis() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

/// One change in the application, one line of an event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "Event")]
pub enum ListenerEvent {
    /// The application started.
    #[serde(rename = "SparkListenerApplicationStart", rename_all = "camelCase")]
    ApplicationStart {
        /// `spark.app.name`.
        app_name: String,
        /// The application's id (`spark.app.id`, or one made at start).
        app_id: String,
        /// When.
        time: Millis,
        /// Who runs it (`$USER`).
        spark_user: String,
    },
    /// The application ended.
    #[serde(rename = "SparkListenerApplicationEnd", rename_all = "camelCase")]
    ApplicationEnd {
        /// When.
        time: Millis,
    },
    /// The resolved configuration, secrets redacted.
    #[serde(rename = "SparkListenerEnvironmentUpdate", rename_all = "camelCase")]
    EnvironmentUpdate {
        /// `spark.*` keys and values.
        spark_properties: Vec<(String, String)>,
        /// What runs the application (Flint's version, the master).
        runtime: Vec<(String, String)>,
    },
    /// An executor registered.
    #[serde(rename = "SparkListenerExecutorAdded", rename_all = "camelCase")]
    ExecutorAdded {
        /// When.
        time: Millis,
        /// Its id.
        executor_id: String,
        /// Its `host:port`.
        host_port: String,
        /// Its task slots.
        total_cores: usize,
    },
    /// An executor is gone.
    #[serde(rename = "SparkListenerExecutorRemoved", rename_all = "camelCase")]
    ExecutorRemoved {
        /// When.
        time: Millis,
        /// Its id.
        executor_id: String,
        /// Why (its process exited, it stopped beating, …).
        reason: String,
    },
    /// A job was submitted with these stages.
    #[serde(rename = "SparkListenerJobStart", rename_all = "camelCase")]
    JobStart {
        /// When.
        time: Millis,
        /// The job.
        job_id: u64,
        /// Its stages, parents first; the last is the result stage.
        stage_infos: Vec<StageInfo>,
        /// The SQL execution it belongs to.
        execution_id: Option<u64>,
        /// `spark.job.description`, or what the job computes.
        description: String,
        /// `spark.jobGroup.id`.
        job_group: Option<String>,
    },
    /// A job ended.
    #[serde(rename = "SparkListenerJobEnd", rename_all = "camelCase")]
    JobEnd {
        /// When.
        time: Millis,
        /// The job.
        job_id: u64,
        /// `None` when it succeeded, else why it failed or was cancelled.
        error: Option<String>,
    },
    /// An attempt was sent to an executor.
    #[serde(rename = "SparkListenerTaskStart", rename_all = "camelCase")]
    TaskStart {
        /// When.
        time: Millis,
        /// Its task.
        task: TaskAttempt,
        /// The executor running it.
        executor_id: String,
    },
    /// An attempt ended.
    #[serde(rename = "SparkListenerTaskEnd", rename_all = "camelCase")]
    TaskEnd {
        /// When.
        time: Millis,
        /// Its task.
        task: TaskAttempt,
        /// The executor that ran it.
        executor_id: String,
        /// `None` when it succeeded, else its error.
        error: Option<String>,
        /// What it did (zero when it failed).
        metrics: TaskEndMetrics,
        /// Each operator's metrics, in the pre-order of its stage's fragment, when the
        /// task ran on an executor and succeeded.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        operator_metrics: Vec<Vec<(String, u64)>>,
    },
    /// A query started: its physical plan.
    #[serde(rename = "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart", rename_all = "camelCase")]
    SqlExecutionStart {
        /// When.
        time: Millis,
        /// The execution.
        execution_id: u64,
        /// What it is (the job description, or the plan's root).
        description: String,
        /// The physical plan as text (`EXPLAIN`'s form).
        physical_plan_description: String,
        /// The plan as a tree of operators.
        spark_plan_info: PlanNode,
    },
    /// A query ended.
    #[serde(rename = "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionEnd", rename_all = "camelCase")]
    SqlExecutionEnd {
        /// When.
        time: Millis,
        /// The execution.
        execution_id: u64,
        /// `None` when it succeeded.
        error: Option<String>,
        /// Each operator's metrics, in the plan's pre-order (as `spark_plan_info`'s
        /// nodes), when the plan ran whole in the driver (local runs); empty for a job on
        /// executors, whose tasks report them ([`ListenerEvent::TaskEnd`]).
        node_metrics: Vec<Vec<(String, u64)>>,
    },
}

/// A stage of a job as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageInfo {
    /// Its id within the job.
    pub stage_id: usize,
    /// Its name (the fragment's root operator).
    pub name: String,
    /// Its tasks (partitions).
    pub num_tasks: usize,
    /// The stages (of the same job) it reads.
    pub parent_ids: Vec<usize>,
    /// The fragment's plan as text.
    pub details: String,
    /// For each operator of the fragment in pre-order, its position in the pre-order of
    /// the SQL execution's plan (`None`: a shuffle writer or reader the split added);
    /// empty when the plan ran whole in the driver.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plan_positions: Vec<Option<usize>>,
}

/// One attempt of one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskAttempt {
    /// The job.
    pub job_id: u64,
    /// The stage within the job.
    pub stage_id: usize,
    /// The partition (Spark's task index).
    pub index: usize,
    /// The attempt, from 0.
    pub attempt: u32,
}

/// What a finished attempt did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskEndMetrics {
    /// Rows it wrote to shuffle blocks (map stage) or returned (result stage).
    pub records: u64,
    /// Bytes it wrote to shuffle blocks or returned.
    pub bytes: u64,
    /// How long it ran on its executor, in milliseconds.
    pub run_time_ms: u64,
    /// Bytes its operators spilled to disk.
    pub spill_bytes: u64,
    /// Rows its shuffle readers read (Spark's `recordsRead`).
    #[serde(default)]
    pub shuffle_read_records: u64,
    /// Bytes of shuffle blocks it read from its executor's disk (`localBytesRead`).
    #[serde(default)]
    pub shuffle_local_bytes_read: u64,
    /// Bytes of shuffle blocks it fetched from other executors (`remoteBytesRead`).
    #[serde(default)]
    pub shuffle_remote_bytes_read: u64,
}

impl TaskEndMetrics {
    /// Bytes of shuffle blocks it read, local and fetched (Spark's `shuffleReadBytes`).
    pub fn shuffle_read_bytes(&self) -> u64 {
        self.shuffle_local_bytes_read + self.shuffle_remote_bytes_read
    }

    /// Adds `other`'s counts (a stage's totals over its tasks).
    pub fn add(&mut self, other: &Self) {
        self.records += other.records;
        self.bytes += other.bytes;
        self.run_time_ms += other.run_time_ms;
        self.spill_bytes += other.spill_bytes;
        self.shuffle_read_records += other.shuffle_read_records;
        self.shuffle_local_bytes_read += other.shuffle_local_bytes_read;
        self.shuffle_remote_bytes_read += other.shuffle_remote_bytes_read;
    }
}

/// One operator of a physical plan and its inputs (Spark's `SparkPlanInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanNode {
    /// The operator's name (`HashJoinExec`).
    pub node_name: String,
    /// Its one-line description with its arguments.
    pub simple_string: String,
    /// Its inputs.
    pub children: Vec<PlanNode>,
}

impl PlanNode {
    /// The tree of a DataFusion physical plan.
    pub fn of(plan: &dyn datafusion::physical_plan::ExecutionPlan) -> Self {
        let simple_string = datafusion::physical_plan::displayable(plan).one_line().to_string();
        Self {
            node_name: plan.name().to_string(),
            simple_string: simple_string.trim_end().to_string(),
            children: plan.children().into_iter().map(|child| Self::of(child.as_ref())).collect(),
        }
    }

    /// Every node of the tree in pre-order (this node first).
    pub fn pre_order(&self) -> Vec<&PlanNode> {
        let mut nodes = vec![self];
        for child in &self.children {
            nodes.extend(child.pre_order());
        }
        nodes
    }
}
