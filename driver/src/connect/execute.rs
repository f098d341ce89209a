//! `ExecutePlan`: plans a relation or runs a command, and produces the response stream
//! (Arrow batches with row counts and offsets, then `ResultComplete`).

use spark_connect_proto::execute_plan_response::{ArrowBatch, ResponseType, ResultComplete};
use spark_connect_proto::plan::OpType;
use spark_connect_proto::{ExecutePlanResponse, Plan};

use crate::connect::arrow_batches::ipc_stream;
use crate::connect::commands;
use crate::connect::errors::{ConnectError, Result};
use crate::connect::plan::relations::RelationPlanner;
use crate::connect::session_manager::ConnectSession;

/// Rows per `ArrowBatch` message, well under the client's 128 MiB message limit.
const ROWS_PER_MESSAGE: usize = 8192;

/// The response payloads of executing `plan`, ending with `ResultComplete`.
pub async fn execute(session: &ConnectSession, plan: &Plan) -> Result<Vec<ResponseType>> {
    let mut out = match plan.op_type.as_ref() {
        Some(OpType::Root(relation)) => {
            let df = RelationPlanner::for_session(session).plan(relation).await?;
            let schema = df.schema();
            let batches = df.collect().await?;
            arrow_batches(&schema, &batches)?
        }
        Some(OpType::Command(command)) => commands::run(&session.flint, command).await?,
        Some(OpType::CompressedOperation(_)) => {
            return Err(ConnectError::Unsupported { what: "compressed plans (set planCompression.threshold to -1)".into() });
        }
        None => return Err(ConnectError::InvalidPlan { reason: "plan without a root or command".into() }),
    };
    out.push(ResponseType::ResultComplete(ResultComplete {}));
    Ok(out)
}

/// Arrow batch messages for a result: each a complete IPC stream, at least one (empty)
/// even when there are no rows.
fn arrow_batches(schema: &arrow::datatypes::Schema, batches: &[arrow::array::RecordBatch]) -> Result<Vec<ResponseType>> {
    let mut out = Vec::new();
    let mut offset = 0i64;
    for batch in batches.iter().filter(|b| b.num_rows() > 0) {
        let mut start = 0;
        while start < batch.num_rows() {
            let len = ROWS_PER_MESSAGE.min(batch.num_rows() - start);
            let slice = batch.slice(start, len);
            let rows = i64::try_from(len).unwrap_or(i64::MAX);
            out.push(ResponseType::ArrowBatch(ArrowBatch {
                row_count: rows,
                data: ipc_stream(schema, &[slice])?.into(),
                start_offset: Some(offset),
                chunk_index: None,
                num_chunks_in_batch: None,
            }));
            offset += rows;
            start += len;
        }
    }
    if out.is_empty() {
        out.push(ResponseType::ArrowBatch(ArrowBatch {
            row_count: 0,
            // PySpark needs one (empty) record batch to learn the schema from.
            data: ipc_stream(schema, &[arrow::array::RecordBatch::new_empty(std::sync::Arc::new(schema.clone()))])?.into(),
            start_offset: Some(0),
            chunk_index: None,
            num_chunks_in_batch: None,
        }));
    }
    Ok(out)
}

/// Wraps payloads into responses of one operation, each with a fresh `response_id`.
pub fn responses(session: &ConnectSession, operation_id: &str, payloads: Vec<ResponseType>) -> Vec<ExecutePlanResponse> {
    payloads
        .into_iter()
        .map(|payload| ExecutePlanResponse {
            session_id: session.session_id.clone(),
            server_side_session_id: session.server_side_session_id.clone(),
            operation_id: operation_id.to_string(),
            response_id: uuid::Uuid::new_v4().to_string(),
            response_type: Some(payload),
            ..Default::default()
        })
        .collect()
}
