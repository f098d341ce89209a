//! Runs a [`StagePlan`] stage by stage in this process, every task's fragment going
//! through the wire codec: the `local` backend's path and the reference the cluster
//! backends are tested against.

use super::stages::{StageKind, StagePlan, resolve_shuffle_reads};
use crate::ids::{ExecutorId, StageId};
use crate::proto::{decode_plan, encode_plan};
use crate::shuffle::{MapOutputLocation, ShuffleEnv};
use arrow::array::RecordBatch;
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::common::collect;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Runs every stage of `plan`, writing shuffle blocks under `work_dir`, and returns the
/// result stage's batches in partition order. Tasks of one stage run one after another.
pub async fn run_in_process(plan: &StagePlan, ctx: Arc<TaskContext>, work_dir: &Path) -> Result<Vec<RecordBatch>> {
    let executor = ExecutorId("driver".to_string());
    let env = ShuffleEnv::local(executor.clone(), work_dir.to_path_buf());
    let mut outputs: BTreeMap<StageId, Vec<Option<MapOutputLocation>>> = BTreeMap::new();
    let mut result = Vec::new();
    for stage in &plan.stages {
        let resolved = resolve_shuffle_reads(Arc::clone(&stage.plan), &outputs)?;
        let fragment = decode_plan(&encode_plan(resolved)?, &ctx, env.clone())?;
        let mut locations = Vec::with_capacity(stage.partitions);
        for partition in 0..stage.partitions {
            let batches = collect(fragment.execute(partition, Arc::clone(&ctx))?).await?;
            match stage.kind {
                StageKind::ShuffleMap => locations.push(Some(MapOutputLocation {
                    executor: executor.clone(),
                    work_dir: work_dir.to_path_buf(),
                    address: String::new(),
                })),
                StageKind::Result => result.extend(batches),
            }
        }
        outputs.insert(stage.id, locations);
    }
    Ok(result)
}
