//! The block service: serves the shuffle blocks this executor's map tasks wrote to other
//! executors' reducers over Arrow Flight `DoGet`, on the same port as `ExecutorService`.
//! A ticket is a [`ShuffleBlockTicket`] naming the block. The [`TASKS_ACTION`] action
//! answers what the executor runs and has killed, for tools and tests.

use crate::block_manager::BlockManager;
use crate::task_runner::TaskRunner;
use arrow::ipc::CompressionType;
use arrow::ipc::writer::IpcWriteOptions;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo, HandshakeRequest, HandshakeResponse,
    PollInfo, PutResult, SchemaResult, Ticket,
};
use flint_engine::ids::{JobId, ShuffleBlockId, StageId};
use flint_engine::shuffle::{BLOCK_BYTES_HEADER, layout, read_block_file};
use flint_proto::ShuffleBlockTicket;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use prost::Message;
use std::sync::Arc;
use tonic::{Request, Response, Status, Streaming};

/// The ticket that asks an executor's block service for `block`.
pub fn ticket(block: &ShuffleBlockId) -> Ticket {
    let ticket = ShuffleBlockTicket {
        job: block.job.0,
        stage: block.stage.0 as u64,
        map: block.map as u64,
        reduce: block.reduce as u64,
    };
    Ticket::new(ticket.encode_to_vec())
}

/// The block a ticket names.
pub fn block_of(ticket: &Ticket) -> Result<ShuffleBlockId, Status> {
    let ticket = ShuffleBlockTicket::decode(ticket.ticket.as_ref())
        .map_err(|e| Status::invalid_argument(format!("the ticket does not name a shuffle block: {e}")))?;
    Ok(ShuffleBlockId {
        job: JobId(ticket.job),
        stage: StageId(ticket.stage as usize),
        map: ticket.map as usize,
        reduce: ticket.reduce as usize,
    })
}

/// The Flight `DoAction` type that answers, as JSON, the tasks this executor runs now and
/// the ones it killed: `{"running": [{"job":J,"stage":S,"partition":P,"attempt":A}, ...],
/// "killed": [...]}`.
pub const TASKS_ACTION: &str = "flint.tasks";

/// Serves the blocks under a [`BlockManager`]'s root, and [`TASKS_ACTION`]; every other
/// Flight call is unimplemented.
#[derive(Debug)]
pub struct ShuffleService {
    blocks: Arc<BlockManager>,
    compress: bool,
    tasks: Option<Arc<TaskRunner>>,
}

impl ShuffleService {
    /// The service over this executor's blocks, sending them LZ4-compressed.
    pub fn new(blocks: Arc<BlockManager>) -> Self {
        Self { blocks, compress: true, tasks: None }
    }

    /// The same service, answering [`TASKS_ACTION`] from `tasks`.
    pub fn with_tasks(self, tasks: Arc<TaskRunner>) -> Self {
        Self { tasks: Some(tasks), ..self }
    }

    /// The same service, compressing what it sends or not (`spark.shuffle.compress`).
    pub fn with_compression(self, compress: bool) -> Self {
        Self { compress, ..self }
    }
}

fn unimplemented<T>(call: &str) -> Result<T, Status> {
    Err(Status::unimplemented(format!("the shuffle block service only serves DoGet and DoAction {TASKS_ACTION}, not {call}")))
}

/// Tasks as a JSON array of objects.
fn tasks_json(tasks: &[flint_proto::TaskRef]) -> String {
    let objects: Vec<String> = tasks
        .iter()
        .map(|t| format!(r#"{{"job":{},"stage":{},"partition":{},"attempt":{}}}"#, t.job, t.stage, t.partition, t.attempt))
        .collect();
    format!("[{}]", objects.join(","))
}

#[tonic::async_trait]
impl FlightService for ShuffleService {
    type HandshakeStream = BoxStream<'static, Result<HandshakeResponse, Status>>;
    type ListFlightsStream = BoxStream<'static, Result<FlightInfo, Status>>;
    type DoGetStream = BoxStream<'static, Result<FlightData, Status>>;
    type DoPutStream = BoxStream<'static, Result<PutResult, Status>>;
    type DoActionStream = BoxStream<'static, Result<arrow_flight::Result, Status>>;
    type ListActionsStream = BoxStream<'static, Result<ActionType, Status>>;
    type DoExchangeStream = BoxStream<'static, Result<FlightData, Status>>;

    /// Streams one block's batches (LZ4-compressed unless turned off); `NOT_FOUND` if the
    /// block is not here.
    async fn do_get(&self, request: Request<Ticket>) -> Result<Response<Self::DoGetStream>, Status> {
        let block = block_of(request.get_ref())?;
        let path = layout::block_path(self.blocks.root(), &block);
        if !path.is_file() {
            return Err(Status::not_found(format!("{block} is not on this executor (no {})", path.display())));
        }
        let options = IpcWriteOptions::default()
            .try_with_compression(self.compress.then_some(CompressionType::LZ4_FRAME))
            .map_err(|e| Status::internal(e.to_string()))?;
        let size = std::fs::metadata(&path).map_err(|e| Status::internal(format!("{block}: {e}")))?.len();
        let batches = read_block_file(path).map_err(FlightError::ExternalError);
        let data = FlightDataEncoderBuilder::new().with_options(options).build(batches).map_err(Status::from);
        let mut response = Response::new(data.boxed());
        response.metadata_mut().insert(BLOCK_BYTES_HEADER, size.into());
        Ok(response)
    }

    async fn handshake(
        &self,
        _request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        unimplemented("Handshake")
    }

    async fn list_flights(&self, _request: Request<Criteria>) -> Result<Response<Self::ListFlightsStream>, Status> {
        unimplemented("ListFlights")
    }

    async fn get_flight_info(&self, _request: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        unimplemented("GetFlightInfo")
    }

    async fn poll_flight_info(&self, _request: Request<FlightDescriptor>) -> Result<Response<PollInfo>, Status> {
        unimplemented("PollFlightInfo")
    }

    async fn get_schema(&self, _request: Request<FlightDescriptor>) -> Result<Response<SchemaResult>, Status> {
        unimplemented("GetSchema")
    }

    async fn do_put(&self, _request: Request<Streaming<FlightData>>) -> Result<Response<Self::DoPutStream>, Status> {
        unimplemented("DoPut")
    }

    async fn do_action(&self, request: Request<Action>) -> Result<Response<Self::DoActionStream>, Status> {
        let (Some(tasks), TASKS_ACTION) = (&self.tasks, request.get_ref().r#type.as_str()) else {
            return unimplemented(&format!("DoAction {:?}", request.get_ref().r#type));
        };
        let body = format!(r#"{{"running":{},"killed":{}}}"#, tasks_json(&tasks.running()), tasks_json(&tasks.killed()));
        let result = arrow_flight::Result { body: body.into_bytes().into() };
        Ok(Response::new(futures::stream::iter([Ok(result)]).boxed()))
    }

    async fn list_actions(&self, _request: Request<Empty>) -> Result<Response<Self::ListActionsStream>, Status> {
        unimplemented("ListActions")
    }

    async fn do_exchange(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        unimplemented("DoExchange")
    }
}
