//! Runs tasks: decodes a fragment, computes one partition, reports the status.

use crate::attempts::AttemptLocks;
use crate::metrics::{ExecutorMetrics, Gauges};
use crate::block_manager::BlockManager;
use crate::job_storage::JobStorage;
use crate::registration::DriverClient;
use crate::{ExecutorConfig, ExecutorError};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::common::collect;
use crate::shuffle_client::FlightBlocks;
use flint_engine::FlintSession;
use flint_engine::ids::{ExecutorId, JobId, StageId};
use flint_engine::progress::{plan_metrics, spilled_bytes};
use flint_engine::proto::decode_plan;
use flint_engine::shuffle::{ShuffleEnv, ShuffleOutput, ShuffleReadTotals, ShuffleWriterExec, fetch_failure, shuffle_read};
use flint_proto::{FetchFailure, OperatorMetric, OperatorMetrics, TaskDefinition, TaskRef, TaskStatusUpdate};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use tokio::sync::Semaphore;

/// Runs up to `cores` tasks at once and reports each to the driver.
#[derive(Debug)]
pub struct TaskRunner {
    executor: String,
    session: FlintSession,
    shuffle: ShuffleEnv,
    slots: Arc<Semaphore>,
    /// How many tasks run at once (the size of `slots`).
    cores: usize,
    driver: DriverClient,
    running: Mutex<HashMap<(u64, u64, u64, u32), tokio::task::AbortHandle>>,
    killed: Mutex<Vec<TaskRef>>,
    attempts: AttemptLocks,
    /// Fault injection for tests: how many more task statuses to lose instead of sending.
    statuses_to_drop: std::sync::atomic::AtomicU32,
    /// What `/metrics` reports.
    metrics: ExecutorMetrics,
    /// The memory pool's size.
    memory_limit: usize,
    /// Each job's object stores, from the Hadoop keys its tasks carry.
    storage: JobStorage,
}

/// The environment variable that makes an executor lose its first N task statuses, as a
/// network failure would (tests of the driver's heartbeat reconciliation).
pub const DROP_TASK_STATUSES_ENV: &str = "FLINT_TEST_DROP_TASK_STATUSES";

/// How many killed tasks an executor remembers.
const KILLED_KEPT: usize = 1000;

/// Lists a task as running for as long as its future lives.
struct Listed {
    runner: Arc<TaskRunner>,
    task: TaskRef,
}

impl Drop for Listed {
    fn drop(&mut self) {
        self.runner.running.lock().unwrap_or_else(PoisonError::into_inner).remove(&key(&self.task));
    }
}

fn key(task: &TaskRef) -> (u64, u64, u64, u32) {
    (task.job, task.stage, task.partition, task.attempt)
}

impl TaskRunner {
    /// A runner with a session whose memory pool is the executor's memory, configured with
    /// the application's keys the driver gave at registration (`app_conf`: the object
    /// stores' `spark.hadoop.*` keys).
    pub fn new(
        config: &ExecutorConfig,
        app_conf: &BTreeMap<String, String>,
        blocks: &BlockManager,
        driver: DriverClient,
    ) -> Result<Self, ExecutorError> {
        let mut builder = FlintSession::builder();
        for (key, value) in app_conf {
            builder = builder.config(key, value);
        }
        let session = builder
            .master(&format!("local[{}]", config.cores))
            .config("spark.driver.memory", &config.memory_bytes.to_string())
            .config("spark.local.dir", &blocks.root().join("spill").display().to_string())
            .build()?;
        flint_engine::planner::configure_session_for_stages(session.context());
        let app_keys = app_conf.iter().map(|(key, value)| (key.clone(), value.clone()));
        let storage = JobStorage::new(session.context().runtime_env(), flint_engine::storage::HadoopConf::from_pairs(app_keys));
        Ok(Self {
            executor: config.id.clone(),
            session,
            shuffle: ShuffleEnv::local(ExecutorId(config.id.clone()), blocks.root().to_path_buf())
                .with_compression(config.shuffle_compress)
                .with_remote(Arc::new(FlightBlocks::new(config.client_auth()?))),
            slots: Arc::new(Semaphore::new(config.cores.max(1))),
            cores: config.cores.max(1),
            driver,
            running: Mutex::new(HashMap::new()),
            killed: Mutex::new(Vec::new()),
            attempts: AttemptLocks::default(),
            statuses_to_drop: std::sync::atomic::AtomicU32::new(
                std::env::var(DROP_TASK_STATUSES_ENV).ok().and_then(|n| n.parse().ok()).unwrap_or(0),
            ),
            metrics: ExecutorMetrics::default(),
            memory_limit: config.memory_bytes as usize,
            storage,
        })
    }

    /// What the executor's `/metrics` reports of its tasks.
    pub fn metrics(&self) -> &ExecutorMetrics {
        &self.metrics
    }

    /// The tasks running now (launched and not yet gone, whether waiting for a slot or
    /// computing).
    pub fn running(&self) -> Vec<TaskRef> {
        let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let mut tasks: Vec<TaskRef> =
            running.keys().map(|&(job, stage, partition, attempt)| TaskRef { job, stage, partition, attempt }).collect();
        tasks.sort_by_key(key);
        tasks
    }

    /// Starts a task; its status goes to the driver when it ends. The task is listed in
    /// [`TaskRunner::running`] from now until its future is gone (it ended, was killed, or
    /// panicked), so heartbeats tell the driver exactly what still runs here.
    pub fn launch(self: &Arc<Self>, definition: TaskDefinition) {
        let Some(task) = definition.task else { return };
        let this = Arc::clone(self);
        let listed_as = key(&task);
        // Held while spawning, so the task's own removal cannot come before its insertion.
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let handle = tokio::spawn(async move {
            let listed = Listed { runner: Arc::clone(&this), task };
            let _attempt = this.attempts.acquire(&task).await;
            let Ok(_permit) = Arc::clone(&this.slots).acquire_owned().await else { return };
            let started = Instant::now();
            let outcome = this.run(&task, &definition).await;
            let mut update = TaskStatusUpdate {
                executor_id: this.executor.clone(),
                task: Some(task),
                duration_ms: started.elapsed().as_millis() as u64,
                ..Default::default()
            };
            match outcome {
                Ok(output) => {
                    update.succeeded = true;
                    update.rows = output.rows;
                    update.bytes = output.bytes;
                    update.spill_bytes = output.spill_bytes;
                    update.shuffle_read_records = output.shuffle_read.records;
                    update.shuffle_local_bytes_read = output.shuffle_read.local_bytes;
                    update.shuffle_remote_bytes_read = output.shuffle_read.remote_bytes;
                    update.operator_metrics = output.operators;
                }
                Err(error) => {
                    update.fetch_failure = fetch_failure(&error).map(|(block, executor)| FetchFailure {
                        stage: block.stage.0 as u64,
                        map: block.map as u64,
                        executor: executor.0,
                    });
                    update.error = error.to_string();
                }
            }
            this.metrics.task_ended(update.succeeded, update.duration_ms, update.bytes, update.spill_bytes);
            drop(listed);
            if this.lose_status() {
                tracing::warn!("losing the status of task {}.{} ({DROP_TASK_STATUSES_ENV})", task.stage, task.partition);
                return;
            }
            let mut driver = this.driver.clone();
            if let Err(status) = driver.task_status(update).await {
                tracing::warn!("could not report task status: {}", status.message());
            }
        });
        running.insert(listed_as, handle.abort_handle());
    }

    /// Stops a running task: its future is dropped at its next await point and its status
    /// is not reported. It stays listed as running until it is gone.
    pub fn kill(&self, task: &TaskRef) {
        let handle = self.running.lock().unwrap_or_else(PoisonError::into_inner).get(&key(task)).cloned();
        if let Some(handle) = handle {
            handle.abort();
            let mut killed = self.killed.lock().unwrap_or_else(PoisonError::into_inner);
            if killed.len() >= KILLED_KEPT {
                killed.remove(0);
            }
            killed.push(*task);
            tracing::info!("killed task {}.{} (attempt {}) of job {}", task.stage, task.partition, task.attempt, task.job);
        }
    }

    /// Whether to lose the next status (see [`DROP_TASK_STATUSES_ENV`]).
    fn lose_status(&self) -> bool {
        use std::sync::atomic::Ordering;
        self.statuses_to_drop.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok()
    }

    /// The most recent tasks killed here (at most a thousand), oldest first.
    pub fn killed(&self) -> Vec<TaskRef> {
        self.killed.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Forgets a finished job's tasks.
    pub fn remove_job(&self, job: u64) {
        self.attempts.remove_job(job);
    }

    /// Runs one task: a map task's plan writes its blocks; a result task's plan is wrapped
    /// in a [`ShuffleWriterExec`] with a single output, so its rows become one block the
    /// driver streams from this executor's block service instead of one large message.
    /// The task's object stores are built from its job's Hadoop keys.
    async fn run(&self, task: &TaskRef, definition: &TaskDefinition) -> Result<TaskOutput> {
        let runtime = self.storage.runtime(&definition.hadoop_conf)?;
        let ctx = Arc::new(TaskContext::from(&*self.session.context().state_ref().read()).with_runtime(runtime));
        let started = std::time::Instant::now();
        let mut plan = decode_plan(&definition.plan, &ctx, self.shuffle.clone())?;
        plan = flint_engine::spillable_join::with_spillable_joins(plan, ctx.memory_pool().memory_limit(), self.cores)?;
        let fragment = Arc::clone(&plan);
        if definition.result_stage {
            let writer =
                ShuffleWriterExec::new(plan, JobId(task.job), StageId(task.stage as usize), ShuffleOutput::Single, self.shuffle.work_dir.clone());
            plan = Arc::new(writer.with_compression(self.shuffle.compress));
        }
        let decoded = started.elapsed();
        let batches = collect(plan.execute(task.partition as usize, ctx)?).await?;
        tracing::debug!("task {}.{}: decoded in {decoded:?}, ran in {:?}", task.stage, task.partition, started.elapsed() - decoded);
        let spill_bytes = spilled_bytes(&plan);
        let shuffle_read = shuffle_read(&plan);
        let (mut rows, mut bytes) = (0, 0);
        for batch in &batches {
            let column = |i: usize| {
                batch
                    .column(i)
                    .as_any()
                    .downcast_ref::<arrow::array::UInt64Array>()
                    .map(|a| a.values().iter().sum::<u64>())
                    .ok_or_else(|| DataFusionError::Internal("map task returned no block sizes".to_string()))
            };
            rows += column(1)?;
            bytes += column(2)?;
        }
        let operators = plan_metrics(fragment.as_ref())
            .into_iter()
            .map(|metrics| OperatorMetrics {
                metrics: metrics.into_iter().map(|(name, value)| OperatorMetric { name, value }).collect(),
            })
            .collect();
        Ok(TaskOutput { rows, bytes, spill_bytes, shuffle_read, operators })
    }
}

/// What a successful task produced.
struct TaskOutput {
    rows: u64,
    bytes: u64,
    spill_bytes: u64,
    shuffle_read: ShuffleReadTotals,
    operators: Vec<OperatorMetrics>,
}

/// The gauges `/metrics` reads at each scrape.
impl Gauges for TaskRunner {
    fn running_tasks(&self) -> usize {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn memory_used_bytes(&self) -> usize {
        self.session.context().runtime_env().memory_pool.reserved()
    }

    fn memory_limit_bytes(&self) -> usize {
        self.memory_limit
    }
}
