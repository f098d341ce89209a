//! The `SparkConnectService` implementation: request routing, session checks and
//! response streams. Planning lives in `plan/`, execution in `execute`.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use flint_engine::job_runner::{JobProperties, JobRunner, JobSelector};
use futures::{Stream, StreamExt};
use spark_connect_proto as sc;
use spark_connect_proto::config_request::operation::OpType;
use spark_connect_proto::interrupt_request::{Interrupt, InterruptType};
use spark_connect_proto::release_execute_request::Release;
use tonic::{Request, Response, Status};

use crate::analyze;
use crate::errors::ConnectError;
use crate::execute;
use crate::response_buffer::{BufferLimits, ResponseBuffer};
use crate::generated::spark_connect_service_server::{SparkConnectService, SparkConnectServiceServer};
use crate::session_manager::{ConnectSession, Operation, SessionManager};
use flint_driver::ui::metrics::CONNECT;

/// The default Spark Connect port.
pub const DEFAULT_PORT: u16 = 15002;

/// Spark's key for how long an execution no client reads is kept.
const DETACHED_TIMEOUT: &str = "spark.connect.execute.manager.detachedTimeout";

/// How often abandoned executions are looked for.
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(30);

/// A stream of execute responses.
pub type ResponseStream = Pin<Box<dyn Stream<Item = Result<sc::ExecutePlanResponse, Status>> + Send>>;

/// Flint's Spark Connect service.
#[derive(Debug, Clone)]
pub struct FlintConnectService {
    sessions: Arc<SessionManager>,
}

impl FlintConnectService {
    /// A service whose sessions start from `base_conf` (Spark keys such as `spark.master`)
    /// and run their jobs on `cluster` when there is one.
    pub fn new(base_conf: Vec<(String, String)>, cluster: Option<Arc<dyn JobRunner>>) -> Self {
        Self { sessions: Arc::new(SessionManager::new(base_conf, cluster)) }
    }

    /// The tonic service, accepting messages up to the size PySpark may send.
    pub fn into_server(self) -> SparkConnectServiceServer<Self> {
        SparkConnectServiceServer::new(self)
            .max_decoding_message_size(1 << 30)
            .max_encoding_message_size(1 << 30)
    }

    /// Removes, every [`MAINTENANCE_INTERVAL`], the executions no client has read for
    /// `spark.connect.execute.manager.detachedTimeout` (5 minutes unless `base_conf` sets
    /// it), for as long as the service lives.
    fn maintain(&self, base_conf: &[(String, String)]) {
        let timeout = base_conf
            .iter()
            .find(|(key, _)| key == DETACHED_TIMEOUT)
            .and_then(|(_, value)| flint_proto::conf::parse_duration(value))
            .unwrap_or(Duration::from_secs(300));
        let sessions = Arc::downgrade(&self.sessions);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(MAINTENANCE_INTERVAL.min(timeout)).await;
                let Some(sessions) = sessions.upgrade() else { return };
                sessions.remove_detached(timeout);
            }
        });
    }

    fn session(&self, id: &str, observed: Option<&str>) -> Result<Arc<ConnectSession>, Status> {
        Ok(self.sessions.get_or_create(id, observed)?)
    }
}

/// Serves Spark Connect on `addr` until `shutdown` completes; sessions run their jobs on
/// `cluster` when there is one.
pub async fn serve(
    addr: SocketAddr,
    base_conf: Vec<(String, String)>,
    cluster: Option<Arc<dyn JobRunner>>,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    let service = FlintConnectService::new(base_conf.clone(), cluster);
    service.maintain(&base_conf);
    tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .add_service(service.into_server())
        .serve_with_shutdown(addr, shutdown)
        .await
}

/// Serves Spark Connect on an already bound listener until `shutdown` completes (for an
/// embedded server on a free port).
pub async fn serve_listener(
    listener: tokio::net::TcpListener,
    base_conf: Vec<(String, String)>,
    cluster: Option<Arc<dyn JobRunner>>,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    let service = FlintConnectService::new(base_conf.clone(), cluster);
    service.maintain(&base_conf);
    tonic::transport::Server::builder()
        .add_service(service.into_server())
        .serve_with_incoming_shutdown(flint_proto::incoming(listener), shutdown)
        .await
}

/// The tag every job of one operation carries (as Spark Connect's
/// `SparkConnect_OperationTag_..._Operation_<id>`), for interrupting it.
fn operation_tag(session_id: &str, operation_id: &str) -> String {
    format!("SparkConnect_OperationTag_Session_{session_id}_Operation_{operation_id}")
}

/// The tag every job of one session carries, for cancelling them when it is released.
fn session_tag(session_id: &str) -> String {
    format!("SparkConnect_SessionTag_{session_id}")
}

/// The local properties of an operation's jobs: the client's tags plus the operation's
/// and the session's, and the pool and job group the session's configuration names
/// (`spark.scheduler.pool`, `spark.jobGroup.id`, `spark.job.description`).
fn job_properties(session: &ConnectSession, operation_id: &str, tags: &[String]) -> JobProperties {
    let conf = session.conf.lock();
    let mut tags = tags.to_vec();
    tags.push(operation_tag(&session.session_id, operation_id));
    tags.push(session_tag(&session.session_id));
    JobProperties {
        group: conf.get("spark.jobGroup.id"),
        description: conf.get("spark.job.description"),
        tags,
        pool: conf.get("spark.scheduler.pool"),
        // Filled in by the session's runner when each job starts.
        hadoop_conf: Default::default(),
    }
}

/// Whether a session's engine acts on `key` when it is set or unset at run time: SQL keys
/// (planning) and Hadoop keys (the object stores of later reads and writes).
fn is_engine_key(key: &str) -> bool {
    key.starts_with("spark.sql.") || key.starts_with(flint_engine::storage::SPARK_HADOOP_PREFIX)
}

/// Whether the client may reattach to the execution (`ReattachOptions.reattachable`;
/// PySpark asks for it by default).
fn is_reattachable(request: &sc::ExecutePlanRequest) -> bool {
    use sc::execute_plan_request::request_option::RequestOption;
    request.request_options.iter().any(|option| matches!(&option.request_option, Some(RequestOption::ReattachOptions(o)) if o.reattachable))
}

/// Read-ahead of the execution over its client.
const RESPONSES_AHEAD: usize = 4 << 20;

/// How much an operation of `session` buffers: Spark's retry buffer and stream size
/// (`spark.connect.execute.reattachable.*`) for a reattachable execution, nothing kept
/// once sent for one that is not.
fn buffer_limits(session: &ConnectSession, reattachable: bool) -> BufferLimits {
    let conf = session.conf.lock();
    let size = |key: &str| conf.get(key).and_then(|value| flint_engine::config::parse_size(&value));
    match reattachable {
        true => BufferLimits {
            ahead: RESPONSES_AHEAD,
            retry: size("spark.connect.execute.reattachable.observerRetryBufferSize").unwrap_or(1 << 20),
            stream: size("spark.connect.execute.reattachable.senderMaxStreamSize"),
        },
        false => BufferLimits { ahead: RESPONSES_AHEAD, retry: 0, stream: None },
    }
}

/// Removes an execution nobody can reattach to once its one stream is gone, interrupting
/// it if it still runs.
struct ForgetOnDrop {
    session: Arc<ConnectSession>,
    operation_id: String,
}

impl Drop for ForgetOnDrop {
    fn drop(&mut self) {
        if let Some(mut operation) = self.session.operations.lock().remove(&self.operation_id) {
            operation.interrupt(&self.operation_id);
        }
    }
}

#[tonic::async_trait]
impl SparkConnectService for FlintConnectService {
    type ExecutePlanStream = ResponseStream;
    type ReattachExecuteStream = ResponseStream;

    /// Starts the execution and answers with its responses as they come; the execution
    /// runs on in its own task (an `Interrupt` aborts it), and a client whose stream broke
    /// reattaches to the operation's buffer.
    async fn execute_plan(&self, request: Request<sc::ExecutePlanRequest>) -> Result<Response<ResponseStream>, Status> {
        CONNECT.request("ExecutePlan");
        let request = request.into_inner();
        let session = self.session(&request.session_id, request.client_observed_server_side_session_id.as_deref())?;
        let operation_id = request.operation_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if session.operations.lock().contains_key(&operation_id) {
            return Err(ConnectError::OperationExists { operation_id }.into());
        }
        let reattachable = is_reattachable(&request);
        let buffer = ResponseBuffer::new(buffer_limits(&session, reattachable));
        let properties = job_properties(&session, &operation_id, &request.tags);
        let plan = request.plan.unwrap_or_default();
        let task = {
            let (session, operation_id, buffer) = (Arc::clone(&session), operation_id.clone(), Arc::clone(&buffer));
            tokio::spawn(properties.scope(async move {
                let out = execute::Responses { session: &session, operation_id: &operation_id, buffer: &buffer };
                let outcome = execute::execute(&session, &plan, &out).await;
                if let Err(error) = &outcome {
                    tracing::debug!(%operation_id, %error, "execute failed");
                }
                buffer.finish(outcome.map_err(|error| error.to_status()));
                if let Some(operation) = session.operations.lock().get_mut(&operation_id) {
                    operation.abort = None;
                }
            }))
        };
        let operation = Operation { buffer: Arc::clone(&buffer), tags: request.tags.clone(), abort: Some(task.abort_handle()) };
        session.operations.lock().insert(operation_id.clone(), operation);
        let responses = Arc::clone(&buffer).stream_from(operation_id.clone(), 0);
        if reattachable {
            return Ok(Response::new(Box::pin(responses)));
        }
        // Nobody reattaches to this execution: it ends with its one stream.
        let forget = ForgetOnDrop { session, operation_id };
        Ok(Response::new(Box::pin(responses.map(move |response| {
            let _ = &forget;
            response
        }))))
    }

    async fn analyze_plan(&self, request: Request<sc::AnalyzePlanRequest>) -> Result<Response<sc::AnalyzePlanResponse>, Status> {
        CONNECT.request("AnalyzePlan");
        let request = request.into_inner();
        let session = self.session(&request.session_id, request.client_observed_server_side_session_id.as_deref())?;
        let Some(analyze) = request.analyze else {
            return Err(ConnectError::InvalidPlan { reason: "analyze request without a question".into() }.into());
        };
        let result = analyze::analyze(&session, analyze).await?;
        Ok(Response::new(sc::AnalyzePlanResponse {
            session_id: session.session_id.clone(),
            server_side_session_id: session.server_side_session_id.clone(),
            result: Some(result),
        }))
    }

    async fn config(&self, request: Request<sc::ConfigRequest>) -> Result<Response<sc::ConfigResponse>, Status> {
        CONNECT.request("Config");
        let request = request.into_inner();
        let session = self.session(&request.session_id, request.client_observed_server_side_session_id.as_deref())?;
        // The engine takes or refuses each key it acts on before the session records any.
        match request.operation.as_ref().and_then(|o| o.op_type.as_ref()) {
            Some(OpType::Set(set)) => {
                for pair in set.pairs.iter().filter(|pair| is_engine_key(&pair.key)) {
                    let value = pair.value.as_deref().unwrap_or_default();
                    session.flint.set_conf(&pair.key, value).map_err(ConnectError::from)?;
                }
            }
            Some(OpType::Unset(unset)) => {
                for key in unset.keys.iter().filter(|key| is_engine_key(key)) {
                    session.flint.unset_conf(key).map_err(ConnectError::from)?;
                }
            }
            _ => {}
        }
        let outcome = session.conf.lock().apply(request.operation)?;
        Ok(Response::new(sc::ConfigResponse {
            session_id: session.session_id.clone(),
            server_side_session_id: session.server_side_session_id.clone(),
            pairs: outcome.pairs,
            warnings: vec![],
        }))
    }

    async fn add_artifacts(
        &self,
        request: Request<tonic::Streaming<sc::AddArtifactsRequest>>,
    ) -> Result<Response<sc::AddArtifactsResponse>, Status> {
        CONNECT.request("AddArtifacts");
        let mut stream = request.into_inner();
        let mut received: Vec<(String, Vec<u8>)> = Vec::new();
        let mut session_id = String::new();
        while let Some(message) = stream.message().await? {
            session_id = message.session_id.clone();
            match message.payload {
                Some(sc::add_artifacts_request::Payload::Batch(batch)) => {
                    for artifact in batch.artifacts {
                        let data = artifact.data.map(|d| d.data.to_vec()).unwrap_or_default();
                        received.push((artifact.name, data));
                    }
                }
                Some(sc::add_artifacts_request::Payload::BeginChunk(begin)) => {
                    let data = begin.initial_chunk.map(|d| d.data.to_vec()).unwrap_or_default();
                    received.push((begin.name, data));
                }
                Some(sc::add_artifacts_request::Payload::Chunk(chunk)) => {
                    if let Some((_, data)) = received.last_mut() {
                        data.extend_from_slice(&chunk.data);
                    }
                }
                None => {}
            }
        }
        let session = self.session(&session_id, None)?;
        let mut summaries = Vec::new();
        let mut artifacts = session.artifacts.lock();
        for (name, data) in received {
            summaries.push(sc::add_artifacts_response::ArtifactSummary { name: name.clone(), is_crc_successful: true });
            artifacts.insert(name, data.into());
        }
        drop(artifacts);
        Ok(Response::new(sc::AddArtifactsResponse {
            session_id: session.session_id.clone(),
            server_side_session_id: session.server_side_session_id.clone(),
            artifacts: summaries,
        }))
    }

    async fn artifact_status(
        &self,
        request: Request<sc::ArtifactStatusesRequest>,
    ) -> Result<Response<sc::ArtifactStatusesResponse>, Status> {
        CONNECT.request("ArtifactStatus");
        let request = request.into_inner();
        let session = self.session(&request.session_id, request.client_observed_server_side_session_id.as_deref())?;
        Ok(Response::new(sc::ArtifactStatusesResponse {
            session_id: session.session_id.clone(),
            server_side_session_id: session.server_side_session_id.clone(),
            statuses: request
                .names
                .into_iter()
                .map(|name| {
                    let exists = session.artifacts.lock().contains_key(&name);
                    (name, sc::artifact_statuses_response::ArtifactStatus { exists })
                })
                .collect(),
        }))
    }

    async fn interrupt(&self, request: Request<sc::InterruptRequest>) -> Result<Response<sc::InterruptResponse>, Status> {
        CONNECT.request("Interrupt");
        let request = request.into_inner();
        let session = self.session(&request.session_id, request.client_observed_server_side_session_id.as_deref())?;
        let kind = InterruptType::try_from(request.interrupt_type).unwrap_or(InterruptType::Unspecified);
        let mut interrupted = Vec::new();
        for (id, operation) in session.operations.lock().iter_mut() {
            let selected = match (kind, &request.interrupt) {
                (InterruptType::All, _) => true,
                (InterruptType::Tag, Some(Interrupt::OperationTag(tag))) => operation.tags.contains(tag),
                (InterruptType::OperationId, Some(Interrupt::OperationId(wanted))) => wanted == id,
                _ => false,
            };
            if selected && operation.interrupt(id) {
                interrupted.push(id.clone());
            }
        }
        // The aborted executions answer OPERATION_CANCELED; their jobs on the cluster are
        // cancelled now (their running tasks killed on the executors), not only once the
        // aborted futures are dropped.
        let runner = session.flint.runner();
        for id in &interrupted {
            let tag = operation_tag(&session.session_id, id);
            runner.cancel_jobs(JobSelector::Tag(tag), format!("operation {id} was interrupted")).await;
        }
        Ok(Response::new(sc::InterruptResponse {
            session_id: session.session_id.clone(),
            server_side_session_id: session.server_side_session_id.clone(),
            interrupted_ids: interrupted,
        }))
    }

    /// Resumes an operation's responses after the last one the client saw, from its
    /// buffer (Spark's `INVALID_CURSOR` errors when that one is no longer kept).
    async fn reattach_execute(
        &self,
        request: Request<sc::ReattachExecuteRequest>,
    ) -> Result<Response<ResponseStream>, Status> {
        CONNECT.request("ReattachExecute");
        let request = request.into_inner();
        let session = self.session(&request.session_id, request.client_observed_server_side_session_id.as_deref())?;
        let Some(buffer) = session.operations.lock().get(&request.operation_id).map(|o| Arc::clone(&o.buffer)) else {
            return Err(ConnectError::OperationNotFound { operation_id: request.operation_id }.into());
        };
        let position = buffer.position_after(&request.operation_id, request.last_response_id.as_deref())?;
        Ok(Response::new(Box::pin(buffer.stream_from(request.operation_id, position))))
    }

    /// Lets the responses the client has read go (`ReleaseUntil`), or the whole operation
    /// (`ReleaseAll`: an execution still running is interrupted).
    async fn release_execute(
        &self,
        request: Request<sc::ReleaseExecuteRequest>,
    ) -> Result<Response<sc::ReleaseExecuteResponse>, Status> {
        CONNECT.request("ReleaseExecute");
        let request = request.into_inner();
        let session = self.session(&request.session_id, request.client_observed_server_side_session_id.as_deref())?;
        match &request.release {
            Some(Release::ReleaseUntil(until)) => {
                let buffer = session.operations.lock().get(&request.operation_id).map(|o| Arc::clone(&o.buffer));
                if let Some(buffer) = buffer {
                    buffer.release_until(&until.response_id);
                }
            }
            _ => {
                if let Some(mut operation) = session.operations.lock().remove(&request.operation_id) {
                    operation.interrupt(&request.operation_id);
                }
            }
        }
        Ok(Response::new(sc::ReleaseExecuteResponse {
            session_id: session.session_id.clone(),
            server_side_session_id: session.server_side_session_id.clone(),
            operation_id: Some(request.operation_id),
        }))
    }

    async fn release_session(
        &self,
        request: Request<sc::ReleaseSessionRequest>,
    ) -> Result<Response<sc::ReleaseSessionResponse>, Status> {
        CONNECT.request("ReleaseSession");
        let request = request.into_inner();
        let released = self.sessions.release(&request.session_id);
        if let Some(session) = &released {
            let tag = session_tag(&session.session_id);
            let reason = format!("session {} was released", session.session_id);
            session.flint.runner().cancel_jobs(JobSelector::Tag(tag), reason).await;
        }
        Ok(Response::new(sc::ReleaseSessionResponse {
            session_id: request.session_id,
            server_side_session_id: released.map(|s| s.server_side_session_id.clone()).unwrap_or_default(),
        }))
    }

    async fn fetch_error_details(
        &self,
        request: Request<sc::FetchErrorDetailsRequest>,
    ) -> Result<Response<sc::FetchErrorDetailsResponse>, Status> {
        CONNECT.request("FetchErrorDetails");
        let request = request.into_inner();
        let session = self.session(&request.session_id, request.client_observed_server_side_session_id.as_deref())?;
        Ok(Response::new(sc::FetchErrorDetailsResponse {
            server_side_session_id: session.server_side_session_id.clone(),
            session_id: session.session_id.clone(),
            root_error_idx: None,
            errors: vec![],
        }))
    }

    async fn clone_session(
        &self,
        _request: Request<sc::CloneSessionRequest>,
    ) -> Result<Response<sc::CloneSessionResponse>, Status> {
        CONNECT.request("CloneSession");
        Err(ConnectError::Unsupported { what: "CloneSession".into() }.into())
    }

    async fn get_status(&self, _request: Request<sc::GetStatusRequest>) -> Result<Response<sc::GetStatusResponse>, Status> {
        CONNECT.request("GetStatus");
        Err(ConnectError::Unsupported { what: "GetStatus".into() }.into())
    }
}
