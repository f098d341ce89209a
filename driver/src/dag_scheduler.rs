//! The DAG scheduler for one job: which stage partitions still need computing, given the
//! map outputs that exist. A stage runs when its parents' outputs all exist; losing an
//! executor loses its map outputs, and exactly those map partitions are computed again
//! (lineage). Pure state.

use crate::task_scheduler::TaskKey;
use flint_engine::ids::{ExecutorId, StageId};
use flint_engine::planner::{Stage, StageKind, StagePlan};
use flint_engine::shuffle::MapOutputLocation;
use std::collections::{BTreeMap, BTreeSet};

/// A job's stages and what each has produced so far.
#[derive(Debug)]
pub struct DagScheduler {
    plan: StagePlan,
    outputs: BTreeMap<StageId, Vec<Option<MapOutputLocation>>>,
    results: BTreeMap<usize, Vec<u8>>,
}

impl DagScheduler {
    /// The scheduler for a planned job.
    pub fn new(plan: StagePlan) -> Self {
        let outputs = plan
            .stages
            .iter()
            .filter(|s| s.kind == StageKind::ShuffleMap)
            .map(|s| (s.id, vec![None; s.partitions]))
            .collect();
        Self { plan, outputs, results: BTreeMap::new() }
    }

    /// The job's stages.
    pub fn plan(&self) -> &StagePlan {
        &self.plan
    }

    /// Where each map stage's outputs are, for resolving shuffle readers.
    pub fn outputs(&self) -> &BTreeMap<StageId, Vec<Option<MapOutputLocation>>> {
        &self.outputs
    }

    fn stage_complete(&self, stage: StageId) -> bool {
        self.outputs.get(&stage).is_some_and(|o| o.iter().all(Option::is_some))
    }

    /// Partitions that can run now: missing outputs of needed stages whose parents are
    /// complete, parents' stages first.
    pub fn runnable(&self) -> Vec<TaskKey> {
        let needed = self.needed_stages();
        let mut tasks = Vec::new();
        for stage in &self.plan.stages {
            if !needed.contains(&stage.id) || !stage.parents.iter().all(|p| self.stage_complete(*p)) {
                continue;
            }
            match stage.kind {
                StageKind::ShuffleMap => {
                    if let Some(outputs) = self.outputs.get(&stage.id) {
                        tasks.extend(outputs.iter().enumerate().filter(|(_, o)| o.is_none()).map(|(p, _)| (stage.id, p)));
                    }
                }
                StageKind::Result => {
                    tasks.extend((0..stage.partitions).filter(|p| !self.results.contains_key(p)).map(|p| (stage.id, p)));
                }
            }
        }
        tasks
    }

    /// The stages the result stage needs: a complete map stage's parents are needed only
    /// while another path needs them (a cache's stage restored from earlier jobs is
    /// complete, so its lineage does not run).
    fn needed_stages(&self) -> BTreeSet<StageId> {
        let mut needed = BTreeSet::new();
        let mut pending: Vec<StageId> = self.plan.result_stage().map(|s| s.id).into_iter().collect();
        while let Some(id) = pending.pop() {
            if !needed.insert(id) || self.stage_complete(id) {
                continue;
            }
            if let Some(stage) = self.plan.stage(id) {
                pending.extend(stage.parents.iter().copied());
            }
        }
        needed
    }

    /// The tasks each stage would run if nothing were lost: missing outputs of needed map
    /// stages, result partitions not in, none for stages not needed.
    pub fn pending_tasks(&self) -> BTreeMap<StageId, usize> {
        let needed = self.needed_stages();
        let pending = |stage: &Stage| match stage.kind {
            _ if !needed.contains(&stage.id) => 0,
            StageKind::ShuffleMap => self.outputs.get(&stage.id).map_or(0, |o| o.iter().filter(|o| o.is_none()).count()),
            StageKind::Result => (0..stage.partitions).filter(|p| !self.results.contains_key(p)).count(),
        };
        self.plan.stages.iter().map(|stage| (stage.id, pending(stage))).collect()
    }

    /// Starts map stage `stage` with outputs that exist from before this job (a cache's
    /// partitions); ignored when the number of partitions differs.
    pub fn restore_outputs(&mut self, stage: StageId, outputs: Vec<Option<MapOutputLocation>>) {
        if let Some(slots) = self.outputs.get_mut(&stage)
            && slots.len() == outputs.len()
        {
            *slots = outputs;
        }
    }

    /// Records a map task's output location.
    pub fn map_finished(&mut self, stage: StageId, map: usize, location: MapOutputLocation) {
        if let Some(slot) = self.outputs.get_mut(&stage).and_then(|o| o.get_mut(map)) {
            *slot = Some(location);
        }
    }

    /// Records a result task's rows (an Arrow IPC stream).
    pub fn result_finished(&mut self, partition: usize, rows: Vec<u8>) {
        self.results.insert(partition, rows);
    }

    /// Forgets every map output `executor` held; returns how many were lost.
    pub fn executor_lost(&mut self, executor: &ExecutorId) -> usize {
        let mut lost = 0;
        for outputs in self.outputs.values_mut() {
            for slot in outputs.iter_mut() {
                if slot.as_ref().is_some_and(|l| &l.executor == executor) {
                    *slot = None;
                    lost += 1;
                }
            }
        }
        lost
    }

    /// Whether every result partition is in.
    pub fn is_done(&self) -> bool {
        self.plan.result_stage().is_some_and(|s| (0..s.partitions).all(|p| self.results.contains_key(&p)))
    }

    /// The result partitions in order.
    pub fn take_results(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.results).into_values().collect()
    }

    /// Whether `stage` is the result stage.
    pub fn is_result_stage(&self, stage: StageId) -> bool {
        self.plan.result_stage().is_some_and(|s| s.id == stage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::physical_plan::empty::EmptyExec;
    use flint_engine::ids::JobId;
    use flint_engine::planner::Stage;
    use std::sync::Arc;

    fn stage(id: usize, kind: StageKind, partitions: usize, parents: &[usize]) -> Stage {
        let schema = Arc::new(arrow::datatypes::Schema::empty());
        Stage {
            id: StageId(id),
            kind,
            plan: Arc::new(EmptyExec::new(schema)),
            partitions,
            parents: parents.iter().map(|p| StageId(*p)).collect(),
        }
    }

    fn at(executor: &str) -> MapOutputLocation {
        MapOutputLocation { executor: ExecutorId(executor.into()), work_dir: "/w".into(), address: String::new() }
    }

    #[test]
    fn stages_run_after_their_parents_and_lost_outputs_are_recomputed() {
        let plan = StagePlan {
            job: JobId(0),
            stages: vec![
                stage(0, StageKind::ShuffleMap, 2, &[]),
                stage(1, StageKind::ShuffleMap, 1, &[]),
                stage(2, StageKind::Result, 1, &[0, 1]),
            ],
        };
        let mut dag = DagScheduler::new(plan);
        assert_eq!(dag.runnable(), vec![(StageId(0), 0), (StageId(0), 1), (StageId(1), 0)]);
        dag.map_finished(StageId(0), 0, at("a"));
        dag.map_finished(StageId(0), 1, at("b"));
        dag.map_finished(StageId(1), 0, at("a"));
        assert_eq!(dag.runnable(), vec![(StageId(2), 0)]);
        assert_eq!(dag.executor_lost(&ExecutorId("a".into())), 2);
        assert_eq!(dag.runnable(), vec![(StageId(0), 0), (StageId(1), 0)], "only a's outputs run again");
        dag.map_finished(StageId(0), 0, at("b"));
        dag.map_finished(StageId(1), 0, at("b"));
        dag.result_finished(0, vec![1]);
        assert!(dag.is_done());
    }
}
