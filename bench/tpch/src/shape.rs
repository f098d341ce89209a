//! Plan shapes: what of a query's physical plan a regression would change (the joins it
//! uses, in plan order, and its shuffles) and its row count, kept in a committed file that
//! CI checks at SF0.01 (issue 14: no query may fall back to a nested-loop or cross join
//! where it had a hash join). Timings need a quiet machine; shapes do not.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::physical_plan::joins::{
    CrossJoinExec, HashJoinExec, NestedLoopJoinExec, PartitionMode, SortMergeJoinExec,
};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, Partitioning};
use serde::{Deserialize, Serialize};

/// One query's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    /// Rows of the answer.
    pub rows: usize,
    /// Each join in plan order (pre-order): `hash broadcast Inner`, `hash partitioned
    /// LeftSemi`, `sort_merge Inner`, `nested_loop Left`, `cross`.
    pub joins: Vec<String>,
    /// Hash repartitions (shuffles on a cluster).
    pub shuffles: usize,
}

/// Shapes by query name (`q1` … `q22`).
pub type Shapes = BTreeMap<String, Shape>;

/// The shape of `plan`, whose answer had `rows` rows.
pub fn shape_of(plan: &Arc<dyn ExecutionPlan>, rows: usize) -> Result<Shape> {
    let (mut joins, mut shuffles) = (Vec::new(), 0);
    plan.apply(|node| {
        if let Some(join) = node.downcast_ref::<HashJoinExec>() {
            let mode = match join.partition_mode() {
                PartitionMode::CollectLeft => "broadcast",
                PartitionMode::Partitioned => "partitioned",
                PartitionMode::Auto => "auto",
            };
            joins.push(format!("hash {mode} {}", join.join_type()));
        } else if let Some(join) = node.downcast_ref::<SortMergeJoinExec>() {
            joins.push(format!("sort_merge {}", join.join_type()));
        } else if let Some(join) = node.downcast_ref::<NestedLoopJoinExec>() {
            joins.push(format!("nested_loop {}", join.join_type()));
        } else if node.downcast_ref::<CrossJoinExec>().is_some() {
            joins.push("cross".to_string());
        } else if let Some(repartition) = node.downcast_ref::<RepartitionExec>()
            && matches!(repartition.partitioning(), Partitioning::Hash(..))
        {
            shuffles += 1;
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(Shape { rows, joins, shuffles })
}

/// Reads the shapes recorded in `path`.
pub fn read(path: &Path) -> Result<Shapes> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a JSON object of query shapes", path.display()))
}

/// Writes `shapes` to `path`, one query a line, so a re-recording diffs by query.
pub fn write(path: &Path, shapes: &Shapes) -> Result<()> {
    let lines: Vec<String> = shapes
        .iter()
        .map(|(query, shape)| Ok(format!("  {}: {}", serde_json::to_string(query)?, serde_json::to_string(shape)?)))
        .collect::<Result<_>>()?;
    std::fs::write(path, format!("{{\n{}\n}}\n", lines.join(",\n"))).with_context(|| format!("writing {}", path.display()))
}

/// What changed from `recorded` to `now` for `query`, as a sentence; `None` when nothing did.
pub fn difference(query: &str, recorded: &Shape, now: &Shape) -> Option<String> {
    let mut changes = Vec::new();
    if recorded.rows != now.rows {
        changes.push(format!("{} rows, recorded {}", now.rows, recorded.rows));
    }
    if recorded.joins != now.joins {
        changes.push(format!("joins [{}], recorded [{}]", now.joins.join(", "), recorded.joins.join(", ")));
    }
    if recorded.shuffles != now.shuffles {
        changes.push(format!("{} shuffles, recorded {}", now.shuffles, recorded.shuffles));
    }
    (!changes.is_empty()).then(|| format!("{query}: {}", changes.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(joins: &[&str]) -> Shape {
        Shape { rows: 10, joins: joins.iter().map(|j| j.to_string()).collect(), shuffles: 2 }
    }

    #[test]
    fn a_hash_join_become_nested_loop_is_named_with_its_query() {
        let recorded = shape(&["hash partitioned Inner", "hash broadcast Inner"]);
        let now = shape(&["nested_loop Inner", "hash broadcast Inner"]);
        assert_eq!(
            difference("q9", &recorded, &now).as_deref(),
            Some("q9: joins [nested_loop Inner, hash broadcast Inner], recorded [hash partitioned Inner, hash broadcast Inner]")
        );
        assert_eq!(difference("q9", &recorded, &recorded), None);
    }

    #[test]
    fn shapes_survive_a_write_and_a_read() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("flint-tpch-shapes-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("shapes.json");
        let shapes = Shapes::from([("q1".to_string(), shape(&[])), ("q2".to_string(), shape(&["cross"]))]);
        write(&path, &shapes)?;
        assert_eq!(read(&path)?, shapes);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
