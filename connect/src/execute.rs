//! `ExecutePlan`: plans a relation or runs a command, and sends its responses (Arrow
//! batches with row counts and offsets, then `ResultComplete`) as they are produced: a
//! query's batches go out as its job streams them, none gathered whole.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use futures::StreamExt;
use spark_connect_proto::execute_plan_response::{ArrowBatch, ResponseType, ResultComplete};
use spark_connect_proto::plan::OpType;
use spark_connect_proto::{ExecutePlanResponse, Plan};

use crate::arrow_batches::ipc_stream;
use crate::commands;
use crate::errors::{ConnectError, Result};
use crate::plan::relations::RelationPlanner;
use crate::response_buffer::ResponseBuffer;
use crate::session_manager::ConnectSession;

/// Rows per `ArrowBatch` message, well under the client's 128 MiB message limit.
const ROWS_PER_MESSAGE: usize = 8192;

/// Where an operation's responses go: each payload becomes a response of the operation
/// with a fresh `response_id`, pushed to its buffer (waiting while the client is behind).
pub struct Responses<'a> {
    /// The session, whose ids every response echoes.
    pub session: &'a ConnectSession,
    /// The operation.
    pub operation_id: &'a str,
    /// Its buffer.
    pub buffer: &'a ResponseBuffer,
}

impl Responses<'_> {
    async fn send(&self, payload: ResponseType) {
        let response = ExecutePlanResponse {
            session_id: self.session.session_id.clone(),
            server_side_session_id: self.session.server_side_session_id.clone(),
            operation_id: self.operation_id.to_string(),
            response_id: uuid::Uuid::new_v4().to_string(),
            response_type: Some(payload),
            ..Default::default()
        };
        self.buffer.push(response).await;
    }
}

/// Executes `plan`, sending its responses to `out` as they come, `ResultComplete` last.
pub async fn execute(session: &ConnectSession, plan: &Plan, out: &Responses<'_>) -> Result<()> {
    match plan.op_type.as_ref() {
        Some(OpType::Root(relation)) => {
            let df = RelationPlanner::for_session(session).plan(relation).await?;
            let mut messages = ArrowMessages::new(df.schema());
            let mut batches = df.execute_stream().await?;
            while let Some(batch) = batches.next().await {
                for message in messages.split(&batch?)? {
                    out.send(message).await;
                }
            }
            if let Some(empty) = messages.empty_result()? {
                out.send(empty).await;
            }
        }
        Some(OpType::Command(command)) => {
            for payload in commands::run(&session.flint, command).await? {
                out.send(payload).await;
            }
        }
        Some(OpType::CompressedOperation(_)) => {
            return Err(ConnectError::Unsupported { what: "compressed plans (set planCompression.threshold to -1)".into() });
        }
        None => return Err(ConnectError::InvalidPlan { reason: "plan without a root or command".into() }),
    }
    out.send(ResponseType::ResultComplete(ResultComplete {})).await;
    Ok(())
}

/// `schema` with each field nullable where `executed`'s is: analysis may make a column
/// nullable that the plan's schema declares not (`1 / 0` is NULL with ANSI off).
fn nullable_as(schema: &SchemaRef, executed: &SchemaRef) -> SchemaRef {
    if schema.fields().len() != executed.fields().len() {
        return Arc::clone(schema);
    }
    let fields = schema.fields().iter().zip(executed.fields().iter());
    let fields = fields.map(|(field, ran)| field.as_ref().clone().with_nullable(field.is_nullable() || ran.is_nullable()));
    Arc::new(Schema::new_with_metadata(fields.collect::<Vec<_>>(), schema.metadata().clone()))
}

/// A result's Arrow batch messages, made as its batches come: each message a complete IPC
/// stream of at most [`ROWS_PER_MESSAGE`] rows, with its offset in the result.
struct ArrowMessages {
    schema: SchemaRef,
    /// Rows sent so far.
    offset: i64,
}

impl ArrowMessages {
    fn new(schema: SchemaRef) -> Self {
        Self { schema, offset: 0 }
    }

    /// The messages of one batch (none for an empty batch).
    fn split(&mut self, batch: &RecordBatch) -> Result<Vec<ResponseType>> {
        let mut out = Vec::new();
        let mut start = 0;
        while start < batch.num_rows() {
            let len = ROWS_PER_MESSAGE.min(batch.num_rows() - start);
            out.push(self.message(&batch.slice(start, len))?);
            start += len;
        }
        Ok(out)
    }

    /// One (empty) batch when no row was sent: PySpark needs a record batch to learn the
    /// schema from, and the protocol promises at least one.
    fn empty_result(&mut self) -> Result<Option<ResponseType>> {
        match self.offset {
            0 => Ok(Some(self.message(&RecordBatch::new_empty(Arc::clone(&self.schema)))?)),
            _ => Ok(None),
        }
    }

    fn message(&mut self, rows: &RecordBatch) -> Result<ResponseType> {
        let row_count = i64::try_from(rows.num_rows()).unwrap_or(i64::MAX);
        let message = ArrowBatch {
            row_count,
            data: ipc_stream(&nullable_as(&self.schema, &rows.schema()), std::slice::from_ref(rows))?.into(),
            start_offset: Some(self.offset),
            chunk_index: None,
            num_chunks_in_batch: None,
        };
        self.offset += row_count;
        Ok(ResponseType::ArrowBatch(message))
    }
}
