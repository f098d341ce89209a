//! Keeps joins correct when their partitions run as tasks in separate processes.
//!
//! A `CollectLeft` hash join builds its (small) left side once per task and probes it with
//! one partition of the right side: a broadcast join, correct on executors for joins that
//! emit rows only while probing. Joins that also emit build rows after probing (unmatched
//! rows of a left or full outer join, the rows of a left semi or anti join) track the build
//! rows matched across all probe partitions of one process; tasks on separate executors
//! cannot share that, so such joins are made `Partitioned` instead, each task joining one
//! hash partition of both sides.
//!
//! Two kinds of join must keep the whole build side in every task and so cannot be
//! partitioned: a null-aware anti join (`NOT IN` over nullable columns, which needs to know
//! whether the probe side has any row or NULL at all) and a nested-loop join (a join with
//! no equality to hash on: `a.x < b.y`, a cross join with a condition) of a kind that emits
//! build rows after probing. Their probe side is gathered into one partition, so one task
//! sees every probe row and the build rows it emits are right (issue 10: on executors a
//! LEFT JOIN on `a.x < b.y - c` lost rows, LEFT SEMI / ANTI returned none).

use datafusion::common::JoinType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::joins::{HashJoinExec, NestedLoopJoinExec, PartitionMode};
use datafusion::physical_plan::{
    ChildrenPropertiesMode, ExecutionPlan, ExecutionPlanProperties, ReplaceChildrenOptions,
};
use std::sync::Arc;

/// Turns `CollectLeft` joins that emit build rows after probing into `Partitioned` ones.
#[derive(Debug, Default)]
pub struct PartitionBuildSideJoins;

impl PhysicalOptimizerRule for PartitionBuildSideJoins {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(plan
            .transform_up(|node| {
                let Some(join) = node.downcast_ref::<HashJoinExec>() else { return Ok(Transformed::no(node)) };
                if *join.partition_mode() != PartitionMode::CollectLeft
                    || join.null_aware
                    || !emits_build_rows_after_probing(*join.join_type())
                {
                    return Ok(Transformed::no(node));
                }
                let partitioned = join.builder().with_partition_mode(PartitionMode::Partitioned).build()?;
                Ok(Transformed::yes(Arc::new(partitioned) as Arc<dyn ExecutionPlan>))
            })?
            .data)
    }

    fn name(&self) -> &str {
        "flint_partition_build_side_joins"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Gives every join that needs all probe rows in one task (see the module doc) a probe
/// side of one partition. Runs last, after exchanges are placed: the
/// `CoalescePartitionsExec` it adds becomes a stage boundary.
#[derive(Debug, Default)]
pub struct SingleProbeForWholeBuildJoins;

impl PhysicalOptimizerRule for SingleProbeForWholeBuildJoins {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(plan
            .transform_up(|node| {
                let Some((build, probe)) = sides_needing_one_probe_partition(&node) else {
                    return Ok(Transformed::no(node));
                };
                if probe.output_partitioning().partition_count() <= 1 {
                    return Ok(Transformed::no(node));
                }
                let single: Arc<dyn ExecutionPlan> = Arc::new(CoalescePartitionsExec::new(probe));
                let options = ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute);
                Ok(Transformed::yes(Arc::clone(&node).replace_children(vec![build, single], options)?))
            })?
            .data)
    }

    fn name(&self) -> &str {
        "flint_single_probe_for_whole_build_joins"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The build (left) and probe (right) sides of `node` when `node` is a join whose tasks
/// must each see every probe row: a null-aware hash join, or a nested-loop join that emits
/// build rows after probing.
fn sides_needing_one_probe_partition(
    node: &Arc<dyn ExecutionPlan>,
) -> Option<(Arc<dyn ExecutionPlan>, Arc<dyn ExecutionPlan>)> {
    let (needed, left, right) = if let Some(join) = node.downcast_ref::<HashJoinExec>() {
        (join.null_aware, join.left(), join.right())
    } else {
        let join = node.downcast_ref::<NestedLoopJoinExec>()?;
        (emits_build_rows_after_probing(*join.join_type()), join.left(), join.right())
    };
    needed.then(|| (Arc::clone(left), Arc::clone(right)))
}

/// Whether a join with the build side on the left emits build rows once probing ends.
fn emits_build_rows_after_probing(join_type: JoinType) -> bool {
    matches!(join_type, JoinType::Left | JoinType::Full | JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark)
}

/// DataFusion's physical optimizer rules with [`PartitionBuildSideJoins`] right after join
/// selection, before exchanges are placed, and [`SingleProbeForWholeBuildJoins`] last.
pub fn physical_optimizer_rules() -> Vec<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    let mut rules = PhysicalOptimizer::new().rules;
    let after = rules.iter().position(|rule| rule.name() == "join_selection").map_or(0, |i| i + 1);
    rules.insert(after, Arc::new(PartitionBuildSideJoins));
    rules.push(Arc::new(SingleProbeForWholeBuildJoins));
    rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FlintSession;
    use datafusion::common::tree_node::TreeNodeRecursion;

    /// The (join type, partition mode) of every hash join in the plan of `sql` on `master`.
    async fn joins_on(master: &str, sql: &str) -> Vec<(JoinType, PartitionMode)> {
        joins_in(&FlintSession::builder().master(master).build().unwrap(), sql).await
    }

    /// The (join type, partition mode) of every hash join in the plan of `sql` in `session`.
    async fn joins_in(session: &FlintSession, sql: &str) -> Vec<(JoinType, PartitionMode)> {
        let ctx = session.context();
        ctx.sql("create table big as select id as k from range(0, 100000)").await.unwrap().collect().await.unwrap();
        ctx.sql("create table small (k bigint) as values (1), (2)").await.unwrap().collect().await.unwrap();
        let plan = ctx.sql(sql).await.unwrap().create_physical_plan().await.unwrap();
        let mut found = Vec::new();
        plan.apply(|node| {
            if let Some(join) = node.downcast_ref::<HashJoinExec>() {
                found.push((*join.join_type(), *join.partition_mode()));
            }
            Ok(TreeNodeRecursion::Continue)
        })
        .unwrap();
        found
    }

    async fn joins(sql: &str) -> Vec<(JoinType, PartitionMode)> {
        joins_on("local-cluster[2,1,512]", sql).await
    }

    #[tokio::test]
    async fn inner_joins_broadcast_and_build_emitting_joins_are_partitioned() {
        assert_eq!(joins("select * from small join big on small.k = big.k").await, vec![(
            JoinType::Inner,
            PartitionMode::CollectLeft
        )]);
        let left_join = "select * from small left join big on small.k = big.k";
        let in_process = joins_on("local[2]", left_join).await;
        assert_eq!(in_process, vec![(JoinType::Left, PartitionMode::CollectLeft)], "one process broadcasts it");
        let outer = joins(left_join).await;
        assert!(outer.iter().all(|(_, mode)| *mode == PartitionMode::Partitioned), "{outer:?}");
        // A session of any master whose jobs go to executors (a Kubernetes driver's) too.
        let attached = FlintSession::builder().master("local[2]").build().unwrap();
        crate::planner::configure_session_for_stages(attached.context());
        crate::planner::configure_session_for_stages(attached.context());
        assert_eq!(joins_in(&attached, left_join).await, outer, "planned as on local-cluster");
        let semi = joins("select * from small where exists (select 1 from big where big.k = small.k)").await;
        assert!(!semi.is_empty());
        assert!(
            semi.iter().all(|(t, mode)| *mode == PartitionMode::Partitioned || !emits_build_rows_after_probing(*t)),
            "{semi:?}"
        );
    }

    /// The join type and probe-side partition count of every nested-loop join in `sql`'s
    /// plan on a local cluster, over inputs of several partitions.
    async fn nested_loop_probes(sql: &str) -> Vec<(JoinType, usize)> {
        let session = FlintSession::builder().master("local-cluster[2,1,512]").build().unwrap();
        let ctx = session.context();
        for table in ["a", "b"] {
            let create = format!("create view {table} as select id as x, id % 7 as c from range(0, 1000)");
            ctx.sql(&create).await.unwrap();
        }
        let plan = ctx.sql(sql).await.unwrap().create_physical_plan().await.unwrap();
        let mut found = Vec::new();
        plan.apply(|node| {
            if let Some(join) = node.downcast_ref::<NestedLoopJoinExec>() {
                found.push((*join.join_type(), join.right().output_partitioning().partition_count()));
            }
            Ok(TreeNodeRecursion::Continue)
        })
        .unwrap();
        found
    }

    #[tokio::test]
    async fn nested_loop_joins_that_emit_build_rows_probe_in_one_task() {
        for kind in ["left", "full", "left semi", "left anti"] {
            let sql = format!("select * from a {kind} join b on a.x < b.x - b.c");
            let joins = nested_loop_probes(&sql).await;
            assert!(!joins.is_empty(), "{kind}: no nested-loop join");
            assert!(joins.iter().all(|(_, probes)| *probes == 1), "{kind}: {joins:?}");
        }
        let inner = nested_loop_probes("select * from a join b on a.x < b.x - b.c").await;
        assert!(inner.iter().any(|(_, probes)| *probes > 1), "an inner join keeps its probe partitions: {inner:?}");
    }
}
