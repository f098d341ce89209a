//! The scheduler's I/O shell: serves `DriverService` to executors, owns the executor
//! registry, DAG and task schedulers in one event loop, launches tasks over
//! `ExecutorService`, and runs jobs for sessions as their [`JobRunner`].

use crate::cache_registry::CacheRegistry;
use crate::cluster::{ClusterBackend, ExecutorExit};
use crate::dag_scheduler::{DagScheduler, LostOutputs};
use crate::executor_registry::{ExecutorInfo, ExecutorRegistry};
use crate::task_scheduler::{Assignment, TaskScheduler};
use arrow::array::RecordBatch;
use arrow::ipc::reader::StreamReader;
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::ExecutionPlan;
use flint_engine::config::SparkConf;
use flint_engine::ids::{CacheId, ExecutorId, JobId, StageId};
use flint_engine::job_runner::JobRunner;
use flint_engine::planner::{Stage, resolve_shuffle_reads, split_into_stages};
use flint_engine::progress::{JobProgress, TaskMetrics};
use flint_engine::proto::encode_plan;
use flint_engine::shuffle::MapOutputLocation;
use flint_proto::driver_service_server::{DriverService, DriverServiceServer};
use flint_proto::executor_service_client::ExecutorServiceClient;
use flint_proto::{
    CleanupJobRequest, HeartbeatRequest, HeartbeatResponse, KillTaskRequest, LaunchTasksRequest,
    RegisterExecutorRequest, RegisterExecutorResponse, StopExecutorRequest, TaskDefinition, TaskRef, TaskStatusAck,
    TaskStatusUpdate,
};
use futures::future::BoxFuture;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

/// Scheduler settings from Spark keys.
#[derive(Debug, Clone)]
pub struct SchedulerConf {
    /// `spark.task.maxFailures` (default 4).
    pub max_failures: u32,
    /// `spark.network.timeout` (default 120s): a silent executor is lost after it.
    pub network_timeout: Duration,
    /// Fetch failures tolerated per job before it fails (Spark's stage attempts, 4).
    pub max_fetch_failures: u32,
}

impl SchedulerConf {
    /// Reads `spark.task.maxFailures` and `spark.network.timeout`.
    pub fn from_spark(conf: &SparkConf) -> Self {
        let max_failures = conf.get("spark.task.maxFailures").and_then(|v| v.trim().parse().ok()).unwrap_or(4);
        let network_timeout = conf.get("spark.network.timeout").and_then(parse_duration).unwrap_or(Duration::from_secs(120));
        Self { max_failures, network_timeout, max_fetch_failures: 4 }
    }
}

/// Parses Spark durations: `120s`, `500ms`, `2m`, or bare seconds.
pub fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim().to_ascii_lowercase();
    let split = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let n: u64 = number.parse().ok()?;
    match unit {
        "" | "s" => Some(Duration::from_secs(n)),
        "ms" => Some(Duration::from_millis(n)),
        "m" | "min" => Some(Duration::from_secs(n * 60)),
        "h" => Some(Duration::from_secs(n * 3600)),
        _ => None,
    }
}

enum Event {
    Register(RegisterExecutorRequest, oneshot::Sender<Result<(), Status>>),
    Heartbeat(HeartbeatRequest, oneshot::Sender<bool>),
    Status(TaskStatusUpdate),
    Exit(ExecutorExit),
    Submit(Box<ActiveJob>),
    ReleaseCache(CacheId, oneshot::Sender<()>),
    Tick,
    Shutdown(oneshot::Sender<()>),
}

struct ActiveJob {
    id: JobId,
    dag: DagScheduler,
    progress: Arc<JobProgress>,
    reply: oneshot::Sender<Result<Vec<RecordBatch>>>,
    fetch_failures: u32,
}

/// Runs jobs on a cluster's executors. Cheap to share; dropping the last handle does not
/// stop executors: call [`ClusterScheduler::shutdown`].
#[derive(Debug)]
pub struct ClusterScheduler {
    events: mpsc::UnboundedSender<Event>,
    next_job: AtomicU64,
    address: String,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Event")
    }
}

impl ClusterScheduler {
    /// Serves `DriverService` on loopback, starts the backend's executors and the event loop.
    pub async fn start(backend: Arc<dyn ClusterBackend>, conf: SchedulerConf) -> std::io::Result<Arc<Self>> {
        Self::start_on(backend, conf, ([127, 0, 0, 1], 0).into(), None).await
    }

    /// As [`ClusterScheduler::start`], serving `DriverService` on `bind` and telling
    /// executors to reach it at `advertise` (a host, e.g. the pod IP) instead of the bound
    /// address: in a pod the driver binds 0.0.0.0 and advertises its pod IP.
    pub async fn start_on(
        backend: Arc<dyn ClusterBackend>,
        conf: SchedulerConf,
        bind: std::net::SocketAddr,
        advertise: Option<String>,
    ) -> std::io::Result<Arc<Self>> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let bound = listener.local_addr()?;
        let address = match advertise {
            Some(host) => format!("{host}:{}", bound.port()),
            None => bound.to_string(),
        };
        let (events, receiver) = mpsc::unbounded_channel();
        let service = DriverServiceImpl { events: events.clone() };
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(
                    DriverServiceServer::new(service)
                        .max_decoding_message_size(usize::MAX)
                        .max_encoding_message_size(usize::MAX),
                )
                .serve_with_incoming(flint_proto::incoming(listener)),
        );
        let (exits_tx, mut exits_rx) = mpsc::unbounded_channel();
        let forward = events.clone();
        tokio::spawn(async move {
            while let Some(exit) = exits_rx.recv().await {
                if forward.send(Event::Exit(exit)).is_err() {
                    break;
                }
            }
        });
        let ticks = events.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if ticks.send(Event::Tick).is_err() {
                    break;
                }
            }
        });
        let state = State {
            registry: ExecutorRegistry::new(flint_proto::PROTOCOL_VERSION, conf.network_timeout),
            tasks: TaskScheduler::new(conf.max_failures),
            conf,
            clients: HashMap::new(),
            job: None,
            exits: Vec::new(),
            expected: backend.executors(),
            events: events.clone(),
            backend: Arc::clone(&backend),
            caches: CacheRegistry::default(),
        };
        tokio::spawn(state.run(receiver));
        backend.start(format!("http://{address}"), exits_tx).await?;
        Ok(Arc::new(Self { events, next_job: AtomicU64::new(0), address }))
    }

    /// The driver's `DriverService` address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Stops every executor and waits until they were told.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.events.send(Event::Shutdown(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

impl JobRunner for ClusterScheduler {
    fn run_job(&self, plan: Arc<dyn ExecutionPlan>, progress: Arc<JobProgress>) -> BoxFuture<'_, Result<Vec<RecordBatch>>> {
        Box::pin(async move {
            let id = JobId(self.next_job.fetch_add(1, Ordering::Relaxed));
            let stages = split_into_stages(id, plan)?;
            for stage in &stages.stages {
                progress.add_stage_tasks(id.0, stage.id.0, stage.partitions);
            }
            let (reply, result) = oneshot::channel();
            let job = ActiveJob { id, dag: DagScheduler::new(stages), progress, reply, fetch_failures: 0 };
            self.events
                .send(Event::Submit(Box::new(job)))
                .map_err(|_| DataFusionError::Execution("the scheduler has stopped".to_string()))?;
            result.await.map_err(|_| DataFusionError::Execution("the scheduler dropped the job".to_string()))?
        })
    }

    fn keeps_cached_partitions(&self) -> bool {
        true
    }

    fn release_cache(&self, cache: CacheId) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let (reply, done) = oneshot::channel();
            self.events
                .send(Event::ReleaseCache(cache, reply))
                .map_err(|_| DataFusionError::Execution("the scheduler has stopped".to_string()))?;
            done.await.map_err(|_| DataFusionError::Execution("the scheduler stopped releasing the cache".to_string()))
        })
    }
}

struct State {
    registry: ExecutorRegistry,
    tasks: TaskScheduler,
    conf: SchedulerConf,
    clients: HashMap<ExecutorId, ExecutorServiceClient<Channel>>,
    job: Option<ActiveJob>,
    exits: Vec<String>,
    expected: usize,
    events: mpsc::UnboundedSender<Event>,
    backend: Arc<dyn ClusterBackend>,
    caches: CacheRegistry,
}

impl State {
    async fn run(mut self, mut events: mpsc::UnboundedReceiver<Event>) {
        while let Some(event) = events.recv().await {
            match event {
                Event::Register(request, reply) => {
                    let _ = reply.send(self.register(request).await);
                }
                Event::Heartbeat(request, reply) => {
                    let _ = reply.send(self.registry.heartbeat(&ExecutorId(request.executor_id), Instant::now()));
                }
                Event::Status(update) => self.status(update),
                Event::Exit(exit) => self.executor_gone(exit.executor, &exit.reason),
                Event::Tick => {
                    for executor in self.registry.expired(Instant::now()) {
                        let reason = format!("no heartbeat for {:?} (spark.network.timeout)", self.conf.network_timeout);
                        self.executor_gone(executor, &reason);
                    }
                }
                Event::Submit(job) => {
                    tracing::info!("{} submitted with {} stages", job.id, job.dag.plan().stages.len());
                    self.job = Some(self.with_cached_partitions(*job));
                }
                Event::ReleaseCache(cache, reply) => {
                    self.release_cache(cache);
                    let _ = reply.send(());
                }
                Event::Shutdown(reply) => {
                    for client in self.clients.values() {
                        let mut client = client.clone();
                        let request = StopExecutorRequest { reason: "the application ended".to_string() };
                        let _ = tokio::time::timeout(Duration::from_secs(2), client.stop_executor(request)).await;
                    }
                    self.backend.stop();
                    let _ = reply.send(());
                    return;
                }
            }
            self.schedule();
        }
    }

    async fn register(&mut self, request: RegisterExecutorRequest) -> Result<(), Status> {
        let id = ExecutorId(request.executor_id.clone());
        let info = ExecutorInfo {
            address: request.address.clone(),
            cores: request.cores as usize,
            work_dir: PathBuf::from(&request.work_dir),
            pid: request.pid,
            last_seen: Instant::now(),
        };
        if let Err(refused) = self.registry.register(id.clone(), request.protocol_version, info) {
            let message = refused.to_string();
            eprintln!("flint: refused {id}: {message}");
            self.exits.push(format!("{id} was refused: {message}"));
            return Err(Status::failed_precondition(message));
        }
        let client = ExecutorServiceClient::connect(format!("http://{}", request.address))
            .await
            .map_err(|e| Status::unavailable(format!("the driver cannot reach {id} at {}: {e}", request.address)))?
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX);
        self.clients.insert(id.clone(), client);
        self.tasks.add_executor(id.clone(), request.cores as usize);
        eprintln!("flint: registered {id} (pid {}, {} cores) at {}", request.pid, request.cores, request.address);
        Ok(())
    }

    fn status(&mut self, update: TaskStatusUpdate) {
        let executor = ExecutorId(update.executor_id.clone());
        let Some(task) = update.task else { return };
        let stage = StageId(task.stage as usize);
        let key = (stage, task.partition as usize);
        let Some(job) = self.job.as_mut() else { return };
        if task.job != job.id.0 || !self.tasks.finished(key, task.attempt, &executor) {
            return;
        }
        if update.succeeded {
            job.progress.task_finished(job.id.0, stage.0, task_metrics(&update));
            if job.dag.is_result_stage(stage) {
                job.progress.add_rows(update.rows as usize);
                job.dag.result_finished(key.1, update.result);
            } else if let Some(info) = self.registry.get(&executor) {
                let location = MapOutputLocation {
                    executor: executor.clone(),
                    work_dir: info.work_dir.clone(),
                    address: info.address.clone(),
                };
                job.dag.map_finished(stage, key.1, location);
            }
            return;
        }
        job.progress.task_failed(job.id.0, stage.0);
        if let Some(fetch) = update.fetch_failure {
            eprintln!(
                "flint: task {} of stage {} could not fetch map output {} of stage {} from executor {}; recomputing it",
                key.1, stage.0, fetch.map, fetch.stage, fetch.executor
            );
            let lost = losing_outputs(job, |dag| dag.fetch_failed(key, &ExecutorId(fetch.executor)));
            tracing::info!("{} map outputs to recompute", lost.outputs);
            // Only a failure that loses outputs counts: reducers that fetched from an
            // executor already known to be lost, or read an output since replaced,
            // report nothing new.
            if lost.outputs > 0 {
                job.fetch_failures += 1;
            }
            let (id, failures) = (job.id, job.fetch_failures);
            self.roll_back(id, &lost);
            if failures > self.conf.max_fetch_failures {
                let message = format!(
                    "{id} failed: {failures} shuffle fetch failures (last in task {} of stage {}): {}",
                    key.1, stage.0, update.error
                );
                self.fail_job(message);
            }
            return;
        }
        eprintln!("flint: task {} of stage {} failed on {executor} (attempt {}): {}", key.1, stage.0, task.attempt, update.error);
        if let Err(exhausted) = self.tasks.record_failure(key, &executor, &update.error) {
            let message = format!("{} failed: {exhausted}", job.id);
            self.fail_job(message);
        }
    }

    fn executor_gone(&mut self, executor: ExecutorId, reason: &str) {
        self.exits.push(format!("{executor}: {reason}"));
        if self.registry.remove(&executor) {
            eprintln!("flint: lost {executor}: {reason}");
            let requeued = self.tasks.remove_executor(&executor);
            self.clients.remove(&executor);
            self.forget_cached_partitions(&executor);
            if let Some(job) = self.job.as_mut() {
                let lost = losing_outputs(job, |dag| dag.executor_lost(&executor));
                eprintln!(
                    "flint: rerunning {} tasks that were running and {} lost map outputs",
                    requeued.len(),
                    lost.outputs
                );
                let id = job.id;
                self.roll_back(id, &lost);
            }
        }
    }

    fn fail_job(&mut self, message: String) {
        let Some(job) = self.job.take() else { return };
        eprintln!("flint: {message}");
        self.record_cached_partitions(&job);
        self.kill(job.id, &self.tasks.running());
        self.tasks.clear_tasks();
        self.cleanup(job.id);
        let _ = job.reply.send(Err(DataFusionError::Execution(message)));
    }

    /// Stages downstream of a lost round-robin output run again from scratch: their
    /// running attempts read the lost attempt's blocks, so they are killed and forgotten.
    fn roll_back(&mut self, job: JobId, lost: &LostOutputs) {
        if lost.rolled_back.is_empty() {
            return;
        }
        let stages: Vec<String> = lost.rolled_back.iter().map(|s| s.0.to_string()).collect();
        eprintln!("flint: a lost map output was round-robin; recomputing stages {} from scratch", stages.join(", "));
        let abandoned = self.tasks.abandon(&lost.rolled_back);
        self.kill(job, &abandoned);
    }

    fn kill(&self, job: JobId, tasks: &[Assignment]) {
        for running in tasks {
            if let Some(client) = self.clients.get(&running.executor) {
                let mut client = client.clone();
                let task = Some(task_ref(job, running));
                tokio::spawn(async move { client.kill_task(KillTaskRequest { task }).await });
            }
        }
    }

    fn cleanup(&self, job: JobId) {
        for client in self.clients.values() {
            let mut client = client.clone();
            tokio::spawn(async move { client.cleanup_job(CleanupJobRequest { job: job.0 }).await });
        }
    }

    fn schedule(&mut self) {
        let Some(job) = self.job.as_mut() else { return };
        if job.dag.is_done() {
            let Some(job) = self.job.take() else { return };
            self.finish(job);
            return;
        }
        if self.registry.is_empty() && self.exits.len() >= self.expected {
            let message = format!("{} failed: no executor is left ({})", job.id, self.exits.join("; "));
            self.fail_job(message);
            return;
        }
        let runnable = job.dag.runnable();
        // Every task of a stage launched now reads the same map outputs: one encoding each.
        let mut encoded: HashMap<StageId, Vec<u8>> = HashMap::new();
        for assignment in self.tasks.assign(&runnable) {
            let Some(stage) = job.dag.plan().stage(assignment.stage) else { continue };
            let result_stage = job.dag.is_result_stage(assignment.stage);
            let plan = match encoded.get(&stage.id) {
                Some(plan) => Ok(plan.clone()),
                None => encode_stage(stage, job.dag.outputs()),
            };
            let plan = match plan {
                Ok(plan) => encoded.entry(stage.id).or_insert(plan).clone(),
                Err(e) => {
                    let message = format!("{} failed: stage {} cannot be sent to executors: {e}", job.id, stage.id.0);
                    self.fail_job(message);
                    return;
                }
            };
            let Some(client) = self.clients.get(&assignment.executor) else { continue };
            job.dag.task_launched((assignment.stage, assignment.partition));
            let mut client = client.clone();
            let definition = TaskDefinition { task: Some(task_ref(job.id, &assignment)), plan, result_stage };
            let events = self.events.clone();
            let executor = assignment.executor.clone();
            tokio::spawn(async move {
                let request = LaunchTasksRequest { tasks: vec![definition] };
                if let Err(status) = client.launch_tasks(request).await {
                    let reason = format!("task launch failed: {}", status.message());
                    let _ = events.send(Event::Exit(ExecutorExit { executor, reason }));
                }
            });
        }
    }

    fn finish(&mut self, mut job: ActiveJob) {
        self.record_cached_partitions(&job);
        self.tasks.clear_tasks();
        self.cleanup(job.id);
        let mut batches = Vec::new();
        for bytes in job.dag.take_results() {
            match StreamReader::try_new(bytes.as_slice(), None) {
                Ok(reader) => {
                    for batch in reader {
                        match batch {
                            Ok(batch) => batches.push(batch),
                            Err(e) => {
                                let _ = job.reply.send(Err(e.into()));
                                return;
                            }
                        }
                    }
                }
                Err(e) => {
                    let _ = job.reply.send(Err(e.into()));
                    return;
                }
            }
        }
        tracing::info!("{} finished", job.id);
        for stage in job.progress.stages(job.id.0) {
            tracing::info!("{stage}");
        }
        let _ = job.reply.send(Ok(batches));
    }
}

/// Cached relations: their partitions outlive jobs, in the executors' block managers.
impl State {
    /// `job` starting with the cache partitions live executors hold; the tasks that no
    /// longer need to run leave its progress (Spark's skipped stages).
    fn with_cached_partitions(&self, mut job: ActiveJob) -> ActiveJob {
        let before = job.dag.pending_tasks();
        let (dag, uses) = self.caches.prepare(job.dag.plan().clone());
        let after = dag.pending_tasks();
        for (stage, tasks) in before {
            let skipped = tasks.saturating_sub(after.get(&stage).copied().unwrap_or(0));
            if skipped > 0 {
                job.progress.skip_stage_tasks(job.id.0, stage.0, skipped);
            }
        }
        for used in uses {
            eprintln!(
                "flint: {} reads {}: computing partitions {:?} of {}",
                job.id, used.cache, used.missing, used.partitions
            );
        }
        job.dag = dag;
        job
    }

    /// Keeps the cache partitions `job` computed.
    fn record_cached_partitions(&mut self, job: &ActiveJob) {
        for (cache, partition, executor) in self.caches.record(&job.dag) {
            eprintln!("flint: {cache} partition {partition} is on {executor}");
        }
    }

    /// Forgets the cache partitions a lost executor held.
    fn forget_cached_partitions(&mut self, executor: &ExecutorId) {
        for (cache, partitions) in self.caches.executor_lost(executor) {
            eprintln!("flint: {cache} lost partitions {partitions:?} with {executor}");
        }
    }

    /// Forgets `cache` and removes its blocks from every executor.
    fn release_cache(&mut self, cache: CacheId) {
        if self.caches.remove(cache) {
            eprintln!("flint: released {cache}");
        }
        self.cleanup(cache.job());
    }
}

/// Applies a change that loses map outputs to the job's DAG, counting the tasks it adds to
/// each stage in the job's progress.
fn losing_outputs(job: &mut ActiveJob, change: impl FnOnce(&mut DagScheduler) -> LostOutputs) -> LostOutputs {
    let before = job.dag.pending_tasks();
    let lost = change(&mut job.dag);
    for (stage, missing) in job.dag.pending_tasks() {
        let added = missing.saturating_sub(before.get(&stage).copied().unwrap_or(0));
        if added > 0 {
            job.progress.add_stage_tasks(job.id.0, stage.0, added);
        }
    }
    lost
}

/// A stage's plan with its shuffle readers pointed at `outputs`, serialised for executors.
fn encode_stage(stage: &Stage, outputs: &BTreeMap<StageId, Vec<Option<MapOutputLocation>>>) -> Result<Vec<u8>> {
    let started = Instant::now();
    let plan = resolve_shuffle_reads(Arc::clone(&stage.plan), outputs).and_then(encode_plan)?;
    tracing::debug!("stage {}: encoded in {:?}", stage.id.0, started.elapsed());
    Ok(plan)
}

/// What a successful task reported about itself.
fn task_metrics(update: &TaskStatusUpdate) -> TaskMetrics {
    TaskMetrics {
        rows: update.rows,
        bytes: update.bytes,
        duration: Duration::from_millis(update.duration_ms),
        spill_bytes: update.spill_bytes,
    }
}

fn task_ref(job: JobId, assignment: &Assignment) -> TaskRef {
    TaskRef {
        job: job.0,
        stage: assignment.stage.0 as u64,
        partition: assignment.partition as u64,
        attempt: assignment.attempt,
    }
}

/// `DriverService`: forwards executors' calls into the event loop.
struct DriverServiceImpl {
    events: mpsc::UnboundedSender<Event>,
}

impl DriverServiceImpl {
    async fn ask<T>(&self, event: impl FnOnce(oneshot::Sender<T>) -> Event) -> Result<T, Status> {
        let (tx, rx) = oneshot::channel();
        self.events.send(event(tx)).map_err(|_| Status::unavailable("the driver is stopping"))?;
        rx.await.map_err(|_| Status::unavailable("the driver is stopping"))
    }
}

#[tonic::async_trait]
impl DriverService for DriverServiceImpl {
    async fn register_executor(
        &self,
        request: Request<RegisterExecutorRequest>,
    ) -> Result<Response<RegisterExecutorResponse>, Status> {
        self.ask(|tx| Event::Register(request.into_inner(), tx)).await??;
        Ok(Response::new(RegisterExecutorResponse { protocol_version: flint_proto::PROTOCOL_VERSION }))
    }

    async fn heartbeat(&self, request: Request<HeartbeatRequest>) -> Result<Response<HeartbeatResponse>, Status> {
        let known = self.ask(|tx| Event::Heartbeat(request.into_inner(), tx)).await?;
        Ok(Response::new(HeartbeatResponse { unknown_executor: !known }))
    }

    async fn task_status(&self, request: Request<TaskStatusUpdate>) -> Result<Response<TaskStatusAck>, Status> {
        self.events.send(Event::Status(request.into_inner())).map_err(|_| Status::unavailable("the driver is stopping"))?;
        Ok(Response::new(TaskStatusAck {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_durations_parse() {
        assert_eq!(parse_duration("120s"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("soon"), None);
    }
}
