//! The scheduler's I/O shell: one event loop owns the [`SchedulerState`], feeds it what
//! executors, backends and sessions report, and carries out the [`Action`]s it returns
//! (task launches and kills over `ExecutorService`, block clean-up, answers to callers).
//! [`ClusterScheduler`] is the handle sessions run jobs through, as their [`JobRunner`].

use super::conf::SchedulerConf;
use super::executors::{ExecutorInfo, Incarnation};
use super::results::{JobEvent, JobEvents, ResultPartitions, driver_blocks, result_stream};
use super::service::DriverServiceImpl;
use super::state::{Action, LAUNCH_FAILED, MapOutputs, NewJob, SchedulerState, TaskOutcome, TaskUpdate};
use super::tasks::Assignment;
use crate::cluster::{BackendError, BackendEvent, ClusterBackend, DriverEndpoint};
use crate::listener::{ListenerBus, ListenerEvent, scheduler_events};
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream};
use flint_engine::ids::{CacheId, ExecutorId, JobId, StageId, TaskId};
use flint_engine::job_runner::{JobProperties, JobRunner, JobSelector};
use flint_engine::planner::{Stage, resolve_shuffle_reads, split_into_stages};
use flint_engine::progress::{JobProgress, TaskMetrics};
use flint_engine::shuffle::{ShuffleEnv, ShuffleReadTotals};
use flint_engine::proto::encode_plan;
use flint_proto::auth::{AddSecret, AppSecret, RequireSecret, SecretError};
use flint_proto::driver_service_server::DriverServiceServer;
use flint_proto::executor_service_client::ExecutorServiceClient;
use flint_proto::{
    CleanupJobRequest, HeartbeatRequest, KillTaskRequest, LaunchTasksRequest, RegisterExecutorRequest, StopExecutorRequest,
    TaskDefinition, TaskRef, TaskStatusUpdate,
};
use futures::future::BoxFuture;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// A client of an executor's `ExecutorService`, sending the application's secret.
type ExecutorClient = ExecutorServiceClient<InterceptedService<Channel, AddSecret>>;

/// What the event loop is told.
pub(super) enum Event {
    /// An executor registers; the answer says whether it was accepted.
    Register(RegisterExecutorRequest, oneshot::Sender<Result<(), Status>>),
    /// A heartbeat; the answer is whether the executor is known.
    Heartbeat(HeartbeatRequest, oneshot::Sender<bool>),
    /// An attempt ended.
    Status(TaskStatusUpdate),
    /// The backend saw an executor's process go, or wait, or gave up.
    Backend(BackendEvent),
    /// A session submits a job; its result partitions and end go to the sender.
    Submit(NewJob, JobEvents),
    /// Cancel the jobs a selector picks; the answer is how many were.
    Cancel(JobSelector, String, oneshot::Sender<usize>),
    /// A job's caller reads this result partition now.
    ResultsRead(JobId, usize),
    /// A job's caller could not read this result partition's block (none of its rows
    /// passed on): it is computed again.
    ResultLost(JobId, usize, ExecutorId),
    /// A job's caller is done with its results (it read them all, or went away as an
    /// interrupt does): a job still running is cancelled, its blocks removed.
    Released(JobId),
    /// Forget a cached relation's partitions.
    ReleaseCache(CacheId, oneshot::Sender<()>),
    /// Time passed (for heartbeat timeouts).
    Tick,
    /// Stop every executor.
    Shutdown(oneshot::Sender<()>),
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Event")
    }
}

/// Why the scheduler could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `spark.scheduler.allocation.file` or the pools in it are wrong.
    #[error("{0}")]
    Pools(String),
    /// The driver's service could not listen.
    #[error("the driver cannot serve executors on {bind}: {source}")]
    Listen {
        /// The address asked for.
        bind: std::net::SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The application's secret cannot be used.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The backend could not start its executors.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Runs jobs on a cluster's executors, any number at once. Cheap to share; dropping the
/// last handle does not stop executors: call [`ClusterScheduler::shutdown`].
#[derive(Debug)]
pub struct ClusterScheduler {
    events: mpsc::UnboundedSender<Event>,
    next_job: AtomicU64,
    address: String,
    /// `spark.driver.maxResultSize` in bytes (`None`: no limit).
    max_result_size: Option<usize>,
    /// How result blocks are read from the executors.
    blocks: ShuffleEnv,
    /// Where job and SQL execution events go.
    listener: ListenerBus,
}

impl ClusterScheduler {
    /// Serves `DriverService` on loopback, starts the event loop and asks the backend for
    /// `executors` executors; every call between driver and executors carries `secret`.
    pub async fn start(
        backend: Arc<dyn ClusterBackend>,
        conf: SchedulerConf,
        secret: AppSecret,
        executors: usize,
    ) -> Result<Arc<Self>, StartError> {
        Self::start_on(backend, conf, ([127, 0, 0, 1], 0).into(), None, secret, executors).await
    }

    /// As [`ClusterScheduler::start`], serving `DriverService` on `bind` and telling
    /// executors to reach it at `advertise` (a host, e.g. the pod IP) instead of the bound
    /// address: in a pod the driver binds its pod IP or 0.0.0.0 and advertises its pod IP.
    pub async fn start_on(
        backend: Arc<dyn ClusterBackend>,
        conf: SchedulerConf,
        bind: std::net::SocketAddr,
        advertise: Option<String>,
        secret: AppSecret,
        executors: usize,
    ) -> Result<Arc<Self>, StartError> {
        let max_result_size = conf.max_result_size;
        let bus = conf.listener.clone();
        let pools = conf.pools().map_err(|e| StartError::Pools(e.to_string()))?;
        let listen_error = |source| StartError::Listen { bind, source };
        let listener = tokio::net::TcpListener::bind(bind).await.map_err(listen_error)?;
        let bound = listener.local_addr().map_err(listen_error)?;
        let address = match advertise {
            Some(host) => format!("{host}:{}", bound.port()),
            None => bound.to_string(),
        };
        let (events, receiver) = mpsc::unbounded_channel();
        let service = DriverServiceServer::new(DriverServiceImpl::new(events.clone(), conf.executor_conf.clone()))
            .max_decoding_message_size(usize::MAX)
            .max_encoding_message_size(usize::MAX);
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(InterceptedService::new(service, RequireSecret::new(&secret, "the driver")))
                .serve_with_incoming(flint_proto::incoming(listener)),
        );
        let (backend_tx, mut backend_rx) = mpsc::unbounded_channel();
        let forward = events.clone();
        tokio::spawn(async move {
            while let Some(event) = backend_rx.recv().await {
                if forward.send(Event::Backend(event)).is_err() {
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
        let shell = EventLoop {
            state: SchedulerState::new(&conf, pools, flint_proto::PROTOCOL_VERSION),
            auth: AddSecret::new(&secret)?,
            clients: HashMap::new(),
            replies: HashMap::new(),
            events: events.clone(),
            backend: Arc::clone(&backend),
            listener: bus.clone(),
        };
        tokio::spawn(shell.run(receiver));
        let blocks = driver_blocks(AddSecret::new(&secret)?);
        backend.start(DriverEndpoint { url: format!("http://{address}"), secret }, backend_tx).await?;
        backend.request_total(executors).await?;
        Ok(Arc::new(Self { events, next_job: AtomicU64::new(0), address, max_result_size, blocks, listener: bus }))
    }

    /// The driver's `DriverService` address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Stops every executor and waits until they were told, then ends the application
    /// for the listeners (the event log is flushed).
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.events.send(Event::Shutdown(tx)).is_ok() {
            let _ = rx.await;
        }
        self.listener.post(ListenerEvent::ApplicationEnd { time: crate::listener::events::now_millis() });
        self.listener.flush().await;
    }

    fn stopped() -> DataFusionError {
        DataFusionError::Execution("the scheduler has stopped".to_string())
    }
}

impl JobRunner for ClusterScheduler {
    /// Submits the job and streams its result partitions from the executors holding them
    /// (see [`super::results`]), in partition order, as they finish.
    fn execute_stream(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        progress: Arc<JobProgress>,
    ) -> BoxFuture<'_, Result<SendableRecordBatchStream>> {
        Box::pin(async move {
            let id = JobId(self.next_job.fetch_add(1, Ordering::Relaxed));
            let schema = plan.schema();
            let physical = Arc::clone(&plan);
            let plan = split_into_stages(id, plan)?;
            for stage in &plan.stages {
                progress.add_stage_tasks(id.0, stage.id.0, stage.partitions);
            }
            let (stage, partitions) = plan
                .result_stage()
                .map(|stage| (stage.id, stage.partitions))
                .ok_or_else(|| DataFusionError::Internal(format!("{id} has no result stage")))?;
            let (events, results) = mpsc::unbounded_channel();
            let properties = JobProperties::current();
            if self.listener.is_enabled() {
                for event in scheduler_events::job_submitted(&physical, &plan, &properties) {
                    self.listener.post(event);
                }
            }
            let job = NewJob { plan, properties, progress };
            self.events.send(Event::Submit(job, events)).map_err(|_| Self::stopped())?;
            let result = ResultPartitions { job: id, stage, partitions };
            let batches = result_stream(result, results, self.blocks.clone(), self.max_result_size, self.events.clone());
            Ok(Box::pin(RecordBatchStreamAdapter::new(schema, batches)) as SendableRecordBatchStream)
        })
    }

    fn keeps_cached_partitions(&self) -> bool {
        true
    }

    fn release_cache(&self, cache: CacheId) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let (reply, done) = oneshot::channel();
            self.events.send(Event::ReleaseCache(cache, reply)).map_err(|_| Self::stopped())?;
            done.await.map_err(|_| DataFusionError::Execution("the scheduler stopped releasing the cache".to_string()))
        })
    }

    fn cancel_jobs(&self, selector: JobSelector, reason: String) -> BoxFuture<'_, usize> {
        Box::pin(async move {
            let (reply, cancelled) = oneshot::channel();
            if self.events.send(Event::Cancel(selector, reason, reply)).is_err() {
                return 0;
            }
            cancelled.await.unwrap_or(0)
        })
    }
}

/// The event loop's own state besides the pure core: connections and waiting callers.
struct EventLoop {
    state: SchedulerState,
    auth: AddSecret,
    clients: HashMap<ExecutorId, ExecutorClient>,
    replies: HashMap<JobId, JobEvents>,
    events: mpsc::UnboundedSender<Event>,
    backend: Arc<dyn ClusterBackend>,
    listener: ListenerBus,
}

impl EventLoop {
    async fn run(mut self, mut events: mpsc::UnboundedReceiver<Event>) {
        while let Some(event) = events.recv().await {
            let actions = match event {
                Event::Register(request, reply) => {
                    let (outcome, actions) = self.register(request).await;
                    let _ = reply.send(outcome);
                    actions
                }
                Event::Heartbeat(request, reply) => {
                    let running: Vec<TaskId> = request.running.iter().map(task_id).collect();
                    let (known, actions) =
                        self.state.heartbeat(&ExecutorId(request.executor_id), &running, Instant::now());
                    let _ = reply.send(known);
                    actions
                }
                Event::Status(update) => {
                    let operators = operator_metrics(&update);
                    match task_update(update) {
                        Some(update) => {
                            self.post_task_end(&update, operators);
                            self.state.status(update)
                        }
                        None => Vec::new(),
                    }
                }
                Event::Backend(event) => self.backend_event(event),
                Event::Tick => self.state.tick(Instant::now()),
                Event::Submit(job, reply) => {
                    self.replies.insert(job.plan.job, reply);
                    self.state.submit(job)
                }
                Event::Cancel(selector, reason, reply) => {
                    let actions = self.state.cancel(&selector, &reason);
                    let cancelled = actions.iter().filter(|a| matches!(a, Action::Finished { .. })).count();
                    let _ = reply.send(cancelled);
                    actions
                }
                Event::ResultsRead(job, partition) => self.state.results_read(job, partition),
                Event::ResultLost(job, partition, executor) => self.state.result_lost(job, partition, &executor),
                Event::Released(job) => self.state.release(job),
                Event::ReleaseCache(cache, reply) => {
                    let actions = self.state.release_cache(cache);
                    let _ = reply.send(());
                    actions
                }
                Event::Shutdown(reply) => {
                    for client in self.clients.values() {
                        let mut client = client.clone();
                        let request = StopExecutorRequest { reason: "the application ended".to_string() };
                        let _ = tokio::time::timeout(Duration::from_secs(2), client.stop_executor(request)).await;
                    }
                    self.backend.stop().await;
                    let _ = reply.send(());
                    return;
                }
            };
            self.carry_out(actions);
        }
    }

    /// Tells the listeners `executor` is gone, with the reason last recorded for it.
    fn post_executor_removed(&self, executor: &ExecutorId) {
        let reason = self.state.exit_reason(executor).unwrap_or("lost").to_string();
        let time = crate::listener::events::now_millis();
        self.listener.post(ListenerEvent::ExecutorRemoved { time, executor_id: executor.0.clone(), reason });
    }

    /// What the backend reports: exits are lost executors, and once it gives up, jobs
    /// fail when no executor is left.
    fn backend_event(&mut self, event: BackendEvent) -> Vec<Action> {
        match event {
            BackendEvent::Exited { executor, reason } => self.state.executor_gone(&executor, &reason),
            BackendEvent::Pending { executor, reason } => {
                tracing::info!(%executor, %reason, "executor pending");
                Vec::new()
            }
            BackendEvent::Unschedulable { reason } => {
                tracing::warn!(%reason, "executors cannot be scheduled");
                eprintln!("flint: waiting for executors: {reason}");
                Vec::new()
            }
            BackendEvent::GaveUp { reason } => {
                self.state.backend_gave_up(&reason);
                Vec::new()
            }
        }
    }

    /// Connects to a registering executor, then registers it with the core (which may
    /// refuse it). One registering again replaces its old connection.
    async fn register(&mut self, request: RegisterExecutorRequest) -> (Result<(), Status>, Vec<Action>) {
        let id = ExecutorId(request.executor_id.clone());
        let endpoint = match Endpoint::from_shared(format!("http://{}", request.address)) {
            Ok(endpoint) => endpoint,
            Err(e) => return (Err(unreachable(&id, &request.address, &e.to_string())), Vec::new()),
        };
        let connected = tokio::time::timeout(Duration::from_secs(10), endpoint.connect()).await;
        let client = match connected {
            Ok(Ok(channel)) => ExecutorServiceClient::with_interceptor(channel, self.auth.clone())
                .max_decoding_message_size(usize::MAX)
                .max_encoding_message_size(usize::MAX),
            Ok(Err(e)) => return (Err(unreachable(&id, &request.address, &e.to_string())), Vec::new()),
            Err(_) => return (Err(unreachable(&id, &request.address, "timed out after 10s")), Vec::new()),
        };
        let info = ExecutorInfo {
            address: request.address.clone(),
            cores: request.cores as usize,
            work_dir: PathBuf::from(&request.work_dir),
            incarnation: Incarnation { name: request.name.clone(), epoch: request.epoch },
            pid: request.pid,
            last_seen: Instant::now(),
        };
        match self.state.register(id.clone(), request.protocol_version, info) {
            Ok(mut actions) => {
                actions.retain(|action| action != &Action::Disconnect(id.clone()));
                self.listener.post(ListenerEvent::ExecutorAdded {
                    time: crate::listener::events::now_millis(),
                    executor_id: id.0.clone(),
                    host_port: request.address.clone(),
                    total_cores: request.cores as usize,
                });
                self.clients.insert(id, client);
                (Ok(()), actions)
            }
            Err(refused) => (Err(Status::failed_precondition(refused.to_string())), Vec::new()),
        }
    }

    /// Carries out actions, and the scheduling round after them, until nothing is left.
    fn carry_out(&mut self, actions: Vec<Action>) {
        let mut queue: VecDeque<Action> = actions.into();
        queue.extend(self.state.schedule());
        // Kills and clean-ups go to each executor in order, so a job's blocks are removed
        // after its attempts stopped writing them.
        let mut per_executor: BTreeMap<ExecutorId, Vec<Request>> = BTreeMap::new();
        while let Some(action) = queue.pop_front() {
            match action {
                Action::Launch(assignments) => {
                    for assignment in &assignments {
                        self.listener.post(scheduler_events::task_started(&assignment.task, &assignment.executor.0));
                    }
                    let more = self.launch(assignments);
                    if !more.is_empty() {
                        queue.extend(more);
                        queue.extend(self.state.schedule());
                    }
                }
                Action::Kill(assignment) => {
                    per_executor.entry(assignment.executor.clone()).or_default().push(Request::Kill(task_ref(assignment.task)));
                }
                Action::Cleanup(job) => {
                    for executor in self.clients.keys() {
                        per_executor.entry(executor.clone()).or_default().push(Request::Cleanup(job));
                    }
                }
                Action::ExitReason(executor) => self.post_executor_removed(&executor),
                Action::Disconnect(executor) => {
                    self.post_executor_removed(&executor);
                    self.clients.remove(&executor);
                    let backend = Arc::clone(&self.backend);
                    tokio::spawn(async move {
                        if let Err(error) = backend.kill(vec![executor.clone()]).await {
                            tracing::warn!(%executor, %error, "cannot end a lost executor's process");
                        }
                    });
                }
                Action::Result { job, partition, location } => {
                    if let Some(reply) = self.replies.get(&job) {
                        let _ = reply.send(JobEvent::Partition { partition, location });
                    }
                }
                Action::Withdrawn { job, partition } => {
                    if let Some(reply) = self.replies.get(&job) {
                        let _ = reply.send(JobEvent::Withdrawn { partition });
                    }
                }
                Action::Finished { job, outcome } => {
                    for event in scheduler_events::job_finished(job.0, outcome.as_ref().err().map(ToString::to_string), Vec::new()) {
                        self.listener.post(event);
                    }
                    if let Some(reply) = self.replies.remove(&job) {
                        let _ = reply.send(JobEvent::Finished(outcome));
                    }
                }
            }
        }
        for (executor, requests) in per_executor {
            let Some(client) = self.clients.get(&executor) else { continue };
            let mut client = client.clone();
            tokio::spawn(async move {
                for request in requests {
                    let sent = match request {
                        Request::Kill(task) => client.kill_task(KillTaskRequest { task: Some(task) }).await.map(|_| ()),
                        Request::Cleanup(job) => client.cleanup_job(CleanupJobRequest { job: job.0 }).await.map(|_| ()),
                    };
                    if let Err(status) = sent {
                        tracing::warn!("{executor}: {}", status.message());
                    }
                }
            });
        }
    }

    /// Tells the listeners an attempt ended (with its operators' metrics).
    fn post_task_end(&self, update: &TaskUpdate, operators: Vec<Vec<(String, u64)>>) {
        let outcome = match &update.outcome {
            TaskOutcome::Succeeded { metrics } => Ok(*metrics),
            TaskOutcome::Failed { error, .. } => Err(error.clone()),
        };
        self.listener.post(scheduler_events::task_ended(&update.task, &update.executor.0, outcome, operators));
    }

    /// Encodes each launched stage once and sends each executor its attempts in one
    /// request; returns the actions of jobs whose stage could not be encoded (they fail).
    fn launch(&mut self, assignments: Vec<Assignment>) -> Vec<Action> {
        let mut encoded: HashMap<(JobId, StageId), std::result::Result<EncodedStage, String>> = HashMap::new();
        let mut per_executor: BTreeMap<ExecutorId, Vec<TaskDefinition>> = BTreeMap::new();
        for assignment in assignments {
            let task = assignment.task;
            let plan = encoded.entry((task.job, task.stage)).or_insert_with(|| match self.state.stage(&task) {
                Some((stage, outputs, result_stage)) => encode_stage(stage, outputs).map(|plan| (plan, result_stage)).map_err(|e| e.to_string()),
                None => Err("the stage is not in the job".to_string()),
            });
            if let Ok((plan, result_stage)) = plan {
                let hadoop_conf = self.state.job_properties(task.job).map(|p| p.hadoop_conf.spark_pairs().collect()).unwrap_or_default();
                let definition =
                    TaskDefinition { task: Some(task_ref(task)), plan: plan.clone(), result_stage: *result_stage, hadoop_conf };
                per_executor.entry(assignment.executor).or_default().push(definition);
            }
        }
        let mut actions = Vec::new();
        for ((job, stage), plan) in &encoded {
            if let Err(e) = plan {
                actions.extend(self.state.fail_job(*job, format!("stage {} cannot be sent to executors: {e}", stage.0)));
            }
        }
        for (executor, tasks) in per_executor {
            let tasks: Vec<TaskDefinition> = tasks
                .into_iter()
                .filter(|t| t.task.as_ref().is_some_and(|t| !actions.iter().any(|a| ends(a, JobId(t.job)))))
                .collect();
            let Some(client) = self.clients.get(&executor) else { continue };
            if tasks.is_empty() {
                continue;
            }
            let mut client = client.clone();
            let events = self.events.clone();
            tokio::spawn(async move {
                if let Err(status) = client.launch_tasks(LaunchTasksRequest { tasks }).await {
                    let reason = format!("{LAUNCH_FAILED}{}", status.message());
                    let _ = events.send(Event::Backend(BackendEvent::Exited { executor, reason }));
                }
            });
        }
        actions
    }
}

/// The answer to an executor the driver cannot connect back to.
fn unreachable(id: &ExecutorId, address: &str, error: &str) -> Status {
    tracing::warn!("the driver cannot reach {id} at {address}: {error}");
    Status::unavailable(format!("the driver cannot reach {id} at {address}: {error}"))
}

/// A stage's encoded plan and whether it is the result stage.
type EncodedStage = (Vec<u8>, bool);

/// Whether `action` ends `job`.
fn ends(action: &Action, job: JobId) -> bool {
    matches!(action, Action::Finished { job: ended, .. } if *ended == job)
}

/// A request to one executor, sent in order with the others to it.
enum Request {
    Kill(TaskRef),
    Cleanup(JobId),
}

/// A stage's plan with its shuffle readers pointed at `outputs`, serialised for executors.
fn encode_stage(stage: &Stage, outputs: &MapOutputs) -> Result<Vec<u8>> {
    let started = Instant::now();
    let plan = resolve_shuffle_reads(Arc::clone(&stage.plan), outputs).and_then(encode_plan)?;
    tracing::debug!("stage {}: encoded in {:?}", stage.id.0, started.elapsed());
    Ok(plan)
}

/// The operators' metrics an executor reported with a task, in its fragment's pre-order.
fn operator_metrics(update: &TaskStatusUpdate) -> Vec<Vec<(String, u64)>> {
    update.operator_metrics.iter().map(|operator| operator.metrics.iter().map(|m| (m.name.clone(), m.value)).collect()).collect()
}

/// An executor's report as the core's [`TaskUpdate`]; `None` without a task.
fn task_update(update: TaskStatusUpdate) -> Option<TaskUpdate> {
    let task = task_id(update.task.as_ref()?);
    let outcome = if update.succeeded {
        let metrics = TaskMetrics {
            rows: update.rows,
            bytes: update.bytes,
            duration: Duration::from_millis(update.duration_ms),
            spill_bytes: update.spill_bytes,
            shuffle_read: ShuffleReadTotals {
                records: update.shuffle_read_records,
                local_bytes: update.shuffle_local_bytes_read,
                remote_bytes: update.shuffle_remote_bytes_read,
            },
        };
        TaskOutcome::Succeeded { metrics }
    } else {
        let fetch_failure =
            update.fetch_failure.map(|f| (StageId(f.stage as usize), f.map as usize, ExecutorId(f.executor)));
        TaskOutcome::Failed { error: update.error, fetch_failure }
    };
    Some(TaskUpdate { executor: ExecutorId(update.executor_id), task, outcome })
}

/// The wire form of an attempt.
pub(super) fn task_ref(task: TaskId) -> TaskRef {
    TaskRef { job: task.job.0, stage: task.stage.0 as u64, partition: task.partition as u64, attempt: task.attempt }
}

/// An attempt from its wire form.
pub(super) fn task_id(task: &TaskRef) -> TaskId {
    TaskId { job: JobId(task.job), stage: StageId(task.stage as usize), partition: task.partition as usize, attempt: task.attempt }
}
