//! `DriverService`, the gRPC service executors call: registration, heartbeats and task
//! statuses, each forwarded into the scheduler's event loop.

use super::event_loop::Event;
use flint_proto::driver_service_server::DriverService;
use flint_proto::{
    HeartbeatRequest, HeartbeatResponse, RegisterExecutorRequest, RegisterExecutorResponse, TaskStatusAck, TaskStatusUpdate,
};
use std::collections::BTreeMap;
use tokio::sync::{mpsc, oneshot};
use tonic::{Request, Response, Status};

/// Forwards executors' calls into the event loop.
#[derive(Debug)]
pub(super) struct DriverServiceImpl {
    events: mpsc::UnboundedSender<Event>,
    executor_conf: BTreeMap<String, String>,
}

impl DriverServiceImpl {
    /// The service sending into `events`, giving registering executors `executor_conf`.
    pub(super) fn new(events: mpsc::UnboundedSender<Event>, executor_conf: BTreeMap<String, String>) -> Self {
        Self { events, executor_conf }
    }

    async fn ask<T>(&self, event: impl FnOnce(oneshot::Sender<T>) -> Event) -> Result<T, Status> {
        let (tx, rx) = oneshot::channel();
        self.events.send(event(tx)).map_err(|_| stopping())?;
        rx.await.map_err(|_| stopping())
    }
}

fn stopping() -> Status {
    Status::unavailable("the driver is stopping")
}

#[tonic::async_trait]
impl DriverService for DriverServiceImpl {
    async fn register_executor(
        &self,
        request: Request<RegisterExecutorRequest>,
    ) -> Result<Response<RegisterExecutorResponse>, Status> {
        self.ask(|tx| Event::Register(request.into_inner(), tx)).await??;
        Ok(Response::new(RegisterExecutorResponse {
            protocol_version: flint_proto::PROTOCOL_VERSION,
            conf: self.executor_conf.clone().into_iter().collect(),
        }))
    }

    async fn heartbeat(&self, request: Request<HeartbeatRequest>) -> Result<Response<HeartbeatResponse>, Status> {
        let known = self.ask(|tx| Event::Heartbeat(request.into_inner(), tx)).await?;
        Ok(Response::new(HeartbeatResponse { unknown_executor: !known }))
    }

    async fn task_status(&self, request: Request<TaskStatusUpdate>) -> Result<Response<TaskStatusAck>, Status> {
        self.events.send(Event::Status(request.into_inner())).map_err(|_| stopping())?;
        Ok(Response::new(TaskStatusAck {}))
    }
}
