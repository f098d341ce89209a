//! Where each operator of a job's stages stands in the plan before it was split: its
//! position in that plan's pre-order. Tasks report their operators' metrics per stage
//! fragment; through these positions they add up to the operators of the query's plan
//! (the SQL tab's graph of a job that ran on executors).

use super::cached_relation::CachedRelationExec;
use super::stages::{StagePlan, exchange};
use crate::shuffle::ShuffleReaderExec;
use datafusion::physical_plan::ExecutionPlan;
use std::sync::Arc;

/// For each stage of `stages` (in their order), for each operator of its fragment in
/// pre-order, the position in `plan`'s pre-order of the operator it runs; `None` for the
/// shuffle writers and readers the split added, and for any operator whose place in
/// `plan` is not certain (its name differs from the one there).
pub fn stage_origins(plan: &Arc<dyn ExecutionPlan>, stages: &StagePlan) -> Vec<Vec<Option<usize>>> {
    let mut origins: Vec<Vec<Option<usize>>> = stages.stages.iter().map(|s| vec![None; operator_count(&s.plan)]).collect();
    if let Some(result) = stages.stages.len().checked_sub(1) {
        Walk { stages, origins: &mut origins }.pair(plan, 0, result, &stages.stages[result].plan, 0);
    }
    origins
}

/// The operators of `plan`, counted as its pre-order lists them.
pub fn operator_count(plan: &Arc<dyn ExecutionPlan>) -> usize {
    1 + plan.children().into_iter().map(operator_count).sum::<usize>()
}

/// A walk of the plan and of the stage fragments side by side.
struct Walk<'a> {
    stages: &'a StagePlan,
    origins: &'a mut Vec<Vec<Option<usize>>>,
}

impl Walk<'_> {
    /// `fragment`, at `at` in stage `stage`'s pre-order, runs `original`, at `position` in
    /// the plan's: records it and pairs their inputs.
    fn pair(&mut self, original: &Arc<dyn ExecutionPlan>, position: usize, stage: usize, fragment: &Arc<dyn ExecutionPlan>, at: usize) {
        if original.name() != fragment.name() {
            return;
        }
        if let Some(slot) = self.origins.get_mut(stage).and_then(|s| s.get_mut(at)) {
            *slot = Some(position);
        }
        // A cached relation's lineage runs in its own (cache) job, not in this plan.
        if original.is::<CachedRelationExec>() {
            return;
        }
        // An exchange kept above its reader (a merge): its input is the map stage's.
        let kept = matches!(exchange(original), Ok(Some((_, _, _, true))));
        let (mut position, mut at) = (position + 1, at + 1);
        for (input, child) in original.children().into_iter().zip(fragment.children()) {
            let map_stage = child
                .downcast_ref::<ShuffleReaderExec>()
                .filter(|reader| reader.job() == self.stages.job && !input.is::<ShuffleReaderExec>())
                .and_then(|reader| self.stages.stages.iter().position(|s| s.id == reader.stage()));
            match map_stage {
                Some(map) => self.map_stage(input, position, kept, map),
                None => self.pair(input, position, stage, child, at),
            }
            position += operator_count(input);
            at += operator_count(child);
        }
    }

    /// The reader of map stage `map` stands at `position` for `input`: the exchange, or,
    /// when the exchange was `kept` above the reader, the exchange's input.
    fn map_stage(&mut self, input: &Arc<dyn ExecutionPlan>, position: usize, kept: bool, map: usize) {
        let written = if kept {
            Some((input, position))
        } else {
            matches!(exchange(input), Ok(Some((_, _, _, false)))).then(|| input.children().first().map(|c| (*c, position + 1))).flatten()
        };
        // The map stage's root is its shuffle writer; what it writes is at 1.
        let writer_input = self.stages.stages[map].plan.children().first().map(|c| Arc::clone(c));
        if let (Some((original, position)), Some(writer_input)) = (written, writer_input) {
            self.pair(original, position, map, &writer_input, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FlintSession;
    use crate::config::SparkConf;
    use crate::ids::JobId;
    use crate::planner::split_into_stages;

    fn pre_order(plan: &Arc<dyn ExecutionPlan>) -> Vec<String> {
        let mut names = vec![plan.name().to_string()];
        for child in plan.children() {
            names.extend(pre_order(child));
        }
        names
    }

    /// Every operator of an aggregation and sort but the exchanges runs in exactly one
    /// stage, at a place of the same name; writers and readers stand for nothing.
    #[tokio::test]
    async fn each_operator_of_the_plan_runs_in_one_stage() {
        let mut conf = SparkConf::new();
        conf.set("spark.master", "local[2]");
        let session = FlintSession::new(conf).unwrap();
        let ctx = session.context();
        ctx.sql("create table t (k int, v int) as values (1, 10), (2, 20), (1, 30)").await.unwrap().collect().await.unwrap();
        let plan = ctx.sql("select k, sum(v) from t group by k order by k").await.unwrap().create_physical_plan().await.unwrap();
        let stages = split_into_stages(JobId(1), Arc::clone(&plan)).unwrap();
        let origins = stage_origins(&plan, &stages);
        let names = pre_order(&plan);
        let mut seen = vec![0; names.len()];
        for (stage, origins) in stages.stages.iter().zip(&origins) {
            let fragment = pre_order(&stage.plan);
            assert_eq!(fragment.len(), origins.len());
            for (name, origin) in fragment.iter().zip(origins) {
                match origin {
                    Some(at) => {
                        assert_eq!(&names[*at], name, "{names:?} {fragment:?}");
                        seen[*at] += 1;
                    }
                    None => assert!(name.starts_with("Shuffle"), "{name} stands for an operator of the plan: {fragment:?}"),
                }
            }
        }
        for (name, count) in names.iter().zip(&seen) {
            let expected = usize::from(name != "RepartitionExec");
            assert_eq!(*count, expected, "{name} in {names:?}: {seen:?}");
        }
        assert!(names.iter().any(|n| n == "RepartitionExec"), "the plan has a hash exchange: {names:?}");
    }
}
