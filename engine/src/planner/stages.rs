//! Splits an optimised physical plan into shuffle-map stages and a result stage.
//!
//! Every exchange is a stage boundary, as in Spark's `DAGScheduler`:
//! - `RepartitionExec` (hash or round-robin) becomes a [`ShuffleWriterExec`] at the root of
//!   a map stage and a [`ShuffleReaderExec`] with one partition per reduce partition;
//! - `CoalescePartitionsExec` and `SortPreservingMergeExec` keep their place in the
//!   consuming stage, over a reader with one partition per map task.
//!
//! A task of a stage computes one partition of the stage's plan, so no plan that runs as
//! a task holds an exchange.

use super::cached_relation::CachedRelationExec;
use crate::ids::{JobId, StageId};
use crate::shuffle::{MapOutputLocation, ShuffleOutput, ShuffleRead, ShuffleReaderExec, ShuffleWriterExec};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, ExecutionPlan, ExecutionPlanProperties, Partitioning, ReplaceChildrenOptions,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Whether a stage feeds a shuffle or produces the job's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    /// Its plan's root is a [`ShuffleWriterExec`]; its output is map output blocks.
    ShuffleMap,
    /// Its partitions are the job's result, in partition order.
    Result,
}

/// One stage: a plan fragment run as one task per partition.
#[derive(Debug, Clone)]
pub struct Stage {
    /// The stage's id (also the id of the shuffle a map stage writes).
    pub id: StageId,
    /// What the stage's output is.
    pub kind: StageKind,
    /// The fragment; its leaves that read other stages are [`ShuffleReaderExec`]s.
    pub plan: Arc<dyn ExecutionPlan>,
    /// The number of tasks (partitions of `plan`).
    pub partitions: usize,
    /// The map stages whose output this stage reads.
    pub parents: Vec<StageId>,
}

/// A job's stages in an order where parents come first; the last is the result stage.
#[derive(Debug, Clone)]
pub struct StagePlan {
    /// The job.
    pub job: JobId,
    /// Stages, parents before children.
    pub stages: Vec<Stage>,
}

impl StagePlan {
    /// The stage with this id.
    pub fn stage(&self, id: StageId) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// The result stage.
    pub fn result_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }
}

/// Plans a session's queries for tasks that run in separate processes, whatever its
/// master is called (`local-cluster`, or a Kubernetes driver's session): adds the join
/// rules that keep joins correct across processes
/// ([`super::distributed_joins::physical_optimizer_rules`]) and turns off the DataFusion
/// features that share state between the partitions of one plan instance, which a task
/// (one partition of its own instance) would wait on or steal from: dynamic filters (a
/// hash join's build-side barrier across partitions) and file work stealing between
/// sibling scan partitions. Call on the planning session and on every executor's session.
pub fn configure_session_for_stages(ctx: &datafusion::prelude::SessionContext) {
    let state = ctx.state_ref();
    let mut state = state.write();
    let distributed = super::distributed_joins::physical_optimizer_rules();
    let planned_for_stages = state.physical_optimizers().len() == distributed.len()
        && state.physical_optimizers().iter().zip(&distributed).all(|(a, b)| a.name() == b.name());
    if !planned_for_stages {
        *state = super::registries::with_physical_optimizer_rules(&state, distributed);
    }
    let options = state.config_mut().options_mut();
    options.optimizer.enable_dynamic_filter_pushdown = false;
    options.optimizer.enable_join_dynamic_filter_pushdown = false;
    options.optimizer.enable_topk_dynamic_filter_pushdown = false;
    options.optimizer.enable_aggregate_dynamic_filter_pushdown = false;
    options.execution.enable_file_stream_work_stealing = false;
}

/// Splits `plan` into stages for `job`. Map stages write under an empty work directory;
/// the executor that runs a task sets its own.
///
/// A [`CachedRelationExec`] becomes a reader of its cache's map stage, which is added
/// once, after the stages of its lineage; that stage writes each partition of the cached
/// relation as one block of the cache's pseudo job (see [`crate::ids::CacheId`]).
pub fn split_into_stages(job: JobId, plan: Arc<dyn ExecutionPlan>) -> Result<StagePlan> {
    let mut splitter = Splitter { job, stages: Vec::new(), next: 0 };
    let result = splitter.cut(plan)?;
    let partitions = result.output_partitioning().partition_count();
    let parents = stage_inputs(&result);
    let id = StageId(splitter.next);
    splitter.stages.push(Stage { id, kind: StageKind::Result, plan: result, partitions, parents });
    Ok(StagePlan { job, stages: splitter.stages })
}

/// The stages cut so far, parents first.
struct Splitter {
    job: JobId,
    stages: Vec<Stage>,
    /// The id of the next stage of the job itself.
    next: usize,
}

impl Splitter {
    /// Cuts `plan` at its exchanges and cached relations, adding the map stages below
    /// them; returns what is left above.
    fn cut(&mut self, plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(plan
            .transform_up(|node| {
                if let Some(cached) = node.downcast_ref::<CachedRelationExec>() {
                    return Ok(Transformed::yes(self.cached_relation(cached)?));
                }
                let Some((input, output, read, keep)) = exchange(&node)? else {
                    return Ok(Transformed::no(node));
                };
                let id = StageId(self.next);
                self.next += 1;
                let reader = self.map_stage(id, self.job, input, output, read);
                let replaced = if keep {
                    Arc::clone(&node)
                        .replace_children(vec![reader], ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))?
                } else {
                    reader
                };
                Ok(Transformed::yes(replaced))
            })?
            .data)
    }

    /// Adds the map stage `id` writing `input` for `writer_job`; returns its reader.
    fn map_stage(
        &mut self,
        id: StageId,
        writer_job: JobId,
        input: Arc<dyn ExecutionPlan>,
        output: ShuffleOutput,
        read: ShuffleRead,
    ) -> Arc<dyn ExecutionPlan> {
        let maps = input.output_partitioning().partition_count();
        let schema = input.schema();
        let parents = stage_inputs(&input);
        let writer = ShuffleWriterExec::new(input, writer_job, id, output, PathBuf::new());
        self.stages.push(Stage { id, kind: StageKind::ShuffleMap, plan: Arc::new(writer), partitions: maps, parents });
        Arc::new(ShuffleReaderExec::new(schema, writer_job, id, maps, read))
    }

    /// Adds the stages of a cached relation (once per job); returns a reader of it.
    fn cached_relation(&mut self, cached: &CachedRelationExec) -> Result<Arc<dyn ExecutionPlan>> {
        let (cache, id) = (cached.cache(), cached.cache().stage());
        let lineage = cached.lineage();
        if self.stages.iter().any(|s| s.id == id) {
            let maps = lineage.output_partitioning().partition_count();
            return Ok(Arc::new(ShuffleReaderExec::new(lineage.schema(), cache.job(), id, maps, ShuffleRead::PerMap)));
        }
        let input = self.cut(Arc::clone(lineage))?;
        Ok(self.map_stage(id, cache.job(), input, ShuffleOutput::Single, ShuffleRead::PerMap))
    }
}

/// An exchange's input, how the map side writes, how the reduce side reads, and whether
/// the exchange node stays above the reader.
pub(super) type Exchange = (Arc<dyn ExecutionPlan>, ShuffleOutput, ShuffleRead, bool);

/// If `node` is an exchange: its input, how the map side writes, how the reduce side
/// reads, and whether `node` itself stays above the reader.
pub(super) fn exchange(node: &Arc<dyn ExecutionPlan>) -> Result<Option<Exchange>> {
    if let Some(repartition) = node.downcast_ref::<RepartitionExec>() {
        if repartition.preserve_order() {
            return Err(DataFusionError::NotImplemented(
                "order-preserving repartitioning across stages".to_string(),
            ));
        }
        let output = match repartition.partitioning() {
            Partitioning::Hash(exprs, partitions) => ShuffleOutput::Hash { exprs: exprs.clone(), partitions: *partitions },
            Partitioning::RoundRobinBatch(partitions) => ShuffleOutput::RoundRobin { partitions: *partitions },
            other => {
                return Err(DataFusionError::NotImplemented(format!("shuffle with partitioning {other:?}")));
            }
        };
        let read = ShuffleRead::Reduce { partitions: output.partitions() };
        return Ok(Some((Arc::clone(repartition.input()), output, read, false)));
    }
    if let Some(coalesce) = node.downcast_ref::<CoalescePartitionsExec>() {
        let read = ShuffleRead::Reduce { partitions: 1 };
        return Ok(Some((Arc::clone(coalesce.input()), ShuffleOutput::Single, read, true)));
    }
    if let Some(merge) = node.downcast_ref::<SortPreservingMergeExec>() {
        return Ok(Some((Arc::clone(merge.input()), ShuffleOutput::Single, ShuffleRead::PerMap, true)));
    }
    Ok(None)
}

/// The map stages read by the readers in `plan`.
fn stage_inputs(plan: &Arc<dyn ExecutionPlan>) -> Vec<StageId> {
    let mut parents = Vec::new();
    let _ = plan.apply(|node| {
        if let Some(reader) = node.downcast_ref::<ShuffleReaderExec>()
            && !parents.contains(&reader.stage())
        {
            parents.push(reader.stage());
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    });
    parents
}

/// Fills in every reader of `plan` with the map output locations of its stage.
/// `outputs[stage][map]` is where map task `map` of `stage` wrote.
pub fn resolve_shuffle_reads(
    plan: Arc<dyn ExecutionPlan>,
    outputs: &BTreeMap<StageId, Vec<Option<MapOutputLocation>>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    Ok(plan
        .transform_up(|node| {
            let Some(reader) = node.downcast_ref::<ShuffleReaderExec>() else {
                return Ok(Transformed::no(node));
            };
            let locations = outputs.get(&reader.stage()).cloned().ok_or_else(|| {
                DataFusionError::Internal(format!("no map outputs recorded for stage {}", reader.stage().0))
            })?;
            Ok(Transformed::yes(Arc::new(reader.with_locations(locations)) as Arc<dyn ExecutionPlan>))
        })?
        .data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FlintSession;
    use crate::config::SparkConf;
    use crate::ids::CacheId;

    async fn physical(sql: &str) -> Arc<dyn ExecutionPlan> {
        let mut conf = SparkConf::new();
        conf.set("spark.master", "local[2]");
        let session = FlintSession::new(conf).unwrap();
        let ctx = session.context();
        ctx.sql("create table t (k int, v int) as values (1, 10), (2, 20), (1, 30)").await.unwrap().collect().await.unwrap();
        ctx.sql(sql).await.unwrap().create_physical_plan().await.unwrap()
    }

    fn contains<T: ExecutionPlan>(plan: &Arc<dyn ExecutionPlan>) -> bool {
        let mut found = false;
        let _ = plan.apply(|node| {
            found |= node.is::<T>();
            Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
        });
        found
    }

    #[tokio::test]
    async fn aggregation_splits_at_the_hash_exchange_and_the_final_sort() {
        let plan = physical("select k, sum(v) from t group by k order by k").await;
        let stages = split_into_stages(JobId(1), plan).unwrap();
        let kinds: Vec<_> = stages.stages.iter().map(|s| s.kind).collect();
        assert_eq!(*kinds.last().unwrap(), StageKind::Result);
        assert!(stages.stages.len() >= 2, "{stages:#?}");
        for stage in &stages.stages {
            assert!(!contains::<RepartitionExec>(&stage.plan), "exchange left in {stage:#?}");
            for parent in &stage.parents {
                assert!(parent.0 < stage.id.0, "parents come first");
            }
        }
        let result = stages.result_stage().unwrap();
        assert_eq!(result.partitions, 1);
        assert!(!result.parents.is_empty());
    }

    #[tokio::test]
    async fn a_cached_relation_read_twice_is_one_stage_of_the_caches_pseudo_job() {
        let lineage = physical("select k, sum(v) as s from t group by k").await;
        let cache = CacheId(9);
        let read = || Arc::new(CachedRelationExec::new(cache, Arc::clone(&lineage))) as Arc<dyn ExecutionPlan>;
        let plan = datafusion::physical_plan::union::UnionExec::try_new(vec![read(), read()]).unwrap();
        let stages = split_into_stages(JobId(1), plan).unwrap();
        let cached: Vec<&Stage> = stages.stages.iter().filter(|s| s.id == cache.stage()).collect();
        assert_eq!(cached.len(), 1, "{stages:#?}");
        let writer = cached[0].plan.downcast_ref::<ShuffleWriterExec>().unwrap();
        assert_eq!((writer.job(), writer.output().partitions()), (cache.job(), 1));
        assert_eq!(cached[0].partitions, lineage.output_partitioning().partition_count());
        assert!(!cached[0].parents.is_empty(), "the lineage's own exchange is a stage below the cache's");
        let result = stages.result_stage().unwrap();
        assert_eq!(result.parents, vec![cache.stage()]);
        let mut readers = Vec::new();
        let _ = result.plan.apply(|node| {
            if let Some(reader) = node.downcast_ref::<ShuffleReaderExec>() {
                readers.push((reader.job(), reader.read()));
            }
            Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
        });
        assert_eq!(readers, vec![(cache.job(), ShuffleRead::PerMap); 2]);
    }

    #[tokio::test]
    async fn a_plan_without_exchanges_is_one_result_stage() {
        let plan = physical("select k from t where v > 10").await;
        let partitions = plan.output_partitioning().partition_count();
        let stages = split_into_stages(JobId(1), plan).unwrap();
        if stages.stages.len() == 1 {
            assert_eq!(stages.stages[0].partitions, partitions);
            assert!(stages.stages[0].parents.is_empty());
        }
    }
}
