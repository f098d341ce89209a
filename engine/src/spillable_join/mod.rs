//! Hash joins that finish when their build side outgrows the memory pool (issue 14).
//!
//! A `Partitioned` hash join holds one partition of its build side in memory and cannot
//! spill: TPC-H q18 at SF10 with 2g failed with ResourcesExhausted. Spark plans such joins
//! as sort-merge joins, which spill. Flint keeps the hash join where it fits and lets each
//! partition whose build side does not fit sort and merge instead
//! ([`SpillableHashJoinExec`]). The runners apply [`with_spillable_joins`] to the plan they
//! execute (a local job's, an executor's task fragment), so plans and their `EXPLAIN`
//! stay DataFusion's.

mod exec;
mod once;

pub use exec::SpillableHashJoinExec;
pub use once::OnceStreamExec;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::Result;
use datafusion::execution::memory_pool::MemoryLimit;
use datafusion::physical_plan::{ExecutionPlan, StatisticsArgs, StatisticsContext};
use datafusion::physical_plan::joins::HashJoinExec;
use std::sync::Arc;

/// A build side estimated below this share of the pool stays a plain hash join (keeping
/// the dynamic filter it pushes into its probe side in local mode).
const SMALL_BUILD_SHARE_OF_POOL: usize = 8;

/// The builds of a join's running partitions together hold at most this share of the
/// pool left beside [`SPILLING_OPERATORS_HEADROOM`].
const BUILD_SHARE_OF_POOL: usize = 4;

/// What the sorts and aggregations beside a join keep at the least: each needs a working
/// set that does not shrink with the pool (a sort's 10 MiB merge reservation, a batch per
/// input). TPC-H SF1 q18 at 256m failed an external sort when the builds could take a
/// quarter of the whole pool; at 8g it ran as sort-merge (twice as slow) when they could
/// take an eighth. At most half the pool.
const SPILLING_OPERATORS_HEADROOM: usize = 128 << 20;

/// `plan` with every partitioned hash join whose build side is not known to be small
/// beside a pool of `limit` made a [`SpillableHashJoinExec`]; at most `concurrent` of a
/// join's partitions run at once in the pool (an executor's task slots; every partition
/// in a local job). An unbounded pool never refuses a build, so nothing changes then.
pub fn with_spillable_joins(plan: Arc<dyn ExecutionPlan>, limit: MemoryLimit, concurrent: usize) -> Result<Arc<dyn ExecutionPlan>> {
    let MemoryLimit::Finite(pool) = limit else { return Ok(plan) };
    Ok(plan
        .transform_up(|node| {
            let Some(join) = node.downcast_ref::<HashJoinExec>() else { return Ok(Transformed::no(node)) };
            if known_small(join, pool / SMALL_BUILD_SHARE_OF_POOL)? {
                return Ok(Transformed::no(node));
            }
            let partitions = join.properties().output_partitioning().partition_count().min(concurrent);
            Ok(match SpillableHashJoinExec::try_wrap(join, build_cap(pool, partitions))? {
                Some(wrapped) => Transformed::yes(Arc::new(wrapped) as Arc<dyn ExecutionPlan>),
                None => Transformed::no(node),
            })
        })?
        .data)
}

/// The bytes one partition's build side may hold in a pool of `pool` bytes where
/// `partitions` partitions build at once.
fn build_cap(pool: usize, partitions: usize) -> usize {
    let headroom = SPILLING_OPERATORS_HEADROOM.min(pool / 2);
    (pool - headroom) / BUILD_SHARE_OF_POOL / partitions.max(1)
}

/// Whether the statistics say the build side of `join` is at most `bytes`.
fn known_small(join: &HashJoinExec, bytes: usize) -> Result<bool> {
    let statistics = StatisticsContext::new().compute(join.left().as_ref(), &StatisticsArgs::new())?;
    Ok(statistics.total_byte_size.get_value().is_some_and(|size| *size <= bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::FlintSession;
    use crate::progress::JobProgress;
    use datafusion::arrow::util::pretty::pretty_format_batches;

    /// Joins of every kind the fallback covers, each summarised in one row.
    const JOINS: [&str; 7] = [
        "select count(*), sum(a.v + b.w) from a join b on a.k = b.k",
        "select count(*), count(b.k), sum(a.v) from a left join b on a.k = b.k",
        "select count(*), count(a.k), count(b.k) from a full join b on a.k = b.k",
        "select count(*), sum(v) from a where exists (select 1 from b where b.k = a.k)",
        "select count(*), sum(v) from a where not exists (select 1 from b where b.k = a.k and b.w < 100)",
        "select count(*), sum(v) from a where exists (select 1 from b where b.k = a.k and b.w <> a.v % 7)",
        "select count(*), sum(v) from a where not exists (select 1 from b where b.k = a.k and b.w <> a.v % 7)",
    ];

    /// A local[2] session with `memory` of pool and no broadcast joins, over `a` (1.2M
    /// rows) and `b` (every third key of `a`, and keys `a` lacks).
    async fn session(memory: &str) -> FlintSession {
        let session = FlintSession::builder()
            .master("local[2]")
            .config("spark.driver.memory", memory)
            .config("spark.sql.autoBroadcastJoinThreshold", "-1")
            .build()
            .unwrap();
        let ctx = session.context();
        ctx.sql("create table a as select id as k, id % 1000 as v from range(0, 1200000)").await.unwrap().collect().await.unwrap();
        ctx.sql("create table b as select id * 3 as k, id % 7 as w from range(0, 600000)").await.unwrap().collect().await.unwrap();
        session
    }

    /// The answer of `sql` as text, and the bytes the job spilled.
    async fn run(session: &FlintSession, sql: &str) -> (String, u64) {
        let progress = Arc::new(JobProgress::default());
        let df = session.sql(sql).await.unwrap();
        let batches = df.collect_with_progress(&progress).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        (pretty_format_batches(&batches).unwrap().to_string(), progress.spill_bytes())
    }

    #[tokio::test]
    async fn joins_whose_build_side_outgrows_the_pool_finish_by_sort_merge_with_the_same_answer() {
        let (roomy, small) = (session("1g").await, session("24m").await);
        for sql in JOINS {
            let (expected, roomy_spill) = run(&roomy, sql).await;
            let (answer, spilled) = run(&small, sql).await;
            assert_eq!(answer, expected, "{sql}");
            assert_eq!(roomy_spill, 0, "{sql}: nothing spills with 1g");
            assert!(spilled > 0, "{sql}: with 24m the sort-merge fallback spills");
        }
    }

    /// The number of hash joins of `sql`'s plan that [`with_spillable_joins`] wraps with `limit`.
    async fn wrapped(sql: &str, limit: MemoryLimit) -> usize {
        let session = session("1g").await;
        let plan = session.context().sql(sql).await.unwrap().create_physical_plan().await.unwrap();
        let plan = with_spillable_joins(plan, limit, 2).unwrap();
        let mut count = 0;
        plan.apply(|node| {
            count += usize::from(node.downcast_ref::<SpillableHashJoinExec>().is_some());
            Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
        })
        .unwrap();
        count
    }

    #[test]
    fn a_build_may_hold_a_share_of_what_the_spilling_operators_leave() {
        const MIB: usize = 1 << 20;
        assert_eq!(build_cap(8192 * MIB, 2), (8192 - 128) * MIB / 8, "q18 at SF1 and 8g needs more than 512 MiB");
        assert_eq!(build_cap(256 * MIB, 2), 16 * MIB);
        assert_eq!(build_cap(24 * MIB, 2), 12 * MIB / 8, "a small pool keeps half for the others");
        assert_eq!(build_cap(1024 * MIB, 0), (1024 - 128) * MIB / 4);
    }

    #[tokio::test]
    async fn joins_with_a_filter_beside_their_keys_stay_hash_joins() {
        let sql = "select count(*) from a join b on a.k = b.k and a.v > b.w";
        assert_eq!(wrapped(sql, MemoryLimit::Finite(1 << 20)).await, 0);
    }

    #[tokio::test]
    async fn only_build_sides_not_known_to_be_small_beside_a_bounded_pool_are_wrapped() {
        assert_eq!(wrapped(JOINS[0], MemoryLimit::Finite(1 << 20)).await, 1);
        assert_eq!(wrapped(JOINS[0], MemoryLimit::Finite(1 << 40)).await, 0, "a build side an eighth of the pool stays");
        assert_eq!(wrapped(JOINS[0], MemoryLimit::Infinite).await, 0, "an unbounded pool never refuses a build");
    }
}
