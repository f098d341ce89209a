//! The executor's gRPC service: the driver launches and kills tasks, cleans up jobs and
//! stops the executor through it.

use crate::block_manager::BlockManager;
use crate::task_runner::TaskRunner;
use flint_engine::ids::JobId;
use flint_proto::executor_service_server::ExecutorService;
use flint_proto::{
    CleanupJobRequest, CleanupJobResponse, KillTaskRequest, KillTaskResponse, LaunchTasksRequest, LaunchTasksResponse,
    StopExecutorRequest, StopExecutorResponse,
};
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Implements `ExecutorService` over a [`TaskRunner`] and a [`BlockManager`].
#[derive(Debug)]
pub struct ExecutorServiceImpl {
    runner: Arc<TaskRunner>,
    blocks: Arc<BlockManager>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl ExecutorServiceImpl {
    /// The service; `stop` ends the executor.
    pub fn new(runner: Arc<TaskRunner>, blocks: Arc<BlockManager>, stop: tokio::sync::watch::Sender<bool>) -> Self {
        Self { runner, blocks, stop }
    }
}

#[tonic::async_trait]
impl ExecutorService for ExecutorServiceImpl {
    async fn launch_tasks(&self, request: Request<LaunchTasksRequest>) -> Result<Response<LaunchTasksResponse>, Status> {
        for task in request.into_inner().tasks {
            self.runner.launch(task);
        }
        Ok(Response::new(LaunchTasksResponse {}))
    }

    async fn kill_task(&self, request: Request<KillTaskRequest>) -> Result<Response<KillTaskResponse>, Status> {
        if let Some(task) = request.into_inner().task {
            self.runner.kill(&task);
        }
        Ok(Response::new(KillTaskResponse {}))
    }

    async fn cleanup_job(&self, request: Request<CleanupJobRequest>) -> Result<Response<CleanupJobResponse>, Status> {
        let job = request.into_inner().job;
        self.runner.remove_job(job);
        self.blocks.remove_job(JobId(job));
        Ok(Response::new(CleanupJobResponse {}))
    }

    async fn stop_executor(&self, request: Request<StopExecutorRequest>) -> Result<Response<StopExecutorResponse>, Status> {
        tracing::info!("stopping: {}", request.into_inner().reason);
        self.blocks.remove_all();
        let _ = self.stop.send(true);
        Ok(Response::new(StopExecutorResponse {}))
    }
}
