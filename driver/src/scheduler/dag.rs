//! The DAG scheduler of one job: which stage partitions still need computing, given the
//! map outputs that exist. A stage runs when its parents' outputs all exist; losing an
//! executor loses its map outputs, and exactly those map partitions are computed again
//! (lineage). Pure state.
//!
//! A round-robin map output is indeterminate: a recomputed map task may deal its rows to
//! reduce partitions differently than the lost attempt, whose blocks some reducers have
//! already read. When such an output is lost, every stage downstream of it is computed
//! again from scratch, as Spark does for indeterminate stages, so no reducer mixes rows
//! of two attempts.
//!
//! A reducer's fetch failure only forgets outputs it could have read: ones recorded
//! before it was launched. A late report from a reducer that read a lost attempt does
//! not throw away the output that replaced it.

use flint_engine::ids::{ExecutorId, StageId, TaskKey};
use flint_engine::planner::{Stage, StageKind, StagePlan};
use flint_engine::shuffle::{MapOutputLocation, ShuffleOutput, ShuffleWriterExec};
use std::collections::{BTreeMap, BTreeSet};

/// Result partitions computed ahead of the ones the job's caller has read: a slow reader
/// (`toLocalIterator`) leaves at most this many finished partitions on the executors,
/// and the rest are not computed until it reads on.
pub const RESULTS_AHEAD: usize = 32;

/// A job's stages and what each has produced so far.
#[derive(Debug)]
pub struct DagScheduler {
    plan: StagePlan,
    outputs: BTreeMap<StageId, Vec<Option<MapOutputLocation>>>,
    /// Result partitions that finished, with the executor holding each one's block
    /// (handed to the job's caller).
    results: BTreeMap<usize, ExecutorId>,
    /// Result partitions the caller has read up to (not including).
    read: usize,
    indeterminate: BTreeSet<StageId>,
    /// Counts recorded map outputs; orders outputs and task launches.
    clock: u64,
    /// When each map output was recorded.
    recorded: BTreeMap<(StageId, usize), u64>,
    /// When each task's latest attempt was launched.
    launched: BTreeMap<(StageId, usize), u64>,
}

/// What losing an executor's map outputs undid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LostOutputs {
    /// Map outputs the executor held.
    pub outputs: usize,
    /// Stages downstream of a lost indeterminate output, whose outputs and results were
    /// all forgotten: their running tasks read the lost attempt and must be abandoned.
    pub rolled_back: Vec<StageId>,
    /// Finished result partitions forgotten with a rolled-back result stage: they were
    /// already handed to the job's caller, which may have passed their rows on.
    pub results: usize,
    /// Result partitions whose blocks were lost before the caller reached them: they are
    /// computed again, and the caller must forget where they were.
    pub withdrawn: Vec<usize>,
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
        let indeterminate = plan
            .stages
            .iter()
            .filter(|s| {
                s.plan
                    .downcast_ref::<ShuffleWriterExec>()
                    .is_some_and(|w| matches!(w.output(), ShuffleOutput::RoundRobin { .. }))
            })
            .map(|s| s.id)
            .collect();
        Self {
            plan,
            outputs,
            results: BTreeMap::new(),
            read: 0,
            indeterminate,
            clock: 0,
            recorded: BTreeMap::new(),
            launched: BTreeMap::new(),
        }
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
        let job = self.plan.job;
        let task = |stage: StageId, partition: usize| TaskKey { job, stage, partition };
        let needed = self.needed_stages();
        let mut tasks = Vec::new();
        for stage in &self.plan.stages {
            if !needed.contains(&stage.id) || !stage.parents.iter().all(|p| self.stage_complete(*p)) {
                continue;
            }
            match stage.kind {
                StageKind::ShuffleMap => {
                    if let Some(outputs) = self.outputs.get(&stage.id) {
                        tasks.extend(outputs.iter().enumerate().filter(|(_, o)| o.is_none()).map(|(p, _)| task(stage.id, p)));
                    }
                }
                StageKind::Result => {
                    let ahead = stage.partitions.min(self.read.saturating_add(RESULTS_AHEAD));
                    tasks.extend((0..ahead).filter(|p| !self.results.contains_key(p)).map(|p| task(stage.id, p)));
                }
            }
        }
        tasks
    }

    /// Records that an attempt of `task` was launched, reading the outputs known now.
    pub fn task_launched(&mut self, task: TaskKey) {
        self.launched.insert((task.stage, task.partition), self.clock);
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
            self.clock += 1;
            self.recorded.insert((stage, map), self.clock);
        }
    }

    /// Records that the caller reads result partition `partition` now: the ones up to
    /// [`RESULTS_AHEAD`] after it may run.
    pub fn results_read(&mut self, partition: usize) {
        self.read = self.read.max(partition);
    }

    /// Records that a result partition finished: its block is on `executor`.
    pub fn result_finished(&mut self, partition: usize, executor: ExecutorId) {
        self.results.insert(partition, executor);
    }

    /// Forgets every map output `executor` held, and everything computed downstream of a
    /// lost indeterminate (round-robin) output; result partitions whose blocks it held
    /// and that the caller has not reached yet are withdrawn and computed again (the one
    /// it reads now may have been passed on in part, so it stays: reading it fails).
    pub fn executor_lost(&mut self, executor: &ExecutorId) -> LostOutputs {
        let mut lost = self.forget(executor, u64::MAX);
        lost.withdrawn = self.results.iter().filter(|(p, e)| **p > self.read && *e == executor).map(|(p, _)| *p).collect();
        for partition in &lost.withdrawn {
            self.results.remove(partition);
        }
        lost
    }

    /// `task` could not fetch a block `executor` wrote: forgets the outputs `executor`
    /// held when the task was launched (as [`DagScheduler::executor_lost`]), not ones
    /// recorded since.
    pub fn fetch_failed(&mut self, task: TaskKey, executor: &ExecutorId) -> LostOutputs {
        let launched = self.launched.get(&(task.stage, task.partition)).copied().unwrap_or(u64::MAX);
        self.forget(executor, launched)
    }

    /// Forgets the outputs `executor` held that were recorded at or before `clock`.
    fn forget(&mut self, executor: &ExecutorId, clock: u64) -> LostOutputs {
        let mut lost = LostOutputs::default();
        let mut indeterminate_lost = Vec::new();
        for (stage, outputs) in &mut self.outputs {
            for (map, slot) in outputs.iter_mut().enumerate() {
                let seen = self.recorded.get(&(*stage, map)).is_none_or(|recorded| *recorded <= clock);
                if seen && slot.as_ref().is_some_and(|l| &l.executor == executor) {
                    *slot = None;
                    lost.outputs += 1;
                    if self.indeterminate.contains(stage) && !indeterminate_lost.contains(stage) {
                        indeterminate_lost.push(*stage);
                    }
                }
            }
        }
        lost.rolled_back = self.downstream(&indeterminate_lost);
        for stage in &lost.rolled_back {
            if let Some(outputs) = self.outputs.get_mut(stage) {
                outputs.iter_mut().for_each(|slot| *slot = None);
            }
            if self.is_result_stage(*stage) {
                lost.results += self.results.len();
                self.results.clear();
            }
        }
        lost
    }

    /// Every stage that reads, directly or not, one of `stages`; parents first.
    fn downstream(&self, stages: &[StageId]) -> Vec<StageId> {
        let mut found: Vec<StageId> = Vec::new();
        for stage in &self.plan.stages {
            if stage.parents.iter().any(|p| stages.contains(p) || found.contains(p)) {
                found.push(stage.id);
            }
        }
        found
    }

    /// Whether every result partition is in.
    pub fn is_done(&self) -> bool {
        self.plan.result_stage().is_some_and(|s| (0..s.partitions).all(|p| self.results.contains_key(&p)))
    }

    /// Forgets a result partition whose block could not be read: it runs again.
    pub fn result_lost(&mut self, partition: usize) {
        self.results.remove(&partition);
    }

    /// Whether the caller has read every result partition: the job ends then, so until
    /// then a lost block can still be computed again.
    pub fn is_read(&self) -> bool {
        self.plan.result_stage().is_some_and(|s| self.read >= s.partitions)
    }

    /// Whether `stage` is the result stage.
    pub fn is_result_stage(&self, stage: StageId) -> bool {
        self.plan.result_stage().is_some_and(|s| s.id == stage)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use datafusion::physical_plan::empty::EmptyExec;
    use flint_engine::ids::JobId;
    use flint_engine::planner::Stage;
    use std::sync::Arc;

    /// A stage `id` of `partitions` empty tasks reading `parents`, for scheduler tests.
    pub(crate) fn stage(id: usize, kind: StageKind, partitions: usize, parents: &[usize]) -> Stage {
        let schema = Arc::new(arrow::datatypes::Schema::empty());
        Stage {
            id: StageId(id),
            kind,
            plan: Arc::new(EmptyExec::new(schema)),
            partitions,
            parents: parents.iter().map(|p| StageId(*p)).collect(),
        }
    }

    /// A round-robin map stage `id` of `partitions` tasks dealing to two reducers.
    pub(crate) fn round_robin(id: usize, partitions: usize, parents: &[usize]) -> Stage {
        let input = Arc::new(EmptyExec::new(Arc::new(arrow::datatypes::Schema::empty())).with_partitions(partitions));
        let output = ShuffleOutput::RoundRobin { partitions: 2 };
        let writer = ShuffleWriterExec::new(input, JobId(0), StageId(id), output, std::path::PathBuf::new());
        Stage { plan: Arc::new(writer), ..stage(id, StageKind::ShuffleMap, partitions, parents) }
    }

    fn t(stage: usize, partition: usize) -> TaskKey {
        TaskKey { job: JobId(0), stage: StageId(stage), partition }
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
        assert_eq!(dag.runnable(), vec![t(0, 0), t(0, 1), t(1, 0)]);
        dag.map_finished(StageId(0), 0, at("a"));
        dag.map_finished(StageId(0), 1, at("b"));
        dag.map_finished(StageId(1), 0, at("a"));
        assert_eq!(dag.runnable(), vec![t(2, 0)]);
        assert_eq!(dag.executor_lost(&ExecutorId("a".into())).outputs, 2);
        assert_eq!(dag.runnable(), vec![t(0, 0), t(1, 0)], "only a's outputs run again");
        dag.map_finished(StageId(0), 0, at("b"));
        dag.map_finished(StageId(1), 0, at("b"));
        dag.result_finished(0, ExecutorId("b".into()));
        assert!(dag.is_done());
    }

    /// A recomputed round-robin map task may deal rows differently from the lost attempt,
    /// so reducers that read the lost attempt must not be mixed with ones that read the
    /// new one: everything downstream runs again (the wrong-answer risk of suspect (i)).
    #[test]
    fn losing_a_round_robin_output_recomputes_everything_downstream() {
        let plan = StagePlan {
            job: JobId(0),
            stages: vec![
                round_robin(0, 2, &[]),
                stage(1, StageKind::ShuffleMap, 2, &[0]),
                stage(2, StageKind::ShuffleMap, 1, &[]),
                stage(3, StageKind::Result, 2, &[1, 2]),
            ],
        };
        let mut dag = DagScheduler::new(plan);
        dag.map_finished(StageId(0), 0, at("a"));
        dag.map_finished(StageId(0), 1, at("b"));
        dag.map_finished(StageId(1), 0, at("b"));
        dag.map_finished(StageId(1), 1, at("b"));
        dag.map_finished(StageId(2), 0, at("b"));
        dag.result_finished(0, ExecutorId("b".into()));
        let lost = dag.executor_lost(&ExecutorId("a".into()));
        assert_eq!(lost, LostOutputs { outputs: 1, rolled_back: vec![StageId(1), StageId(3)], results: 1, withdrawn: vec![] });
        assert_eq!(dag.runnable(), vec![t(0, 0)], "stage 1 waits for the new round-robin output");
        dag.map_finished(StageId(0), 0, at("b"));
        assert_eq!(dag.runnable(), vec![t(1, 0), t(1, 1)], "every reducer reads the new attempt");
        dag.map_finished(StageId(1), 0, at("b"));
        dag.map_finished(StageId(1), 1, at("b"));
        assert_eq!(dag.runnable(), vec![t(3, 0), t(3, 1)], "results of the old attempt are dropped");
        assert_eq!(dag.outputs()[&StageId(2)], vec![Some(at("b"))], "stages not downstream keep their outputs");
    }

    /// Result partitions run at most [`RESULTS_AHEAD`] ahead of what the caller reads.
    #[test]
    fn result_partitions_run_only_so_far_ahead_of_the_reader() {
        let plan = StagePlan { job: JobId(0), stages: vec![stage(0, StageKind::Result, RESULTS_AHEAD + 10, &[])] };
        let mut dag = DagScheduler::new(plan);
        assert_eq!(dag.runnable(), (0..RESULTS_AHEAD).map(|p| t(0, p)).collect::<Vec<_>>());
        dag.result_finished(0, ExecutorId("b".into()));
        dag.results_read(4);
        assert_eq!(dag.runnable(), (1..RESULTS_AHEAD + 4).map(|p| t(0, p)).collect::<Vec<_>>());
        dag.results_read(100);
        assert_eq!(dag.runnable().len(), RESULTS_AHEAD + 9);
    }

    /// Losing an executor withdraws the result partitions it held that the caller has not
    /// reached; the one being read and the ones elsewhere stay.
    #[test]
    fn a_lost_executor_withdraws_the_result_partitions_not_read_yet() {
        let plan = StagePlan { job: JobId(0), stages: vec![stage(0, StageKind::Result, 4, &[])] };
        let mut dag = DagScheduler::new(plan);
        for (partition, executor) in [(0, "a"), (1, "a"), (2, "b"), (3, "a")] {
            dag.result_finished(partition, ExecutorId(executor.into()));
        }
        dag.results_read(1);
        let lost = dag.executor_lost(&ExecutorId("a".into()));
        assert_eq!(lost.withdrawn, vec![3]);
        assert_eq!(dag.runnable(), vec![t(0, 3)]);
        assert!(!dag.is_done() && !dag.is_read());
        dag.result_finished(3, ExecutorId("b".into()));
        dag.results_read(4);
        assert!(dag.is_done() && dag.is_read());
    }

    /// A hash shuffle of two maps, map 0 on executor a and map 1 on b, read by two results.
    fn two_maps_on_a_and_b() -> DagScheduler {
        let plan = StagePlan {
            job: JobId(0),
            stages: vec![stage(0, StageKind::ShuffleMap, 2, &[]), stage(1, StageKind::Result, 2, &[0])],
        };
        let mut dag = DagScheduler::new(plan);
        dag.map_finished(StageId(0), 0, at("a"));
        dag.map_finished(StageId(0), 1, at("b"));
        dag
    }

    #[test]
    fn losing_a_hash_output_recomputes_only_that_output() {
        let mut dag = two_maps_on_a_and_b();
        dag.result_finished(0, ExecutorId("b".into()));
        assert_eq!(dag.executor_lost(&ExecutorId("a".into())), LostOutputs { outputs: 1, rolled_back: vec![], results: 0, withdrawn: vec![] });
        dag.map_finished(StageId(0), 0, at("b"));
        assert_eq!(dag.runnable(), vec![t(1, 1)], "the finished result partition stands");
    }

    /// A reducer launched before a lost output was recomputed reports its fetch failure
    /// late: the new output, on the same executor, stays.
    #[test]
    fn a_late_fetch_failure_does_not_forget_the_output_that_replaced_the_lost_one() {
        let mut dag = two_maps_on_a_and_b();
        dag.task_launched(t(1, 0));
        dag.task_launched(t(1, 1));
        assert_eq!(dag.fetch_failed(t(1, 0), &ExecutorId("a".into())).outputs, 1);
        dag.map_finished(StageId(0), 0, at("a"));
        assert_eq!(dag.fetch_failed(t(1, 1), &ExecutorId("a".into())).outputs, 0, "a stale report");
        assert_eq!(dag.outputs()[&StageId(0)], vec![Some(at("a")), Some(at("b"))]);
        dag.task_launched(t(1, 1));
        assert_eq!(dag.fetch_failed(t(1, 1), &ExecutorId("a".into())).outputs, 1, "a fresh report counts");
    }
}
