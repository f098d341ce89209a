//! Where the partitions of cached relations are, across jobs (pure state).
//!
//! A cached relation is a map stage whose output outlives the job that wrote it (see
//! `flint_engine::ids::CacheId`). A job that reads it starts with the partitions live
//! executors hold, so the DAG scheduler computes only the missing ones (lineage), and
//! after the job the registry keeps what it computed.

use super::dag::DagScheduler;
use flint_engine::ids::{CacheId, ExecutorId};
use flint_engine::planner::StagePlan;
use flint_engine::shuffle::MapOutputLocation;
use std::collections::BTreeMap;

/// The known partitions of every cached relation, by partition index.
#[derive(Debug, Default)]
pub struct CacheRegistry {
    caches: BTreeMap<CacheId, Vec<Option<MapOutputLocation>>>,
}

/// A cache a job reads, and the partitions the job has to compute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheUse {
    /// The cache.
    pub cache: CacheId,
    /// Partitions no live executor holds.
    pub missing: Vec<usize>,
    /// The cache's number of partitions.
    pub partitions: usize,
}

impl CacheRegistry {
    /// The DAG scheduler for `plan`, each cache stage starting with the partitions held
    /// (so the stages below a fully held cache do not run).
    pub fn prepare(&self, plan: StagePlan) -> (DagScheduler, Vec<CacheUse>) {
        let mut uses = Vec::new();
        let mut held = BTreeMap::new();
        for stage in &plan.stages {
            let Some(cache) = CacheId::of_stage(stage.id) else { continue };
            let known = self.caches.get(&cache).filter(|known| known.len() == stage.partitions);
            let outputs = known.cloned().unwrap_or_else(|| vec![None; stage.partitions]);
            let missing = outputs.iter().enumerate().filter(|(_, o)| o.is_none()).map(|(p, _)| p).collect();
            uses.push(CacheUse { cache, missing, partitions: stage.partitions });
            held.insert(stage.id, outputs);
        }
        let mut dag = DagScheduler::new(plan);
        for (stage, outputs) in held {
            dag.restore_outputs(stage, outputs);
        }
        (dag, uses)
    }

    /// Keeps the cache partitions a job's DAG scheduler holds; returns those it did not
    /// know, with where they are.
    pub fn record(&mut self, dag: &DagScheduler) -> Vec<(CacheId, usize, ExecutorId)> {
        let mut stored = Vec::new();
        for (stage, outputs) in dag.outputs() {
            let Some(cache) = CacheId::of_stage(*stage) else { continue };
            let known = self.caches.entry(cache).or_insert_with(|| vec![None; outputs.len()]);
            if known.len() != outputs.len() {
                *known = vec![None; outputs.len()];
            }
            for (partition, (slot, output)) in known.iter_mut().zip(outputs).enumerate() {
                if let Some(location) = output
                    && slot.as_ref() != Some(location)
                {
                    stored.push((cache, partition, location.executor.clone()));
                    *slot = Some(location.clone());
                }
            }
        }
        stored
    }

    /// Forgets every partition `executor` held; returns the partitions lost per cache.
    pub fn executor_lost(&mut self, executor: &ExecutorId) -> Vec<(CacheId, Vec<usize>)> {
        let mut lost = Vec::new();
        for (cache, partitions) in &mut self.caches {
            let mut gone = Vec::new();
            for (partition, slot) in partitions.iter_mut().enumerate() {
                if slot.as_ref().is_some_and(|l| &l.executor == executor) {
                    *slot = None;
                    gone.push(partition);
                }
            }
            if !gone.is_empty() {
                lost.push((*cache, gone));
            }
        }
        lost
    }

    /// Forgets `cache`; returns whether any of its partitions were known.
    pub fn remove(&mut self, cache: CacheId) -> bool {
        self.caches.remove(&cache).is_some()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use datafusion::physical_plan::empty::EmptyExec;
    use flint_engine::ids::{JobId, StageId};
    use flint_engine::planner::{Stage, StageKind};
    use std::sync::Arc;

    fn stage(id: StageId, kind: StageKind, partitions: usize, parents: &[StageId]) -> Stage {
        let schema = Arc::new(arrow::datatypes::Schema::empty());
        Stage { id, kind, plan: Arc::new(EmptyExec::new(schema)), partitions, parents: parents.to_vec() }
    }

    fn keys(tasks: Vec<flint_engine::ids::TaskKey>) -> Vec<(StageId, usize)> {
        tasks.into_iter().map(|task| (task.stage, task.partition)).collect()
    }

    fn at(executor: &str) -> MapOutputLocation {
        MapOutputLocation { executor: ExecutorId(executor.into()), work_dir: "/w".into(), address: String::new() }
    }

    /// Stage 0 feeds cache 3's stage (2 partitions), which the result stage 1 reads.
    fn job_reading_cache(cache: CacheId) -> StagePlan {
        StagePlan {
            job: JobId(1),
            stages: vec![
                stage(StageId(0), StageKind::ShuffleMap, 2, &[]),
                stage(cache.stage(), StageKind::ShuffleMap, 2, &[StageId(0)]),
                stage(StageId(1), StageKind::Result, 1, &[cache.stage()]),
            ],
        }
    }

    #[test]
    fn first_use_computes_all_later_uses_none_and_a_lost_executor_only_its_partitions() {
        let cache = CacheId(3);
        let mut registry = CacheRegistry::default();

        let (mut dag, uses) = registry.prepare(job_reading_cache(cache));
        assert_eq!(uses, vec![CacheUse { cache, missing: vec![0, 1], partitions: 2 }]);
        assert_eq!(dag.pending_tasks().values().sum::<usize>(), 5);
        assert_eq!(keys(dag.runnable()), vec![(StageId(0), 0), (StageId(0), 1)], "lineage first");
        dag.map_finished(StageId(0), 0, at("a"));
        dag.map_finished(StageId(0), 1, at("a"));
        dag.map_finished(cache.stage(), 0, at("a"));
        dag.map_finished(cache.stage(), 1, at("b"));
        let stored = registry.record(&dag);
        assert_eq!(stored, vec![(cache, 0, ExecutorId("a".into())), (cache, 1, ExecutorId("b".into()))]);

        let (mut dag, uses) = registry.prepare(job_reading_cache(cache));
        assert_eq!(uses[0].missing, Vec::<usize>::new());
        assert_eq!(keys(dag.runnable()), vec![(StageId(1), 0)], "only the result stage runs");
        let pending = dag.pending_tasks();
        assert_eq!((pending[&StageId(0)], pending[&cache.stage()], pending[&StageId(1)]), (0, 0, 1));
        assert!(registry.record(&dag).is_empty());
        dag.executor_lost(&ExecutorId("a".into()));
        assert_eq!(keys(dag.runnable()), vec![(StageId(0), 0), (StageId(0), 1)], "a partition lost mid-job needs the lineage");

        assert_eq!(registry.executor_lost(&ExecutorId("b".into())), vec![(cache, vec![1])]);
        let (mut dag, uses) = registry.prepare(job_reading_cache(cache));
        assert_eq!(uses[0].missing, vec![1]);
        assert_eq!(keys(dag.runnable()), vec![(StageId(0), 0), (StageId(0), 1)], "the lineage runs again");
        dag.map_finished(StageId(0), 0, at("a"));
        dag.map_finished(StageId(0), 1, at("a"));
        assert_eq!(keys(dag.runnable()), vec![(cache.stage(), 1)], "then only the lost partition");

        assert!(registry.remove(cache));
        let (_, uses) = registry.prepare(job_reading_cache(cache));
        assert_eq!(uses[0].missing, vec![0, 1], "a released cache is computed again");
    }

    #[test]
    fn a_job_without_caches_is_planned_as_it_is() {
        let plan = StagePlan {
            job: JobId(2),
            stages: vec![stage(StageId(0), StageKind::ShuffleMap, 2, &[]), stage(StageId(1), StageKind::Result, 1, &[StageId(0)])],
        };
        let (dag, uses) = CacheRegistry::default().prepare(plan);
        assert!(uses.is_empty());
        assert_eq!(keys(dag.runnable()), vec![(StageId(0), 0), (StageId(0), 1)]);
    }
}
