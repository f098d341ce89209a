//! The scheduler's pure core: every running job's DAG, the task slots of the shared
//! executors, the executor registry and the cached partitions. Each event (a submit, a
//! task status, a heartbeat, an executor's exit, a cancellation) changes the state and
//! returns [`Action`]s for the I/O shell (`event_loop`) to carry out: launch or kill
//! attempts, clean up a job's blocks, answer a job's caller.
//!
//! Any number of jobs run at once. Free slots go to jobs in the order
//! [`Pools`](super::pools::Pools) decides (FIFO, or FAIR with pools). A job ends when its
//! result is in, when it fails, or when it is cancelled (by its caller going away, its
//! group, a tag, or all jobs); its running attempts are then killed on the executors.
//!
//! Result partitions stay on the executors that computed them: each finished one is
//! handed to the job's caller ([`Action::Result`]), which streams it from there in
//! partition order, and a successful job's blocks are removed only once its caller has
//! released its results ([`SchedulerState::release`]).

use super::caches::CacheRegistry;
use super::conf::SchedulerConf;
use super::dag::{DagScheduler, LostOutputs};
use super::executors::{Admission, ExecutorInfo, ExecutorRegistry, RegistryError};
use super::pools::{JobShare, Pools};
use super::tasks::{Assignment, TaskScheduler};
use flint_engine::ids::{CacheId, ExecutorId, JobId, StageId, TaskId, TaskKey};
use flint_engine::job_runner::{JobProperties, JobSelector};
use flint_engine::planner::{Stage, StagePlan};
use flint_engine::progress::{JobProgress, TaskMetrics};
use flint_engine::shuffle::MapOutputLocation;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where each map stage's outputs are, for resolving a stage's shuffle readers.
pub type MapOutputs = BTreeMap<StageId, Vec<Option<MapOutputLocation>>>;

/// What the I/O shell is to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send these attempts to their executors (each stage's plan encoded once, see
    /// [`SchedulerState::stage`]).
    Launch(Vec<Assignment>),
    /// Kill an attempt on its executor.
    Kill(Assignment),
    /// Remove a job's (or a released cache's) blocks from every executor, after the kills
    /// before it.
    Cleanup(JobId),
    /// Drop the connection to an executor that is gone.
    Disconnect(ExecutorId),
    /// A gone executor's exit status arrived after a failed task launch had reported it
    /// gone: its removal reason is now that status ([`SchedulerState::exit_reason`]).
    ExitReason(ExecutorId),
    /// A result partition's block was lost before the job's caller reached it: the
    /// caller forgets where it was; it is computed again and reported anew.
    Withdrawn {
        /// The job.
        job: JobId,
        /// The result partition.
        partition: usize,
    },
    /// A result partition finished: tell the job's caller where its block is.
    Result {
        /// The job.
        job: JobId,
        /// The result partition.
        partition: usize,
        /// The executor holding its block (map = `partition`, reduce 0, of the result stage).
        location: MapOutputLocation,
    },
    /// A job ended: answer its caller.
    Finished {
        /// The job.
        job: JobId,
        /// `Ok` once every result partition was handed out, or why the job ended without.
        outcome: Result<(), JobError>,
    },
}

/// How the reason starts when the driver could not launch tasks on an executor (it takes
/// the executor for gone); a later exit status of its process replaces that reason.
pub const LAUNCH_FAILED: &str = "task launch failed: ";

/// Why a job ended without its result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// A task failed too often, a shuffle kept failing, no executor is left, or the
    /// stage could not be sent.
    #[error("{job} failed: {message}")]
    Failed {
        /// The job.
        job: JobId,
        /// What failed.
        message: String,
    },
    /// The job was cancelled (an interrupt, its session closing, its caller gone).
    #[error("{job} was cancelled: {reason}")]
    Cancelled {
        /// The job.
        job: JobId,
        /// Who cancelled it and why.
        reason: String,
    },
}

/// A job to run: its stages, local properties and where progress goes.
#[derive(Debug)]
pub struct NewJob {
    /// The stages (`plan.job` is the job's id).
    pub plan: StagePlan,
    /// Its group, tags and pool.
    pub properties: JobProperties,
    /// Where finished tasks are counted.
    pub progress: Arc<JobProgress>,
}

/// What an executor reported about one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskUpdate {
    /// The executor that ran it.
    pub executor: ExecutorId,
    /// The attempt.
    pub task: TaskId,
    /// How it ended.
    pub outcome: TaskOutcome,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOutcome {
    /// It succeeded; its blocks (a result task's one block) are on its executor.
    Succeeded {
        /// What it did.
        metrics: TaskMetrics,
    },
    /// It failed.
    Failed {
        /// Why.
        error: String,
        /// The map output it could not fetch: (map stage, map partition, executor).
        fetch_failure: Option<(StageId, usize, ExecutorId)>,
    },
}

#[derive(Debug)]
struct Job {
    dag: DagScheduler,
    properties: JobProperties,
    progress: Arc<JobProgress>,
    fetch_failures: u32,
}

/// Every job, executor, slot and cached partition of one driver.
#[derive(Debug)]
pub struct SchedulerState {
    registry: ExecutorRegistry,
    tasks: TaskScheduler,
    caches: CacheRegistry,
    pools: Pools,
    jobs: BTreeMap<JobId, Job>,
    max_fetch_failures: u32,
    network_timeout: Duration,
    /// What became of executors that left, for the error when none is left.
    exits: Vec<String>,
    /// Why the cluster backend will provide no more executors, once it said so.
    gave_up: Option<String>,
}

impl SchedulerState {
    /// A scheduler for executors speaking protocol `version`.
    pub fn new(conf: &SchedulerConf, pools: Pools, version: u32) -> Self {
        Self {
            registry: ExecutorRegistry::new(version, conf.network_timeout),
            tasks: TaskScheduler::new(conf.max_failures),
            caches: CacheRegistry::default(),
            pools,
            jobs: BTreeMap::new(),
            max_fetch_failures: conf.max_fetch_failures,
            network_timeout: conf.network_timeout,
            exits: Vec::new(),
            gave_up: None,
        }
    }

    /// The jobs running now.
    pub fn jobs(&self) -> Vec<JobId> {
        self.jobs.keys().copied().collect()
    }

    /// The attempts running now.
    pub fn running(&self) -> Vec<Assignment> {
        self.tasks.running()
    }

    /// A registered executor.
    pub fn executor(&self, id: &ExecutorId) -> Option<&ExecutorInfo> {
        self.registry.get(id)
    }

    /// Why `executor` left, as last recorded (for the listener's executor-removed event).
    pub fn exit_reason(&self, executor: &ExecutorId) -> Option<&str> {
        let prefix = format!("{executor}: ");
        self.exits.iter().rev().find_map(|exit| exit.strip_prefix(&prefix))
    }

    /// The stage an attempt runs, where its parents' outputs are, and whether it is the
    /// result stage: what the shell encodes to launch it.
    pub fn stage(&self, task: &TaskId) -> Option<(&Stage, &MapOutputs, bool)> {
        let job = self.jobs.get(&task.job)?;
        let stage = job.dag.plan().stage(task.stage)?;
        Some((stage, job.dag.outputs(), job.dag.is_result_stage(task.stage)))
    }

    /// The local properties of a running job (its pool, tags, Hadoop keys).
    pub fn job_properties(&self, job: JobId) -> Option<&JobProperties> {
        self.jobs.get(&job).map(|job| &job.properties)
    }

    /// An executor registered. A later incarnation under a known id was restarted: its
    /// earlier incarnation's attempts and outputs are lost first. A stale incarnation, a
    /// second process under a live id and another protocol version are refused.
    pub fn register(&mut self, id: ExecutorId, version: u32, info: ExecutorInfo) -> Result<Vec<Action>, RegistryError> {
        let mut actions = Vec::new();
        match self.registry.admit(&id, version, &info.incarnation) {
            Ok(Admission::Restarted) => actions = self.executor_gone(&id, "it registered again (a new process)"),
            Ok(Admission::New | Admission::Again) => {}
            Err(refused) => {
                eprintln!("flint: refused {id}: {refused}");
                self.exits.push(format!("{id} was refused: {refused}"));
                return Err(refused);
            }
        }
        let (pid, cores, address) = (info.pid, info.cores, info.address.clone());
        if self.registry.register(id.clone(), version, info)? == Admission::Again {
            return Ok(actions);
        }
        self.tasks.add_executor(id.clone(), cores);
        eprintln!("flint: registered {id} (pid {pid}, {cores} cores) at {address}");
        Ok(actions)
    }

    /// A heartbeat listing the attempts `executor` runs: false if the executor is not
    /// registered (it was declared lost and should exit). Attempts it runs that no job
    /// wants are killed; attempts it has stopped listing lost their status and run again.
    pub fn heartbeat(&mut self, executor: &ExecutorId, running: &[TaskId], now: Instant) -> (bool, Vec<Action>) {
        if !self.registry.heartbeat(executor, now) {
            return (false, Vec::new());
        }
        let reconciled = self.tasks.reconcile(executor, running);
        let mut actions: Vec<Action> = reconciled
            .orphans
            .into_iter()
            .map(|task| Action::Kill(Assignment { task, executor: executor.clone() }))
            .collect();
        for task in reconciled.lost {
            tracing::warn!("{executor} no longer runs {task} and its status never arrived; running it again");
            let Some(job) = self.jobs.get(&task.job) else { continue };
            job.progress.task_failed(task.job.0, task.stage.0);
            let cause = format!("its status was lost: {executor} stopped listing it in heartbeats");
            if let Err(exhausted) = self.tasks.record_failure(task.key(), executor, &cause) {
                actions.extend(self.fail_job(task.job, exhausted.to_string()));
            }
        }
        (true, actions)
    }

    /// An attempt ended.
    pub fn status(&mut self, update: TaskUpdate) -> Vec<Action> {
        let TaskUpdate { executor, task, outcome } = update;
        let key = task.key();
        if !self.jobs.contains_key(&task.job) || !self.tasks.finished(task, &executor) {
            return Vec::new();
        }
        let location = self.registry.get(&executor).map(|info| MapOutputLocation {
            executor: executor.clone(),
            work_dir: info.work_dir.clone(),
            address: info.address.clone(),
        });
        let Some(job) = self.jobs.get_mut(&task.job) else { return Vec::new() };
        let (error, fetch_failure) = match outcome {
            TaskOutcome::Succeeded { metrics } => {
                let Some(location) = location else { return Vec::new() };
                job.progress.task_finished(task.job.0, task.stage.0, metrics);
                if job.dag.is_result_stage(task.stage) {
                    job.progress.add_rows(metrics.rows as usize);
                    job.dag.result_finished(task.partition, executor.clone());
                    return vec![Action::Result { job: task.job, partition: task.partition, location }];
                }
                job.dag.map_finished(task.stage, task.partition, location);
                return Vec::new();
            }
            TaskOutcome::Failed { error, fetch_failure } => (error, fetch_failure),
        };
        job.progress.task_failed(task.job.0, task.stage.0);
        if let Some((map_stage, map, holder)) = fetch_failure {
            eprintln!(
                "flint: task {} of stage {} could not fetch map output {map} of stage {} from executor {}; recomputing it",
                task.partition, task.stage.0, map_stage.0, holder.0
            );
            let lost = losing_outputs(task.job, job, |dag| dag.fetch_failed(key, &holder));
            tracing::info!("{} map outputs to recompute", lost.outputs);
            // Only a failure that loses outputs counts: reducers that fetched from an
            // executor already known to be lost, or read an output since replaced,
            // report nothing new.
            if lost.outputs > 0 {
                job.fetch_failures += 1;
            }
            let failures = job.fetch_failures;
            let mut actions = self.roll_back(task.job, &lost);
            if failures > self.max_fetch_failures {
                let message = format!(
                    "{failures} shuffle fetch failures (last in task {} of stage {}): {error}",
                    task.partition, task.stage.0
                );
                actions.extend(self.fail_job(task.job, message));
            }
            return actions;
        }
        eprintln!(
            "flint: task {} of stage {} failed on {executor} (attempt {}): {error}",
            task.partition, task.stage.0, task.attempt
        );
        match self.tasks.record_failure(key, &executor, &error) {
            Ok(()) => Vec::new(),
            Err(exhausted) => self.fail_job(task.job, exhausted.to_string()),
        }
    }

    /// An executor is gone (its process exited, it stopped beating, a launch to it
    /// failed, or it registered again): its running attempts run elsewhere and the map
    /// outputs and cached partitions it held are computed again.
    pub fn executor_gone(&mut self, executor: &ExecutorId, reason: &str) -> Vec<Action> {
        let launch_failed = self.exit_reason(executor).is_some_and(|earlier| earlier.starts_with(LAUNCH_FAILED));
        self.exits.push(format!("{executor}: {reason}"));
        if !self.registry.remove(executor) {
            // The driver saw the launch fail before the backend saw the process exit: the
            // exit status says better why the executor is gone.
            return if launch_failed && !reason.starts_with(LAUNCH_FAILED) { vec![Action::ExitReason(executor.clone())] } else { Vec::new() };
        }
        eprintln!("flint: lost {executor}: {reason}");
        let requeued = self.tasks.remove_executor(executor);
        for (cache, partitions) in self.caches.executor_lost(executor) {
            eprintln!("flint: {cache} lost partitions {partitions:?} with {executor}");
        }
        let mut actions = vec![Action::Disconnect(executor.clone())];
        let ids: Vec<JobId> = self.jobs.keys().copied().collect();
        for id in ids {
            let Some(job) = self.jobs.get_mut(&id) else { continue };
            let lost = losing_outputs(id, job, |dag| dag.executor_lost(executor));
            let rerun = requeued.iter().filter(|task| task.job == id).count();
            eprintln!(
                "flint: rerunning {rerun} tasks that were running, {} lost map outputs and {} unread result partitions of {id}",
                lost.outputs,
                lost.withdrawn.len()
            );
            actions.extend(lost.withdrawn.iter().map(|&partition| Action::Withdrawn { job: id, partition }));
            actions.extend(self.roll_back(id, &lost));
        }
        actions
    }

    /// The cluster backend will provide no more executors: jobs fail once none is left.
    pub fn backend_gave_up(&mut self, reason: &str) {
        eprintln!("flint: giving up on executors: {reason}");
        self.gave_up = Some(reason.to_string());
    }

    /// The clock moved on: executors silent past `spark.network.timeout` are lost.
    pub fn tick(&mut self, now: Instant) -> Vec<Action> {
        let mut actions = Vec::new();
        for executor in self.registry.expired(now) {
            let reason = format!("no heartbeat for {:?} (spark.network.timeout)", self.network_timeout);
            actions.extend(self.executor_gone(&executor, &reason));
        }
        actions
    }

    /// A job was submitted; it starts with the cache partitions live executors hold, and
    /// the tasks that no longer need to run leave its progress (Spark's skipped stages).
    pub fn submit(&mut self, job: NewJob) -> Vec<Action> {
        let NewJob { plan, properties, progress } = job;
        let id = plan.job;
        let before = DagScheduler::new(plan.clone()).pending_tasks();
        let (dag, uses) = self.caches.prepare(plan);
        let after = dag.pending_tasks();
        for (stage, tasks) in before {
            let skipped = tasks.saturating_sub(after.get(&stage).copied().unwrap_or(0));
            if skipped > 0 {
                progress.skip_stage_tasks(id.0, stage.0, skipped);
            }
        }
        for used in uses {
            eprintln!("flint: {id} reads {}: computing partitions {:?} of {}", used.cache, used.missing, used.partitions);
        }
        tracing::info!("{id} submitted with {} stages (pool {:?}, tags {:?})", dag.plan().stages.len(), properties.pool, properties.tags);
        self.jobs.insert(id, Job { dag, properties, progress, fetch_failures: 0 });
        Vec::new()
    }

    /// Cancels the jobs `selector` picks; each caller gets [`JobError::Cancelled`] with
    /// `reason` and the jobs' running attempts are killed.
    pub fn cancel(&mut self, selector: &JobSelector, reason: &str) -> Vec<Action> {
        let picked: Vec<JobId> =
            self.jobs.iter().filter(|(_, job)| selector.matches(&job.properties)).map(|(id, _)| *id).collect();
        picked.into_iter().flat_map(|id| self.cancel_job(id, reason)).collect()
    }

    /// Cancels one job (nothing when it already ended).
    pub fn cancel_job(&mut self, id: JobId, reason: &str) -> Vec<Action> {
        if self.jobs.contains_key(&id) {
            tracing::info!("cancelling {id}: {reason}");
        }
        self.end_job(id, Err(JobError::Cancelled { job: id, reason: reason.to_string() }))
    }

    /// The caller of job `id` reads result partition `partition` now (the number of
    /// partitions once it read them all: the job then ends): later ones may run (see
    /// [`super::dag::RESULTS_AHEAD`]).
    pub fn results_read(&mut self, id: JobId, partition: usize) -> Vec<Action> {
        if let Some(job) = self.jobs.get_mut(&id) {
            job.dag.results_read(partition);
        }
        Vec::new()
    }

    /// The caller of job `id` could not read result partition `partition`'s block from
    /// `executor` before passing any of its rows on: the partition is computed again and
    /// reported anew.
    pub fn result_lost(&mut self, id: JobId, partition: usize, executor: &ExecutorId) -> Vec<Action> {
        if let Some(job) = self.jobs.get_mut(&id) {
            eprintln!("flint: result partition {partition} of {id} could not be read from {executor}; recomputing it");
            losing_outputs(id, job, |dag| {
                dag.result_lost(partition);
                LostOutputs::default()
            });
        }
        Vec::new()
    }

    /// The caller of job `id` is done with its results (it read them all, or stopped):
    /// a job still running is cancelled, and the job's blocks, its result partitions
    /// among them, are removed from every executor.
    pub fn release(&mut self, id: JobId) -> Vec<Action> {
        let mut actions = self.cancel_job(id, "its caller stopped reading its results (interrupted or released)");
        if !actions.contains(&Action::Cleanup(id)) {
            actions.push(Action::Cleanup(id));
        }
        actions
    }

    /// Fails one job with `message`.
    pub fn fail_job(&mut self, id: JobId, message: String) -> Vec<Action> {
        if self.jobs.contains_key(&id) {
            eprintln!("flint: {id} failed: {message}");
        }
        self.end_job(id, Err(JobError::Failed { job: id, message }))
    }

    /// Forgets `cache` and removes its blocks from every executor.
    pub fn release_cache(&mut self, cache: CacheId) -> Vec<Action> {
        if self.caches.remove(cache) {
            eprintln!("flint: released {cache}");
        }
        vec![Action::Cleanup(cache.job())]
    }

    /// Ends finished jobs, fails every job when no executor is left, and gives free slots
    /// to runnable tasks in the order the pools decide.
    pub fn schedule(&mut self) -> Vec<Action> {
        let mut actions = Vec::new();
        let done: Vec<JobId> =
            self.jobs.iter().filter(|(_, job)| job.dag.is_done() && job.dag.is_read()).map(|(id, _)| *id).collect();
        for id in done {
            tracing::info!("{id} finished");
            if let Some(job) = self.jobs.get(&id) {
                for stage in job.progress.stages(id.0) {
                    tracing::info!("{stage}");
                }
            }
            actions.extend(self.end_job(id, Ok(())));
        }
        if let (true, Some(gave_up)) = (self.registry.is_empty(), &self.gave_up) {
            let message = format!("no executor is left ({}; {gave_up})", self.exits.join("; "));
            for id in self.jobs() {
                actions.extend(self.fail_job(id, message.clone()));
            }
        }
        let mut runnable: BTreeMap<JobId, VecDeque<TaskKey>> = self
            .jobs
            .iter()
            .map(|(id, job)| (*id, job.dag.runnable().into_iter().filter(|key| !self.tasks.is_running(key)).collect()))
            .collect();
        let mut launches = Vec::new();
        while self.tasks.has_free_slot() {
            let shares: Vec<JobShare> = runnable
                .iter()
                .filter(|(_, tasks)| !tasks.is_empty())
                .filter_map(|(id, _)| {
                    let job = self.jobs.get(id)?;
                    Some(JobShare { job: *id, pool: job.properties.pool.clone(), running: self.tasks.running_in(*id) })
                })
                .collect();
            let Some(next) = self.pools.order(&shares).first().copied() else { break };
            let Some(key) = runnable.get_mut(&next).and_then(VecDeque::pop_front) else { break };
            if let Some(assignment) = self.tasks.assign(key) {
                if let Some(job) = self.jobs.get_mut(&next) {
                    job.dag.task_launched(key);
                }
                launches.push(assignment);
            }
        }
        if !launches.is_empty() {
            actions.push(Action::Launch(launches));
        }
        actions
    }

    /// Removes a job: keeps the cache partitions it computed, kills its running attempts
    /// and answers its caller. A failed or cancelled job's blocks are removed now (after
    /// the kills); a successful one's when its caller releases its results.
    fn end_job(&mut self, id: JobId, outcome: Result<(), JobError>) -> Vec<Action> {
        let Some(job) = self.jobs.remove(&id) else { return Vec::new() };
        for (cache, partition, executor) in self.caches.record(&job.dag) {
            eprintln!("flint: {cache} partition {partition} is on {executor}");
        }
        let mut actions: Vec<Action> = self.tasks.remove_job(id).into_iter().map(Action::Kill).collect();
        if outcome.is_err() {
            actions.push(Action::Cleanup(id));
        }
        actions.push(Action::Finished { job: id, outcome });
        actions
    }

    /// Stages downstream of a lost round-robin output run again from scratch: their
    /// running attempts read the lost attempt's blocks, so they are killed and forgotten.
    /// Result partitions already handed to the caller cannot be taken back: the job fails
    /// with Spark's error for an indeterminate stage under a result stage.
    fn roll_back(&mut self, job: JobId, lost: &LostOutputs) -> Vec<Action> {
        if lost.rolled_back.is_empty() {
            return Vec::new();
        }
        if lost.results > 0 {
            let result_stage = lost.rolled_back.last().map_or(0, |stage| stage.0);
            let message = format!(
                "A shuffle map stage with indeterminate output was failed and retried. However, Spark cannot rollback \
                 the ResultStage {result_stage} to re-process the input data, and has to fail this job. Please eliminate \
                 the indeterminacy by checkpointing the RDD before repartition and try again."
            );
            return self.fail_job(job, message);
        }
        let stages: Vec<String> = lost.rolled_back.iter().map(|s| s.0.to_string()).collect();
        eprintln!("flint: a lost map output was round-robin; recomputing stages {} from scratch", stages.join(", "));
        self.tasks.abandon(job, &lost.rolled_back).into_iter().map(Action::Kill).collect()
    }
}

/// Applies a change that loses map outputs to a job's DAG, counting the tasks it adds to
/// each stage in the job's progress.
fn losing_outputs(id: JobId, job: &mut Job, change: impl FnOnce(&mut DagScheduler) -> LostOutputs) -> LostOutputs {
    let before = job.dag.pending_tasks();
    let lost = change(&mut job.dag);
    for (stage, missing) in job.dag.pending_tasks() {
        let added = missing.saturating_sub(before.get(&stage).copied().unwrap_or(0));
        if added > 0 {
            job.progress.add_stage_tasks(id.0, stage.0, added);
        }
    }
    lost
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::scheduler::pools::{PoolConf, SchedulingMode};
    use crate::scheduler::tasks::MISSED_HEARTBEATS_BEFORE_LOST;
    use crate::scheduler::dag::tests::stage;
    use crate::scheduler::executors::Incarnation;
    use flint_engine::planner::StageKind;
    use std::path::PathBuf;

    fn e(id: &str) -> ExecutorId {
        ExecutorId(id.to_string())
    }

    fn conf() -> SchedulerConf {
        SchedulerConf {
            max_failures: 2,
            network_timeout: Duration::from_secs(10),
            max_fetch_failures: 4,
            mode: None,
            allocation_file: None,
            max_result_size: Some(1 << 20),
            listener: Default::default(),
            executor_conf: Default::default(),
        }
    }

    /// An executor of `cores` slots whose process started at `epoch`.
    fn info(cores: usize, epoch: u64) -> ExecutorInfo {
        let incarnation = Incarnation { name: "exec".into(), epoch };
        ExecutorInfo { address: "127.0.0.1:1".into(), cores, work_dir: PathBuf::from("/w"), incarnation, pid: 1, last_seen: Instant::now() }
    }

    /// A map stage 0 of `maps` partitions read by a result stage 1 of `results`.
    fn job(id: u64, maps: usize, results: usize, properties: JobProperties) -> NewJob {
        NewJob {
            plan: StagePlan {
                job: JobId(id),
                stages: vec![stage(0, StageKind::ShuffleMap, maps, &[]), stage(1, StageKind::Result, results, &[0])],
            },
            properties,
            progress: Arc::default(),
        }
    }

    /// A job tagged `tag`, in a pool of that name.
    fn tagged(tag: &str) -> JobProperties {
        JobProperties { tags: vec![tag.to_string()], pool: Some(tag.to_string()), ..Default::default() }
    }

    fn in_pool(pool: &str) -> JobProperties {
        JobProperties { pool: Some(pool.to_string()), ..Default::default() }
    }

    /// A state with executors `a` and `b` of `cores` slots each.
    fn cluster(pools: Pools, cores: usize) -> SchedulerState {
        let mut state = SchedulerState::new(&conf(), pools, 1);
        state.register(e("a"), 1, info(cores, 1)).unwrap();
        state.register(e("b"), 1, info(cores, 2)).unwrap();
        state
    }

    fn launched(actions: &[Action]) -> Vec<Assignment> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Launch(tasks) => Some(tasks.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    fn killed(actions: &[Action]) -> Vec<TaskId> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Kill(assignment) => Some(assignment.task),
                _ => None,
            })
            .collect()
    }

    fn finished(actions: &[Action]) -> Vec<(JobId, Result<(), JobError>)> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Finished { job, outcome } => Some((*job, outcome.clone())),
                _ => None,
            })
            .collect()
    }

    /// The result partitions handed to callers, by job.
    fn results(actions: &[Action]) -> Vec<(JobId, usize)> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Result { job, partition, .. } => Some((*job, *partition)),
                _ => None,
            })
            .collect()
    }

    fn succeed(state: &mut SchedulerState, assignment: &Assignment) -> Vec<Action> {
        let outcome = TaskOutcome::Succeeded { metrics: TaskMetrics::default() };
        state.status(TaskUpdate { executor: assignment.executor.clone(), task: assignment.task, outcome })
    }

    /// Runs every launched attempt to success until no attempt is launched; returns every
    /// action seen.
    fn run_to_end(state: &mut SchedulerState, mut actions: Vec<Action>) -> Vec<Action> {
        let mut seen = Vec::new();
        loop {
            actions.extend(state.schedule());
            let launches = launched(&actions);
            seen.append(&mut actions);
            if launches.is_empty() {
                return seen;
            }
            for assignment in launches {
                actions.extend(succeed(state, &assignment));
                actions.extend(state.results_read(assignment.task.job, usize::MAX));
            }
        }
    }

    /// Two jobs submitted while both run share the executors and both finish with their
    /// own results; the single-job scheduler dropped the first and hung the second.
    #[test]
    fn concurrent_jobs_both_finish_with_their_own_results() {
        let mut state = cluster(Pools::default(), 1);
        state.submit(job(0, 2, 2, JobProperties::default()));
        let first = launched(&state.schedule());
        assert_eq!(first.len(), 2, "job 0 takes both slots (FIFO)");
        state.submit(job(1, 2, 3, JobProperties::default()));
        assert!(launched(&state.schedule()).is_empty(), "no free slot for job 1 yet");
        let mut actions = Vec::new();
        for assignment in &first {
            actions.extend(succeed(&mut state, assignment));
        }
        let seen = run_to_end(&mut state, actions);
        let mut ended = finished(&seen);
        ended.sort_by_key(|(job, _)| *job);
        assert_eq!(ended, vec![(JobId(0), Ok(())), (JobId(1), Ok(()))]);
        let mut handed_out = results(&seen);
        handed_out.sort();
        assert_eq!(handed_out, vec![(JobId(0), 0), (JobId(0), 1), (JobId(1), 0), (JobId(1), 1), (JobId(1), 2)]);
        assert!(state.jobs().is_empty());
        assert!(state.running().is_empty());
    }

    #[test]
    fn fifo_serves_the_earlier_job_first_and_fair_shares_between_pools() {
        let mut fifo = cluster(Pools::default(), 2);
        fifo.submit(job(0, 8, 1, JobProperties::default()));
        fifo.submit(job(1, 8, 1, JobProperties::default()));
        let jobs: Vec<u64> = launched(&fifo.schedule()).iter().map(|a| a.task.job.0).collect();
        assert_eq!(jobs, vec![0, 0, 0, 0]);

        let mut fair = cluster(Pools::new(SchedulingMode::Fair, BTreeMap::new()), 2);
        fair.submit(job(0, 8, 1, in_pool("etl")));
        fair.submit(job(1, 8, 1, in_pool("adhoc")));
        let launches = launched(&fair.schedule());
        let per_job = |job: u64| launches.iter().filter(|a| a.task.job == JobId(job)).count();
        assert_eq!((per_job(0), per_job(1)), (2, 2), "two pools of equal weight share the four slots");

        let weighted = [("etl".to_string(), PoolConf { weight: 3, ..PoolConf::default() })].into_iter().collect();
        let mut fair = cluster(Pools::new(SchedulingMode::Fair, weighted), 4);
        fair.submit(job(0, 8, 1, in_pool("etl")));
        fair.submit(job(1, 8, 1, in_pool("adhoc")));
        let launches = launched(&fair.schedule());
        let per_job = |job: u64| launches.iter().filter(|a| a.task.job == JobId(job)).count();
        assert_eq!((per_job(0), per_job(1)), (6, 2), "weight 3 against 1 shares eight slots 6:2");
    }

    /// Cancelling by tag ends only the tagged job: its attempts are killed, its blocks
    /// removed, its caller told; the other job keeps running and gets the slots.
    #[test]
    fn cancelling_a_tag_kills_that_jobs_attempts_and_the_others_go_on() {
        let mut state = cluster(Pools::new(SchedulingMode::Fair, BTreeMap::new()), 1);
        state.submit(job(0, 4, 1, tagged("etl")));
        state.submit(job(1, 4, 1, tagged("report")));
        let running = launched(&state.schedule());
        assert_eq!(running.len(), 2);
        let actions = state.cancel(&JobSelector::Tag("etl".into()), "interrupted");
        let etl: Vec<TaskId> = running.iter().filter(|a| a.task.job == JobId(0)).map(|a| a.task).collect();
        assert_eq!(killed(&actions), etl);
        assert!(actions.contains(&Action::Cleanup(JobId(0))));
        assert_eq!(
            finished(&actions),
            vec![(JobId(0), Err(JobError::Cancelled { job: JobId(0), reason: "interrupted".into() }))]
        );
        let late = running.iter().find(|a| a.task.job == JobId(0)).unwrap();
        assert!(succeed(&mut state, late).is_empty(), "a late report of a cancelled job is ignored");
        let next = launched(&state.schedule());
        assert!(next.iter().all(|a| a.task.job == JobId(1)), "the freed slot goes to job 1: {next:?}");
        assert!(state.cancel(&JobSelector::Tag("etl".into()), "again").is_empty(), "nothing left to cancel");
        assert!(state.cancel_job(JobId(0), "its caller went away").is_empty(), "an ended job stays ended");
    }

    #[test]
    fn cancelling_a_group_or_all_jobs() {
        let mut state = cluster(Pools::default(), 1);
        let group = |g: &str| JobProperties { group: Some(g.to_string()), ..Default::default() };
        state.submit(job(0, 1, 1, group("nightly")));
        state.submit(job(1, 1, 1, group("nightly")));
        state.submit(job(2, 1, 1, group("other")));
        state.schedule();
        let cancelled: Vec<JobId> =
            finished(&state.cancel(&JobSelector::Group("nightly".into()), "cancelJobGroup")).into_iter().map(|(j, _)| j).collect();
        assert_eq!(cancelled, vec![JobId(0), JobId(1)]);
        let cancelled: Vec<JobId> = finished(&state.cancel(&JobSelector::All, "stop")).into_iter().map(|(j, _)| j).collect();
        assert_eq!(cancelled, vec![JobId(2)]);
        assert!(state.running().is_empty(), "every slot is free");
    }

    /// An executor process restarted under the same id: what the old one ran and held is
    /// lost (run again elsewhere or on the new process), and its slots are the new one's.
    #[test]
    fn an_executor_registering_again_loses_its_old_attempts_and_outputs() {
        let mut state = cluster(Pools::default(), 1);
        state.submit(job(0, 2, 1, JobProperties::default()));
        let maps = launched(&state.schedule());
        let on_a = maps.iter().find(|a| a.executor == e("a")).unwrap().clone();
        let on_b = maps.iter().find(|a| a.executor == e("b")).unwrap().clone();
        succeed(&mut state, &on_b);
        let actions = state.register(e("b"), 1, info(2, 3)).unwrap();
        assert!(actions.contains(&Action::Disconnect(e("b"))));
        assert!(succeed(&mut state, &on_b).is_empty(), "a report of the old process");
        let again = launched(&state.schedule());
        assert_eq!(again.len(), 1, "map 1's output was on the old b: {again:?}");
        assert_eq!((again[0].task.partition, again[0].task.attempt, &again[0].executor), (1, 1, &e("b")));
        assert_eq!(state.executor(&e("b")).unwrap().incarnation.epoch, 3);
        let mut actions = succeed(&mut state, &on_a);
        actions.extend(succeed(&mut state, &again[0]));
        let seen = run_to_end(&mut state, actions);
        assert_eq!(finished(&seen), vec![(JobId(0), Ok(()))]);
    }

    /// A status that never arrived: once the executor's heartbeats stop listing the
    /// attempt, the task runs again (counted as a failure, so it cannot loop forever);
    /// an attempt an executor runs for a cancelled job is killed again.
    #[test]
    fn lost_statuses_are_resubmitted_and_orphans_killed_from_heartbeats() {
        let mut state = cluster(Pools::default(), 1);
        state.submit(job(0, 1, 1, JobProperties::default()));
        let map = launched(&state.schedule()).remove(0);
        let now = Instant::now();
        for _ in 1..MISSED_HEARTBEATS_BEFORE_LOST {
            let (known, actions) = state.heartbeat(&map.executor, &[], now);
            assert!(known && actions.is_empty());
        }
        let (_, actions) = state.heartbeat(&map.executor, &[], now);
        assert!(actions.is_empty(), "{actions:?}");
        let again = launched(&state.schedule());
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].task.key(), again[0].task.attempt), (map.task.key(), 1));
        assert!(succeed(&mut state, &map).is_empty(), "the lost attempt's late report is ignored");

        let stray = TaskKey { job: JobId(9), stage: StageId(0), partition: 0 }.attempt(0);
        let (_, actions) = state.heartbeat(&e("a"), &[stray], now);
        assert_eq!(killed(&actions), vec![stray]);
        let (known, _) = state.heartbeat(&e("nobody"), &[], now);
        assert!(!known, "an unknown executor is told to exit");
    }

    #[test]
    fn a_task_failing_max_failures_times_fails_only_its_job() {
        let mut state = cluster(Pools::default(), 1);
        state.submit(job(0, 1, 1, JobProperties::default()));
        state.submit(job(1, 1, 1, JobProperties::default()));
        let mut failures = 0;
        let mut outcome = Vec::new();
        while outcome.is_empty() {
            let launches = launched(&state.schedule());
            let Some(first) = launches.iter().find(|a| a.task.job == JobId(0)) else { break };
            let failed = TaskOutcome::Failed { error: "boom".into(), fetch_failure: None };
            outcome = finished(&state.status(TaskUpdate { executor: first.executor.clone(), task: first.task, outcome: failed }));
            failures += 1;
        }
        assert_eq!(failures, 2);
        let (job, Err(JobError::Failed { message, .. })) = &outcome[0] else { panic!("{outcome:?}") };
        assert_eq!(*job, JobId(0));
        assert!(message.contains("failed 2 times") && message.contains("boom"), "{message}");
        assert_eq!(state.jobs(), vec![JobId(1)]);
    }

    /// Each finished result partition is handed out at once, with the executor holding
    /// its block; a successful job's blocks stay until its caller releases the results.
    #[test]
    fn result_partitions_are_handed_out_as_they_finish_and_cleaned_up_on_release() {
        let mut state = cluster(Pools::default(), 1);
        state.submit(job(0, 1, 2, JobProperties::default()));
        let map = launched(&state.schedule()).remove(0);
        succeed(&mut state, &map);
        let reducers = launched(&state.schedule());
        assert_eq!(reducers.len(), 2);
        let first = succeed(&mut state, &reducers[1]);
        let [Action::Result { job: JobId(0), partition: 1, location }] = first.as_slice() else { panic!("{first:?}") };
        assert_eq!(location.executor, reducers[1].executor);
        let mut last = succeed(&mut state, &reducers[0]);
        last.extend(state.schedule());
        assert_eq!(results(&last), vec![(JobId(0), 0)]);
        assert!(finished(&last).is_empty(), "the job lasts until its caller has read every partition");
        state.results_read(JobId(0), 2);
        let last = state.schedule();
        assert_eq!(finished(&last), vec![(JobId(0), Ok(()))]);
        assert!(!last.contains(&Action::Cleanup(JobId(0))), "the caller still streams the results");
        assert_eq!(state.release(JobId(0)), vec![Action::Cleanup(JobId(0))]);

        state.submit(job(1, 1, 1, JobProperties::default()));
        let running = launched(&state.schedule());
        let released = state.release(JobId(1));
        assert_eq!(killed(&released), vec![running[0].task], "a caller that stops reading cancels its job");
        assert_eq!(released.iter().filter(|a| **a == Action::Cleanup(JobId(1))).count(), 1);
        assert!(matches!(finished(&released)[..], [(JobId(1), Err(JobError::Cancelled { .. }))]));
    }

    /// A result block its caller could not read is computed again and handed out anew;
    /// an executor lost with unread result blocks has them withdrawn and recomputed.
    #[test]
    fn unreadable_and_lost_result_blocks_are_computed_again() {
        let mut state = cluster(Pools::default(), 1);
        state.submit(job(0, 1, 2, JobProperties::default()));
        let map = launched(&state.schedule()).remove(0);
        succeed(&mut state, &map);
        let reducers = launched(&state.schedule());
        for reducer in &reducers {
            succeed(&mut state, reducer);
        }
        state.result_lost(JobId(0), 0, &reducers[0].executor);
        let again = launched(&state.schedule());
        assert_eq!(again.iter().map(|a| (a.task.partition, a.task.attempt)).collect::<Vec<_>>(), vec![(0, 1)]);
        assert_eq!(results(&succeed(&mut state, &again[0])), vec![(JobId(0), 0)]);
        let holder = reducers.iter().find(|r| r.task.partition == 1).unwrap().executor.clone();
        let actions = state.executor_gone(&holder, "exited with signal 9");
        assert!(actions.contains(&Action::Withdrawn { job: JobId(0), partition: 1 }), "{actions:?}");
        assert_eq!(launched(&state.schedule()).iter().map(|a| a.task.partition).collect::<Vec<_>>(), vec![1]);
    }

    /// Losing a round-robin output under a result stage whose partitions were already
    /// handed out fails the job (Spark's indeterminate-stage error): the caller may have
    /// passed those rows on, and a recomputed map task may deal rows differently.
    #[test]
    fn an_indeterminate_rollback_after_results_were_handed_out_fails_the_job() {
        use crate::scheduler::dag::tests::round_robin;
        let mut state = cluster(Pools::default(), 1);
        let plan = StagePlan { job: JobId(0), stages: vec![round_robin(0, 2, &[]), stage(1, StageKind::Result, 2, &[0])] };
        state.submit(NewJob { plan, properties: JobProperties::default(), progress: Arc::default() });
        for map in launched(&state.schedule()) {
            succeed(&mut state, &map);
        }
        let reducers = launched(&state.schedule());
        let on_a = reducers.iter().find(|r| r.executor == e("a")).unwrap();
        assert_eq!(results(&succeed(&mut state, on_a)).len(), 1);
        let actions = state.executor_gone(&e("a"), "exited with signal 9");
        let [(JobId(0), Err(JobError::Failed { message, .. }))] = &finished(&actions)[..] else { panic!("{actions:?}") };
        assert!(message.contains("cannot rollback the ResultStage 1"), "{message}");
    }

    /// A failed task launch reports an executor gone first; its exit status, arriving
    /// after, becomes the reason, and an exit after any other reason changes nothing.
    #[test]
    fn an_exit_status_after_a_failed_launch_replaces_its_reason() {
        let mut state = cluster(Pools::default(), 1);
        assert!(state.executor_gone(&e("a"), &format!("{LAUNCH_FAILED}transport error")).contains(&Action::Disconnect(e("a"))));
        assert_eq!(state.executor_gone(&e("a"), "exited with signal 9"), vec![Action::ExitReason(e("a"))]);
        assert_eq!(state.exit_reason(&e("a")), Some("exited with signal 9"));
        state.executor_gone(&e("b"), "no heartbeat");
        assert!(state.executor_gone(&e("b"), "exited with signal 9").is_empty(), "the first reason that is no launch failure stays");
        assert!(state.executor_gone(&e("a"), "exited with signal 15").is_empty(), "replaced once");
    }

    /// Every executor of a running job is lost; a replacement under a new id joins the
    /// same job and finishes it, while the lost process registering again is refused.
    #[test]
    fn a_replacement_joins_a_running_job_and_a_lost_incarnation_cannot_rejoin() {
        let mut state = cluster(Pools::default(), 1);
        state.submit(job(0, 2, 1, JobProperties::default()));
        state.schedule();
        state.executor_gone(&e("a"), "no heartbeat");
        state.executor_gone(&e("b"), "no heartbeat");
        assert!(finished(&state.schedule()).is_empty(), "the backend did not give up");
        let stale = state.register(e("a"), 1, info(1, 1)).unwrap_err();
        assert!(matches!(stale, RegistryError::Stale { .. }), "{stale}");
        state.register(e("c"), 1, info(2, 7)).unwrap();
        let seen = run_to_end(&mut state, Vec::new());
        assert_eq!(finished(&seen), vec![(JobId(0), Ok(()))]);
        assert!(state.executor(&e("a")).is_none());
    }

    #[test]
    fn losing_every_executor_fails_every_job() {
        let mut state = cluster(Pools::default(), 1);
        state.submit(job(0, 1, 1, JobProperties::default()));
        state.submit(job(1, 1, 1, JobProperties::default()));
        state.schedule();
        state.executor_gone(&e("a"), "exited with signal 9");
        state.executor_gone(&e("b"), "exited with signal 9");
        assert!(finished(&state.schedule()).is_empty(), "replacements may still come");
        state.backend_gave_up("the backend replaces none");
        let ended = finished(&state.schedule());
        assert_eq!(ended.len(), 2);
        for (_, outcome) in ended {
            let message = outcome.unwrap_err().to_string();
            assert!(message.contains("no executor is left") && message.contains("signal 9"), "{message}");
        }
    }
}
