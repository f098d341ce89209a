//! Plan fragments on the wire: DataFusion's physical plan protobuf plus [`codec::FlintCodec`]
//! for Flint's own nodes.

pub mod codec;
pub mod subquery_literals;

pub use codec::FlintCodec;

use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use crate::shuffle::ShuffleEnv;
use std::sync::Arc;

/// Serialises a stage's plan fragment for a task; scalar subqueries that have run travel
/// as their values.
pub fn encode_plan(plan: Arc<dyn ExecutionPlan>) -> Result<Vec<u8>> {
    let codec = FlintCodec::encoder();
    let converter = subquery_literals::SubqueryLiterals;
    Ok(datafusion_proto::bytes::physical_plan_to_bytes_with_proto_converter(plan, &codec, &converter)?.to_vec())
}

/// Deserialises a plan fragment for tasks running in `env` (the executor's shuffle
/// environment); functions resolve against `ctx`'s registry.
pub fn decode_plan(bytes: &[u8], ctx: &TaskContext, env: ShuffleEnv) -> Result<Arc<dyn ExecutionPlan>> {
    let codec = FlintCodec::new(env);
    datafusion_proto::bytes::physical_plan_from_bytes_with_extension_codec(bytes, ctx, &codec)
}
