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

/// A job runner over [`run_in_process`] for tests of the cluster paths (scalar subqueries,
/// caches): each job is split into stages that go through the wire codec. It takes
/// charge of cached relations but keeps nothing, so every job computes them again.
#[cfg(test)]
#[derive(Debug)]
pub(crate) struct InProcessRunner {
    ctx: Arc<TaskContext>,
    dir: tempfile::TempDir,
    jobs: std::sync::atomic::AtomicU64,
}

#[cfg(test)]
impl InProcessRunner {
    /// A runner whose tasks run with `ctx`, writing blocks under a temporary directory.
    pub(crate) fn new(ctx: Arc<TaskContext>) -> Self {
        #[allow(clippy::expect_used)]
        let dir = tempfile::tempdir().expect("a temporary directory for shuffle blocks");
        Self { ctx, dir, jobs: Default::default() }
    }

    /// How many jobs ran.
    pub(crate) fn jobs(&self) -> u64 {
        self.jobs.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
impl crate::job_runner::JobRunner for InProcessRunner {
    fn execute_stream(
        &self,
        plan: Arc<dyn datafusion::physical_plan::ExecutionPlan>,
        _progress: Arc<crate::progress::JobProgress>,
    ) -> futures::future::BoxFuture<'_, Result<datafusion::physical_plan::SendableRecordBatchStream>> {
        Box::pin(async move {
            let job = crate::ids::JobId(self.jobs.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
            let schema = plan.schema();
            let stages = super::split_into_stages(job, plan)?;
            let batches = run_in_process(&stages, Arc::clone(&self.ctx), self.dir.path()).await?;
            let stream = datafusion::physical_plan::memory::MemoryStream::try_new(batches, schema, None)?;
            Ok(Box::pin(stream) as datafusion::physical_plan::SendableRecordBatchStream)
        })
    }

    fn keeps_cached_partitions(&self) -> bool {
        true
    }
}
