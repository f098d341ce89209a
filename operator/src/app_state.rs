//! The pure status machine: (spec, previous status, observed pods, now) → the next
//! status, the objects to apply or delete, the transitions to report, and when to look
//! again. No I/O: the controller lists pods, calls [`reconcile`], and carries out the plan.
//!
//! States follow kubeflow's v1beta2 machine: NEW → SUBMITTED → RUNNING → SUCCEEDING →
//! COMPLETED, or FAILING → FAILED; SUBMISSION_FAILED when the driver's objects cannot be
//! created; PENDING_RERUN before a retry; INVALIDATING when the spec changes (a change of
//! `executor.instances` alone is a scale, not a spec change). Unlike kubeflow, a driver
//! or executor stuck Pending fails the app after a timeout with the scheduler's reason.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use flint_proto::conf::PENDING_TIMEOUT;

use crate::crd::{AppState, Condition, RestartPolicyType, SparkApplicationSpec, SparkApplicationStatus, StateTransition};

/// At most this many entries in `status.executorState` (kubeflow #2025: status outgrew etcd).
pub const MAX_EXECUTOR_STATES: usize = 100;
/// At most this many entries in `status.stateHistory`.
pub const MAX_STATE_HISTORY: usize = 20;

/// A pod's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not running yet (unscheduled, or its containers are starting).
    Pending,
    /// Running.
    Running,
    /// Every container exited 0.
    Succeeded,
    /// A container failed.
    Failed,
    /// The kubelet does not say.
    Unknown,
}

impl Phase {
    /// Parses `status.phase`.
    pub fn parse(phase: Option<&str>) -> Self {
        match phase {
            Some("Pending") | None => Phase::Pending,
            Some("Running") => Phase::Running,
            Some("Succeeded") => Phase::Succeeded,
            Some("Failed") => Phase::Failed,
            Some(_) => Phase::Unknown,
        }
    }

    /// Whether the pod is done.
    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed)
    }
}

/// How a container ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Terminated {
    /// Its exit code.
    pub exit_code: i32,
    /// Kubernetes' reason, e.g. `Error`, `OOMKilled`.
    pub reason: Option<String>,
    /// Kubernetes' message.
    pub message: Option<String>,
    /// The signal, if one killed it.
    pub signal: Option<i32>,
}

/// What the controller saw of one pod, reduced to what decisions need.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodView {
    /// Its name.
    pub name: String,
    /// Its uid.
    pub uid: String,
    /// Its phase.
    pub phase: Option<Phase>,
    /// Whether it has a deletion timestamp.
    pub deleting: bool,
    /// When it was created.
    pub created: Option<Timestamp>,
    /// Its IP once it has one.
    pub ip: Option<String>,
    /// Whether its Ready condition is True (the driver: its scheduler port accepts
    /// connections, so executors started now can register).
    pub ready: bool,
    /// `flint.dev/executor-id`, for executors.
    pub executor_id: Option<i32>,
    /// The scheduler's message when `PodScheduled` is False (e.g. `0/1 nodes are available:
    /// 1 Insufficient cpu.`).
    pub unschedulable: Option<String>,
    /// Why a container waits (`ImagePullBackOff: ...`, `CreateContainerConfigError: ...`).
    pub waiting: Option<String>,
    /// How the main container ended.
    pub terminated: Option<Terminated>,
}

impl PodView {
    fn phase(&self) -> Phase {
        self.phase.unwrap_or(Phase::Pending)
    }

    fn is_live(&self) -> bool {
        !self.deleting && !self.phase().is_terminal()
    }

    /// Why the pod is not running, from the scheduler or the kubelet.
    fn pending_reason(&self) -> String {
        self.unschedulable
            .clone()
            .or_else(|| self.waiting.clone())
            .unwrap_or_else(|| "no reason given by the scheduler or the kubelet".to_string())
    }
}

/// Operator-wide timing knobs.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// A driver or executor Pending longer than this fails the app
    /// (`spark.flint.kubernetes.pendingTimeout` overrides it per app).
    pub pending_timeout: Duration,
    /// Look again after this long even if nothing changed.
    pub resync: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self { pending_timeout: Duration::from_secs(300), resync: Duration::from_secs(60) }
    }
}

/// Everything [`reconcile`] decides from.
#[derive(Debug, Clone)]
pub struct Observed<'a> {
    /// The app's spec.
    pub spec: &'a SparkApplicationSpec,
    /// `metadata.generation`.
    pub generation: i64,
    /// The status as last written (default for a new app).
    pub status: SparkApplicationStatus,
    /// The current attempt's driver pod, if it exists.
    pub driver: Option<PodView>,
    /// The current attempt's executor pods.
    pub executors: Vec<PodView>,
    /// The last lines of a failed driver's log, fetched by the controller.
    pub driver_log_tail: Option<String>,
    /// Now.
    pub now: Timestamp,
    /// Timing knobs.
    pub settings: &'a Settings,
}

/// What the controller must do to the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Apply the ConfigMap, Service and driver Pod of this attempt.
    ApplyDriver {
        /// The attempt.
        attempt: i32,
    },
    /// Apply these executor pods of the current attempt.
    ApplyExecutors {
        /// Their ids.
        ids: Vec<i32>,
    },
    /// Delete these pods (by name).
    DeletePods(Vec<String>),
    /// Delete the application itself (its TTL expired).
    DeleteApplication,
}

/// A state change, to record as an Event and in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The state left.
    pub from: AppState,
    /// The state entered.
    pub to: AppState,
    /// CamelCase reason.
    pub reason: String,
    /// What happened.
    pub message: String,
}

impl Transition {
    /// Whether `kubectl describe` should show it as a Warning.
    pub fn is_warning(&self) -> bool {
        matches!(self.to, AppState::Failing | AppState::Failed | AppState::SubmissionFailed | AppState::Invalidating)
    }
}

/// The outcome of one [`reconcile`].
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The status to write.
    pub status: SparkApplicationStatus,
    /// What to do, in order.
    pub actions: Vec<Action>,
    /// State changes made.
    pub transitions: Vec<Transition>,
    /// When to look again at the latest.
    pub requeue_after: Duration,
}

struct Step<'a> {
    obs: &'a Observed<'a>,
    status: SparkApplicationStatus,
    actions: Vec<Action>,
    transitions: Vec<Transition>,
    requeue: Duration,
}

/// Hash of the spec without `executor.instances` (a change of it alone is a scale) and
/// `timeToLiveSeconds` (editing it must not rerun the app, kubeflow PR #2956). FNV-1a
/// over the JSON, so the value stays the same across operator builds and Rust versions
/// (an operator upgrade must not rerun every app).
pub fn spec_hash(spec: &SparkApplicationSpec) -> String {
    let mut spec = spec.clone();
    spec.executor.instances = None;
    spec.time_to_live_seconds = None;
    let text = serde_json::to_string(&spec).unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Decides the next status and actions from what was observed.
pub fn reconcile(obs: &Observed<'_>) -> Plan {
    let mut step = Step {
        obs,
        status: obs.status.clone(),
        actions: Vec::new(),
        transitions: Vec::new(),
        requeue: obs.settings.resync,
    };
    step.run();
    step.finish()
}

/// The driver's objects could not be created (the API server refused them): the status
/// after `plan`, in SUBMISSION_FAILED with `message`.
pub fn submission_failed(plan: Plan, generation: i64, message: String, now: Timestamp) -> Plan {
    let mut status = plan.status;
    let from = status.application_state.state;
    let mut transitions = plan.transitions;
    enter(&mut status, &mut transitions, from, AppState::SubmissionFailed, "SubmissionFailed", message, now);
    status.termination_time = Some(Time(now));
    set_conditions(&mut status, generation, now, None);
    Plan { status, actions: Vec::new(), transitions, requeue_after: Duration::from_secs(1) }
}

fn enter(
    status: &mut SparkApplicationStatus,
    transitions: &mut Vec<Transition>,
    from: AppState,
    to: AppState,
    reason: &str,
    message: String,
    now: Timestamp,
) {
    status.application_state.state = to;
    if matches!(to, AppState::Failing | AppState::Failed | AppState::SubmissionFailed) {
        status.application_state.error_message = Some(message.clone());
    }
    status.state_history.push(StateTransition { state: to, time: Time(now), attempt: status.attempt });
    let excess = status.state_history.len().saturating_sub(MAX_STATE_HISTORY);
    status.state_history.drain(..excess);
    transitions.push(Transition { from, to, reason: reason.to_string(), message });
}

impl Step<'_> {
    fn state(&self) -> AppState {
        self.status.application_state.state
    }

    fn now(&self) -> Timestamp {
        self.obs.now
    }

    fn to(&mut self, to: AppState, reason: &str, message: impl Into<String>) {
        let from = self.state();
        let now = self.now();
        enter(&mut self.status, &mut self.transitions, from, to, reason, message.into(), now);
    }

    fn requeue_in(&mut self, after: Duration) {
        self.requeue = self.requeue.min(after.max(Duration::from_millis(200)));
    }

    fn pending_timeout(&self) -> Duration {
        PENDING_TIMEOUT
            .duration(self.obs.spec.spark_conf.get(PENDING_TIMEOUT.name).map(String::as_str))
            .unwrap_or(self.obs.settings.pending_timeout)
    }

    fn since(&self, time: Option<Timestamp>) -> Duration {
        time.map(|t| self.now().duration_since(t))
            .and_then(|d| Duration::try_from(d).ok())
            .unwrap_or(Duration::ZERO)
    }

    fn run(&mut self) {
        let hash = spec_hash(self.obs.spec);
        let state = self.state();
        if state != AppState::New && state != AppState::Invalidating && self.status.spec_hash.as_deref() != Some(&hash) {
            self.to(AppState::Invalidating, "SpecChanged", "the spec changed; the current attempt is removed and a new one submitted");
        }
        // A few passes: one observation can move through several states
        // (e.g. FAILING → FAILED, SUCCEEDING → COMPLETED) in one reconcile.
        for _ in 0..4 {
            let before = self.state();
            match before {
                AppState::New => self.submit(),
                AppState::Submitted | AppState::Running => self.observe_driver(),
                AppState::Succeeding => self.succeeding(),
                AppState::Failing => self.failing(),
                AppState::SubmissionFailed => self.submission_failed(),
                AppState::PendingRerun => self.submit(),
                AppState::Invalidating => self.invalidate(),
                AppState::Completed | AppState::Failed => self.terminal(),
            }
            // Settled states are handled from the next observation: their actions (new
            // executors, TTL) must not be issued twice in one plan.
            let settled = matches!(
                self.state(),
                AppState::Submitted | AppState::Running | AppState::Completed | AppState::Failed
            );
            if self.state() == before || settled {
                break;
            }
        }
    }

    fn submit(&mut self) {
        let hash = spec_hash(self.obs.spec);
        let s = &mut self.status;
        s.attempt += 1;
        s.execution_attempts += 1;
        s.submission_attempts += 1;
        s.spec_hash = Some(hash);
        s.last_submission_attempt_time = Some(Time(self.obs.now));
        s.termination_time = None;
        s.last_executor_id = 0;
        s.executor_failures = 0;
        s.executors = 0;
        s.executor_state.clear();
        s.driver_info = Default::default();
        s.application_state.error_message = None;
        let attempt = s.attempt;
        self.actions.push(Action::ApplyDriver { attempt });
        let message = format!("attempt {attempt}: driver pod, service and configuration created");
        self.to(AppState::Submitted, "Submitted", message);
    }

    fn observe_driver(&mut self) {
        let Some(driver) = self.obs.driver.clone() else {
            if self.state() == AppState::Submitted {
                // Not created yet (or the operator stopped before creating it): apply again,
                // which is a no-op for objects that exist.
                self.actions.push(Action::ApplyDriver { attempt: self.status.attempt });
                self.requeue_in(Duration::from_secs(2));
            } else {
                let name = self.status.driver_info.pod_name.clone().unwrap_or_default();
                self.to(AppState::Failing, "DriverDeleted", format!("driver pod {name} was deleted while it ran"));
            }
            return;
        };
        self.status.driver_info.pod_name = Some(driver.name.clone());
        self.status.driver_info.pod_ip = driver.ip.clone();
        self.status.driver_info.web_ui_port = Some(crate::pod_builder::UI_PORT);
        self.status.driver_info.web_ui_address = driver.ip.as_ref().map(|ip| format!("{ip}:{}", crate::pod_builder::UI_PORT));
        if driver.deleting {
            self.to(AppState::Failing, "DriverDeleted", format!("driver pod {} was deleted while it ran", driver.name));
            return;
        }
        match driver.phase() {
            Phase::Pending | Phase::Unknown => {
                let waited = self.since(self.status.last_submission_attempt_time.as_ref().map(|t| t.0));
                let timeout = self.pending_timeout();
                if waited >= timeout {
                    let message = format!(
                        "driver pod {} stayed Pending for {}s (spark.flint.kubernetes.pendingTimeout): {}",
                        driver.name,
                        timeout.as_secs(),
                        driver.pending_reason()
                    );
                    self.to(AppState::Failing, "DriverPendingTimeout", message);
                } else {
                    self.requeue_in(timeout - waited);
                }
            }
            Phase::Running => {
                if self.state() == AppState::Submitted {
                    self.to(AppState::Running, "DriverRunning", format!("driver pod {} is running", driver.name));
                }
                self.manage_executors(&driver);
            }
            Phase::Succeeded => {
                self.to(AppState::Succeeding, "DriverSucceeded", format!("driver pod {} exited 0", driver.name));
            }
            Phase::Failed => {
                let message = driver_failure(&driver, self.obs.driver_log_tail.as_deref());
                self.to(AppState::Failing, "DriverFailed", message);
            }
        }
    }

    fn manage_executors(&mut self, driver: &PodView) {
        let obs = self.obs;
        let desired = obs.spec.executor.instances.unwrap_or(1).max(0) as usize;
        let live: Vec<&PodView> = obs.executors.iter().filter(|p| p.is_live()).collect();
        // An executor exits 0 only when its driver told it to stop (the job is ending):
        // neither a failure nor a slot to fill again.
        let stopped = obs.executors.iter().filter(|p| !p.deleting && p.phase() == Phase::Succeeded).count();
        let failed: Vec<&PodView> = obs.executors.iter().filter(|p| p.phase() == Phase::Failed).collect();
        let highest = obs.executors.iter().filter_map(|p| p.executor_id).max().unwrap_or(0);
        self.status.last_executor_id = self.status.last_executor_id.max(highest);
        self.status.executor_failures = self.status.executor_failures.max(failed.len() as i32);
        let max_failures = obs
            .spec
            .spark_conf
            .get("spark.executor.maxNumFailures")
            .and_then(|v| v.trim().parse::<i32>().ok())
            .unwrap_or_else(|| (2 * desired as i32).max(3));
        if self.status.executor_failures > max_failures {
            let last = failed.iter().max_by_key(|p| p.executor_id).map(|p| executor_failure(p)).unwrap_or_default();
            let message = format!(
                "{} executor pods failed, more than spark.executor.maxNumFailures ({max_failures}); last: {last}",
                self.status.executor_failures
            );
            self.to(AppState::Failing, "ExecutorsFailed", message);
            return;
        }
        let running = live.iter().filter(|p| p.phase() == Phase::Running).count();
        let timeout = self.pending_timeout();
        if running == 0
            && let Some(stuck) = live
                .iter()
                .filter(|p| p.phase() == Phase::Pending)
                .find(|p| self.since(p.created) >= timeout)
        {
            let message = format!(
                "executor pod {} stayed Pending for {}s (spark.flint.kubernetes.pendingTimeout) and none runs: {}",
                stuck.name,
                timeout.as_secs(),
                stuck.pending_reason()
            );
            self.to(AppState::Failing, "ExecutorPendingTimeout", message);
            return;
        }
        if let Some(oldest) = live.iter().filter(|p| p.phase() == Phase::Pending).filter_map(|p| p.created).min() {
            let waited = self.since(Some(oldest));
            if waited < timeout {
                self.requeue_in(timeout - waited);
            }
        }
        // Executors start once the driver listens (Spark waits for driver readiness too).
        if live.len() + stopped < desired && driver.ip.is_some() && driver.ready {
            let first = self.status.last_executor_id + 1;
            let count = (desired - live.len() - stopped) as i32;
            let ids: Vec<i32> = (first..first + count).collect();
            self.status.last_executor_id += count;
            self.actions.push(Action::ApplyExecutors { ids });
        } else if live.len() > desired {
            // Scale down: pending ones first, then the newest.
            let mut surplus: Vec<&&PodView> = live.iter().collect();
            surplus.sort_by_key(|p| (p.phase() == Phase::Running, std::cmp::Reverse(p.executor_id)));
            let names = surplus.iter().take(live.len() - desired).map(|p| p.name.clone()).collect();
            self.actions.push(Action::DeletePods(names));
        }
    }

    fn delete_live_executors(&mut self) {
        let names: Vec<String> = self.obs.executors.iter().filter(|p| p.is_live()).map(|p| p.name.clone()).collect();
        if !names.is_empty() {
            self.actions.push(Action::DeletePods(names));
        }
    }

    fn mark_ended(&mut self) {
        if self.status.termination_time.is_none() {
            self.status.termination_time = Some(Time(self.obs.now));
        }
    }

    fn succeeding(&mut self) {
        self.delete_live_executors();
        self.mark_ended();
        if self.obs.spec.restart_policy.type_ == RestartPolicyType::Always {
            self.to(AppState::PendingRerun, "RestartAlways", "restartPolicy Always: running the application again");
        } else {
            self.to(AppState::Completed, "Completed", "the application completed");
        }
    }

    fn retry_wait(&mut self, interval: Duration) -> bool {
        let waited = self.since(self.status.termination_time.as_ref().map(|t| t.0));
        if waited >= interval {
            true
        } else {
            self.requeue_in(interval - waited);
            false
        }
    }

    fn failing(&mut self) {
        self.delete_live_executors();
        self.mark_ended();
        let policy = &self.obs.spec.restart_policy;
        let retries = policy.on_failure_retries.unwrap_or(0);
        let retry = match policy.type_ {
            RestartPolicyType::Always => true,
            RestartPolicyType::OnFailure => self.status.execution_attempts <= retries,
            RestartPolicyType::Never => false,
        };
        let error = self.status.application_state.error_message.clone().unwrap_or_default();
        if !retry {
            let message = match policy.type_ {
                RestartPolicyType::OnFailure => {
                    format!("failed after {} attempts (onFailureRetries {retries}): {error}", self.status.execution_attempts)
                }
                _ => error,
            };
            self.to(AppState::Failed, "Failed", message);
            return;
        }
        let interval = Duration::from_secs(policy.on_failure_retry_interval.unwrap_or(5).max(1) as u64);
        if self.retry_wait(interval) {
            let message = format!("attempt {} failed; running it again: {error}", self.status.attempt);
            self.to(AppState::PendingRerun, "RetryOnFailure", message);
            // Keep the failure visible in the rerun's status until it is replaced.
            self.status.application_state.error_message = Some(error);
        }
    }

    fn submission_failed(&mut self) {
        let policy = &self.obs.spec.restart_policy;
        let retries = policy.on_submission_failure_retries.unwrap_or(0);
        let retry = match policy.type_ {
            RestartPolicyType::Always => true,
            RestartPolicyType::OnFailure => self.status.submission_attempts <= retries,
            RestartPolicyType::Never => false,
        };
        let error = self.status.application_state.error_message.clone().unwrap_or_default();
        if !retry {
            self.to(AppState::Failed, "SubmissionFailed", error);
            return;
        }
        let interval = Duration::from_secs(policy.on_submission_failure_retry_interval.unwrap_or(5).max(1) as u64);
        if self.retry_wait(interval) {
            self.to(AppState::PendingRerun, "RetrySubmission", format!("submitting again after: {error}"));
        }
    }

    fn invalidate(&mut self) {
        let mut names: Vec<String> = self.obs.executors.iter().filter(|p| p.is_live()).map(|p| p.name.clone()).collect();
        if let Some(driver) = self.obs.driver.as_ref().filter(|d| d.is_live()) {
            names.push(driver.name.clone());
        }
        if !names.is_empty() {
            self.actions.push(Action::DeletePods(names));
        }
        self.status.execution_attempts = 0;
        self.status.submission_attempts = 0;
        self.to(AppState::PendingRerun, "SpecChanged", "submitting the changed spec");
    }

    fn terminal(&mut self) {
        self.delete_live_executors();
        let Some(ttl) = self.obs.spec.time_to_live_seconds else { return };
        let ended = self.status.termination_time.as_ref().map(|t| t.0);
        let waited = self.since(ended);
        let ttl = Duration::from_secs(ttl.max(0) as u64);
        if waited >= ttl {
            self.actions.push(Action::DeleteApplication);
        } else {
            self.requeue_in(ttl - waited);
        }
    }

    /// Why the first live executor pod the Kubernetes scheduler cannot place waits, if one
    /// does (for the `ExecutorsScheduled` condition the driver reads).
    fn unschedulable_executor(&self) -> Option<String> {
        let pod = self.obs.executors.iter().find(|p| p.is_live() && p.phase() == Phase::Pending && p.unschedulable.is_some())?;
        Some(format!("executor pod {} cannot be scheduled: {}", pod.name, pod.pending_reason()))
    }

    fn finish(mut self) -> Plan {
        self.record_executors();
        self.status.observed_generation = self.obs.generation;
        let unschedulable = self.unschedulable_executor();
        set_conditions(&mut self.status, self.obs.generation, self.obs.now, unschedulable);
        if matches!(self.state(), AppState::Submitted | AppState::PendingRerun | AppState::Succeeding | AppState::Failing) {
            self.requeue_in(Duration::from_secs(1));
        }
        Plan { status: self.status, actions: self.actions, transitions: self.transitions, requeue_after: self.requeue }
    }

    /// `executorState` per pod (capped) and the running count.
    fn record_executors(&mut self) {
        let ended = !matches!(self.state(), AppState::Running | AppState::Submitted);
        let mut states: BTreeMap<String, String> = BTreeMap::new();
        // Pods no longer listed keep their last state; live ones were ended by the driver's end.
        for (name, state) in &self.status.executor_state {
            let state = if ended && (state == "RUNNING" || state == "PENDING") { "COMPLETED" } else { state.as_str() };
            states.insert(name.clone(), state.to_string());
        }
        let mut live_names = BTreeSet::new();
        for pod in &self.obs.executors {
            let state = match (pod.phase(), pod.deleting) {
                (_, true) if ended => "COMPLETED",
                (_, true) => "FAILED",
                (Phase::Pending, _) => "PENDING",
                (Phase::Running, _) => "RUNNING",
                (Phase::Succeeded, _) => "COMPLETED",
                (Phase::Failed, _) => "FAILED",
                (Phase::Unknown, _) => "UNKNOWN",
            };
            let state = if ended && (state == "RUNNING" || state == "PENDING") { "COMPLETED" } else { state };
            if pod.is_live() {
                live_names.insert(pod.name.clone());
            }
            states.insert(pod.name.clone(), state.to_string());
        }
        if states.len() > MAX_EXECUTOR_STATES {
            // Keep live pods, then the most recent others (names end in the growing id).
            let mut others: Vec<String> = states.keys().filter(|n| !live_names.contains(*n)).cloned().collect();
            others.sort_by_key(|n| std::cmp::Reverse(n.rsplit('-').next().and_then(|id| id.parse::<i64>().ok())));
            let keep_others = MAX_EXECUTOR_STATES.saturating_sub(live_names.len());
            for name in others.into_iter().skip(keep_others) {
                states.remove(&name);
            }
        }
        self.status.executor_state = states;
        self.status.executors = if ended {
            0
        } else {
            self.obs.executors.iter().filter(|p| p.is_live() && p.phase() == Phase::Running).count() as i32
        };
    }
}

/// Conditions derived from the state (and `ExecutorsScheduled` from `unschedulable`, why an
/// executor pod cannot be placed), each with `observedGeneration`; a condition's
/// `lastTransitionTime` moves only when its status changes.
fn set_conditions(status: &mut SparkApplicationStatus, generation: i64, now: Timestamp, unschedulable: Option<String>) {
    let state = status.application_state.state;
    let error = status.application_state.error_message.clone().unwrap_or_default();
    let reason = camel(state);
    let wanted = [
        (
            "Submitted",
            !matches!(state, AppState::New | AppState::SubmissionFailed),
            if state == AppState::SubmissionFailed { "SubmissionFailed" } else { "Submitted" },
            if state == AppState::SubmissionFailed { error.clone() } else { format!("attempt {}", status.attempt) },
        ),
        ("Running", state == AppState::Running, reason.as_str(), String::new()),
        ("Succeeded", state == AppState::Completed, reason.as_str(), String::new()),
        (
            "Failed",
            state == AppState::Failed,
            reason.as_str(),
            if state == AppState::Failed { error } else { String::new() },
        ),
        (
            "ExecutorsScheduled",
            unschedulable.is_none(),
            if unschedulable.is_some() { "Unschedulable" } else { "Scheduled" },
            unschedulable.clone().unwrap_or_default(),
        ),
    ];
    let mut conditions = Vec::new();
    for (type_, truth, reason, message) in wanted {
        let value = if truth { "True" } else { "False" };
        let previous = status.conditions.iter().find(|c| c.type_ == type_);
        let last_transition_time = match previous {
            Some(p) if p.status == value => p.last_transition_time.clone(),
            _ => Time(now),
        };
        conditions.push(Condition {
            type_: type_.to_string(),
            status: value.to_string(),
            reason: reason.to_string(),
            message,
            last_transition_time,
            observed_generation: generation,
        });
    }
    status.conditions = conditions;
}

/// `PENDING_RERUN` → `PendingRerun`.
fn camel(state: AppState) -> String {
    state
        .as_str()
        .split('_')
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// `errorMessage` of a failed driver: exit code, reason (OOMKilled) and the end of its log.
pub fn driver_failure(driver: &PodView, log_tail: Option<&str>) -> String {
    let mut message = format!("driver pod {} failed", driver.name);
    if let Some(t) = &driver.terminated {
        message.push_str(&format!(": exit code {}", t.exit_code));
        if let Some(signal) = t.signal {
            message.push_str(&format!(" (signal {signal})"));
        }
        if let Some(reason) = &t.reason {
            message.push_str(&format!(", reason {reason}"));
        }
        if let Some(text) = t.message.as_deref().filter(|m| !m.is_empty()) {
            message.push_str(&format!(": {text}"));
        }
    }
    if let Some(tail) = log_tail.map(str::trim_end).filter(|t| !t.is_empty()) {
        message.push_str("; last log lines:\n");
        message.push_str(tail);
    }
    message
}

fn executor_failure(pod: &PodView) -> String {
    match &pod.terminated {
        Some(t) => format!(
            "{} exit code {}{}",
            pod.name,
            t.exit_code,
            t.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        ),
        None => pod.name.clone(),
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::SparkApplicationSpec;

    fn spec(extra: serde_json::Value) -> SparkApplicationSpec {
        let mut base = serde_json::json!({
            "type": "SQL",
            "mainApplicationFile": "local:///app.sql",
            "driver": {},
            "executor": {"instances": 2}
        });
        if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            for (k, v) in extra {
                base.insert(k.clone(), v.clone());
            }
        }
        serde_json::from_value(base).unwrap()
    }

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn pod(name: &str, phase: Phase) -> PodView {
        PodView {
            name: name.into(),
            uid: format!("uid-{name}"),
            phase: Some(phase),
            created: Some(t(0)),
            ip: Some("127.9.0.2".into()),
            ready: phase == Phase::Running,
            ..PodView::default()
        }
    }

    fn exec(id: i32, phase: Phase) -> PodView {
        PodView { executor_id: Some(id), ..pod(&format!("app-1-exec-{id}"), phase) }
    }

    struct World {
        spec: SparkApplicationSpec,
        status: SparkApplicationStatus,
        settings: Settings,
    }

    impl World {
        fn new(spec: SparkApplicationSpec) -> Self {
            Self { spec, status: SparkApplicationStatus::default(), settings: Settings::default() }
        }

        fn step(&mut self, now: i64, driver: Option<PodView>, executors: Vec<PodView>, log: Option<&str>) -> Plan {
            let obs = Observed {
                spec: &self.spec,
                generation: 1,
                status: self.status.clone(),
                driver,
                executors,
                driver_log_tail: log.map(str::to_string),
                now: t(now),
                settings: &self.settings,
            };
            let plan = reconcile(&obs);
            self.status = plan.status.clone();
            plan
        }

        fn state(&self) -> AppState {
            self.status.application_state.state
        }
    }

    fn failed_driver(code: i32, reason: &str) -> PodView {
        PodView {
            terminated: Some(Terminated { exit_code: code, reason: Some(reason.into()), ..Terminated::default() }),
            ..pod("app-1-driver", Phase::Failed)
        }
    }

    #[test]
    fn happy_path_new_to_completed() {
        let mut w = World::new(spec(serde_json::json!({})));
        let plan = w.step(0, None, vec![], None);
        assert_eq!(plan.actions, vec![Action::ApplyDriver { attempt: 1 }]);
        assert_eq!(w.state(), AppState::Submitted);
        assert_eq!((w.status.execution_attempts, w.status.submission_attempts, w.status.attempt), (1, 1, 1));
        assert_eq!(plan.transitions[0].from, AppState::New);

        let plan = w.step(1, Some(pod("app-1-driver", Phase::Pending)), vec![], None);
        assert!(plan.actions.is_empty());
        assert_eq!(w.state(), AppState::Submitted);

        let plan = w.step(2, Some(pod("app-1-driver", Phase::Running)), vec![], None);
        assert_eq!(w.state(), AppState::Running);
        assert_eq!(plan.actions, vec![Action::ApplyExecutors { ids: vec![1, 2] }]);
        assert_eq!(w.status.last_executor_id, 2);
        assert_eq!(w.status.driver_info.web_ui_address.as_deref(), Some("127.9.0.2:4040"), "the driver UI's address");

        // Same observation again before the pods show up in the list: no new ids? The pods
        // exist by then; with them listed nothing more is created.
        let execs = vec![exec(1, Phase::Running), exec(2, Phase::Pending)];
        let plan = w.step(3, Some(pod("app-1-driver", Phase::Running)), execs.clone(), None);
        assert!(plan.actions.is_empty(), "{:?}", plan.actions);
        assert_eq!(w.status.executors, 1);
        assert_eq!(w.status.executor_state["app-1-exec-2"], "PENDING");

        let plan = w.step(9, Some(pod("app-1-driver", Phase::Succeeded)), execs, None);
        assert_eq!(w.state(), AppState::Completed);
        let states: Vec<AppState> = plan.transitions.iter().map(|t| t.to).collect();
        assert_eq!(states, vec![AppState::Succeeding, AppState::Completed]);
        assert_eq!(plan.actions, vec![Action::DeletePods(vec!["app-1-exec-1".into(), "app-1-exec-2".into()])]);
        assert_eq!(w.status.executor_state["app-1-exec-1"], "COMPLETED");
        assert!(w.status.termination_time.is_some());
        let succeeded = w.status.conditions.iter().find(|c| c.type_ == "Succeeded").unwrap();
        assert_eq!((succeeded.status.as_str(), succeeded.observed_generation), ("True", 1));
        let history: Vec<AppState> = w.status.state_history.iter().map(|h| h.state).collect();
        assert_eq!(
            history,
            vec![AppState::Submitted, AppState::Running, AppState::Succeeding, AppState::Completed]
        );
    }

    #[test]
    fn restarted_operator_reuses_names_instead_of_duplicating() {
        let mut w = World::new(spec(serde_json::json!({})));
        // The status write after applying the driver was lost: still NEW, same attempt.
        let first = w.step(0, None, vec![], None);
        w.status = SparkApplicationStatus::default();
        let again = w.step(1, None, vec![], None);
        assert_eq!(first.actions, again.actions);
        // Executors created but the status (last id) not written: the listed pods count.
        w.step(2, Some(pod("app-1-driver", Phase::Running)), vec![], None);
        w.status.last_executor_id = 0;
        let plan = w.step(3, Some(pod("app-1-driver", Phase::Running)), vec![exec(1, Phase::Pending), exec(2, Phase::Pending)], None);
        assert!(plan.actions.is_empty(), "{:?}", plan.actions);
        assert_eq!(w.status.last_executor_id, 2);
    }

    #[test]
    fn lost_executor_is_replaced_under_a_new_id_and_recorded() {
        let mut w = World::new(spec(serde_json::json!({})));
        w.step(0, None, vec![], None);
        w.step(1, Some(pod("app-1-driver", Phase::Running)), vec![], None);
        let killed = PodView {
            terminated: Some(Terminated { exit_code: 137, signal: Some(9), ..Terminated::default() }),
            ..exec(1, Phase::Failed)
        };
        let plan = w.step(2, Some(pod("app-1-driver", Phase::Running)), vec![killed, exec(2, Phase::Running)], None);
        assert_eq!(plan.actions, vec![Action::ApplyExecutors { ids: vec![3] }]);
        assert_eq!(w.status.executor_state["app-1-exec-1"], "FAILED");
        assert_eq!(w.status.executor_failures, 1);
        assert_eq!(w.state(), AppState::Running);
    }

    #[test]
    fn executors_wait_for_the_driver_to_be_ready() {
        let mut w = World::new(spec(serde_json::json!({})));
        w.step(0, None, vec![], None);
        let starting = PodView { ready: false, ..pod("app-1-driver", Phase::Running) };
        let plan = w.step(1, Some(starting), vec![], None);
        assert_eq!(w.state(), AppState::Running);
        assert!(plan.actions.is_empty(), "{:?}", plan.actions);
        let plan = w.step(2, Some(pod("app-1-driver", Phase::Running)), vec![], None);
        assert_eq!(plan.actions, vec![Action::ApplyExecutors { ids: vec![1, 2] }]);
    }

    #[test]
    fn executors_stopped_by_their_driver_are_not_replaced() {
        let mut w = World::new(spec(serde_json::json!({})));
        w.step(0, None, vec![], None);
        let stopped = vec![exec(1, Phase::Succeeded), exec(2, Phase::Succeeded)];
        let plan = w.step(1, Some(pod("app-1-driver", Phase::Running)), stopped, None);
        assert!(plan.actions.is_empty(), "{:?}", plan.actions);
        assert_eq!(w.status.executor_failures, 0);
        assert_eq!(w.status.executor_state["app-1-exec-1"], "COMPLETED");
    }

    #[test]
    fn too_many_executor_failures_fail_the_app() {
        let mut w = World::new(spec(serde_json::json!({"sparkConf": {"spark.executor.maxNumFailures": "1"}})));
        w.step(0, None, vec![], None);
        let dead = vec![exec(1, Phase::Failed), exec(2, Phase::Failed)];
        w.step(1, Some(pod("app-1-driver", Phase::Running)), dead, None);
        assert_eq!(w.state(), AppState::Failed);
        let error = w.status.application_state.error_message.clone().unwrap();
        assert!(error.contains("spark.executor.maxNumFailures (1)"), "{error}");
    }

    #[test]
    fn scale_changes_executors_without_invalidating() {
        let mut w = World::new(spec(serde_json::json!({})));
        w.step(0, None, vec![], None);
        let running = vec![exec(1, Phase::Running), exec(2, Phase::Running)];
        w.step(1, Some(pod("app-1-driver", Phase::Running)), running.clone(), None);
        w.spec.executor.instances = Some(3);
        let plan = w.step(2, Some(pod("app-1-driver", Phase::Running)), running.clone(), None);
        assert_eq!(w.state(), AppState::Running);
        assert_eq!(plan.actions, vec![Action::ApplyExecutors { ids: vec![3] }]);
        w.spec.executor.instances = Some(1);
        let plan = w.step(3, Some(pod("app-1-driver", Phase::Running)), running, None);
        assert_eq!(plan.actions, vec![Action::DeletePods(vec!["app-1-exec-2".into()])]);
    }

    #[test]
    fn spec_hash_ignores_scale_and_ttl_and_is_stable() {
        let base = spec(serde_json::json!({}));
        let mut edited = base.clone();
        edited.executor.instances = Some(9);
        edited.time_to_live_seconds = Some(60);
        assert_eq!(spec_hash(&base), spec_hash(&edited));
        edited.arguments = vec!["x".into()];
        assert_ne!(spec_hash(&base), spec_hash(&edited));
        // Pinned: a different value would rerun every app after an operator upgrade.
        assert_eq!(spec_hash(&base), STABLE_HASH);
    }

    const STABLE_HASH: &str = "4542fc062e097d59";

    #[test]
    fn spec_change_invalidates_and_resubmits_a_new_attempt() {
        let mut w = World::new(spec(serde_json::json!({})));
        w.step(0, None, vec![], None);
        w.step(1, Some(pod("app-1-driver", Phase::Running)), vec![exec(1, Phase::Running)], None);
        w.spec.arguments = vec!["x".into()];
        let plan = w.step(2, Some(pod("app-1-driver", Phase::Running)), vec![exec(1, Phase::Running)], None);
        let states: Vec<AppState> = plan.transitions.iter().map(|t| t.to).collect();
        assert_eq!(states, vec![AppState::Invalidating, AppState::PendingRerun, AppState::Submitted]);
        assert_eq!(
            plan.actions,
            vec![
                Action::DeletePods(vec!["app-1-exec-1".into(), "app-1-driver".into()]),
                Action::ApplyDriver { attempt: 2 }
            ]
        );
        assert_eq!(w.status.execution_attempts, 1);
    }

    #[test]
    fn never_fails_with_exit_code_oom_and_log_lines() {
        let mut w = World::new(spec(serde_json::json!({})));
        w.step(0, None, vec![], None);
        w.step(5, Some(failed_driver(137, "OOMKilled")), vec![], Some("line 1\nError: boom\n"));
        assert_eq!(w.state(), AppState::Failed);
        let error = w.status.application_state.error_message.clone().unwrap();
        assert!(error.contains("exit code 137"), "{error}");
        assert!(error.contains("OOMKilled"), "{error}");
        assert!(error.ends_with("line 1\nError: boom"), "{error}");
        let failed = w.status.conditions.iter().find(|c| c.type_ == "Failed").unwrap();
        assert_eq!(failed.status, "True");
    }

    #[test]
    fn on_failure_retries_after_the_interval_then_fails() {
        let mut w = World::new(spec(serde_json::json!({
            "restartPolicy": {"type": "OnFailure", "onFailureRetries": 1, "onFailureRetryInterval": 10}
        })));
        w.step(0, None, vec![], None);
        let plan = w.step(5, Some(failed_driver(3, "Error")), vec![], None);
        assert_eq!(w.state(), AppState::Failing);
        assert!(plan.requeue_after <= Duration::from_secs(10));
        w.step(10, Some(failed_driver(3, "Error")), vec![], None);
        assert_eq!(w.state(), AppState::Failing, "the interval has not passed");
        let plan = w.step(15, Some(failed_driver(3, "Error")), vec![], None);
        assert_eq!(w.state(), AppState::Submitted);
        assert_eq!(plan.actions, vec![Action::ApplyDriver { attempt: 2 }]);
        assert_eq!(w.status.execution_attempts, 2);
        // The second attempt's driver fails too: no retries left.
        let driver2 = PodView { name: "app-2-driver".into(), ..failed_driver(3, "Error") };
        w.step(20, Some(driver2), vec![], None);
        assert_eq!(w.state(), AppState::Failed);
        let error = w.status.application_state.error_message.clone().unwrap();
        assert!(error.starts_with("failed after 2 attempts (onFailureRetries 1)"), "{error}");
        assert!(error.contains("exit code 3"), "{error}");
    }

    #[test]
    fn always_reruns_after_success() {
        let mut w = World::new(spec(serde_json::json!({"restartPolicy": {"type": "Always"}})));
        w.step(0, None, vec![], None);
        let plan = w.step(1, Some(pod("app-1-driver", Phase::Succeeded)), vec![], None);
        assert_eq!(w.state(), AppState::Submitted);
        assert!(plan.actions.contains(&Action::ApplyDriver { attempt: 2 }));
    }

    #[test]
    fn unschedulable_driver_fails_after_the_pending_timeout_with_the_reason() {
        let mut w = World::new(spec(serde_json::json!({"sparkConf": {"spark.flint.kubernetes.pendingTimeout": "30s"}})));
        w.step(0, None, vec![], None);
        let stuck = PodView {
            unschedulable: Some("0/1 nodes are available: 1 Insufficient cpu.".into()),
            ..pod("app-1-driver", Phase::Pending)
        };
        let plan = w.step(10, Some(stuck.clone()), vec![], None);
        assert_eq!(w.state(), AppState::Submitted);
        assert!(plan.requeue_after <= Duration::from_secs(20));
        w.step(31, Some(stuck), vec![], None);
        assert_eq!(w.state(), AppState::Failed);
        let error = w.status.application_state.error_message.clone().unwrap();
        assert!(error.contains("Insufficient cpu"), "{error}");
    }

    #[test]
    fn pending_executors_fail_the_app_when_none_runs() {
        let mut w = World::new(spec(serde_json::json!({"sparkConf": {"spark.flint.kubernetes.pendingTimeout": "30"}})));
        w.step(0, None, vec![], None);
        let stuck = |id| PodView { unschedulable: Some("1 Insufficient cpu".into()), ..exec(id, Phase::Pending) };
        w.step(20, Some(pod("app-1-driver", Phase::Running)), vec![stuck(1), stuck(2)], None);
        assert_eq!(w.state(), AppState::Running);
        let scheduled = w.status.conditions.iter().find(|c| c.type_ == "ExecutorsScheduled").unwrap();
        assert_eq!((scheduled.status.as_str(), scheduled.reason.as_str()), ("False", "Unschedulable"));
        assert_eq!(scheduled.message, "executor pod app-1-exec-1 cannot be scheduled: 1 Insufficient cpu");
        w.step(40, Some(pod("app-1-driver", Phase::Running)), vec![stuck(1), stuck(2)], None);
        assert_eq!(w.state(), AppState::Failed);
        assert!(w.status.application_state.error_message.clone().unwrap().contains("Insufficient cpu"));
    }

    #[test]
    fn submission_failure_retries_per_policy() {
        let mut w = World::new(spec(serde_json::json!({
            "restartPolicy": {"type": "OnFailure", "onSubmissionFailureRetries": 1, "onSubmissionFailureRetryInterval": 1}
        })));
        let plan = w.step(0, None, vec![], None);
        let plan = submission_failed(plan, 1, "pods \"app-1-driver\" is forbidden: exceeded quota".into(), t(0));
        w.status = plan.status;
        assert_eq!(w.state(), AppState::SubmissionFailed);
        let plan = w.step(2, None, vec![], None);
        assert_eq!(plan.actions, vec![Action::ApplyDriver { attempt: 2 }]);
        let plan = submission_failed(plan, 1, "still forbidden".into(), t(2));
        w.status = plan.status;
        w.step(4, None, vec![], None);
        assert_eq!(w.state(), AppState::Failed);
        assert_eq!(w.status.application_state.error_message.as_deref(), Some("still forbidden"));
    }

    #[test]
    fn driver_deleted_while_running_fails() {
        let mut w = World::new(spec(serde_json::json!({})));
        w.step(0, None, vec![], None);
        w.step(1, Some(pod("app-1-driver", Phase::Running)), vec![], None);
        w.step(2, None, vec![], None);
        assert_eq!(w.state(), AppState::Failed);
        assert!(w.status.application_state.error_message.clone().unwrap().contains("was deleted"));
    }

    #[test]
    fn ttl_deletes_the_finished_app() {
        let mut w = World::new(spec(serde_json::json!({"timeToLiveSeconds": 30})));
        w.step(0, None, vec![], None);
        w.step(1, Some(pod("app-1-driver", Phase::Succeeded)), vec![], None);
        let plan = w.step(10, Some(pod("app-1-driver", Phase::Succeeded)), vec![], None);
        assert!(plan.actions.is_empty());
        assert!(plan.requeue_after <= Duration::from_secs(21));
        let plan = w.step(31, Some(pod("app-1-driver", Phase::Succeeded)), vec![], None);
        assert_eq!(plan.actions, vec![Action::DeleteApplication]);
    }

    #[test]
    fn executor_state_is_capped() {
        let mut w = World::new(spec(serde_json::json!({"sparkConf": {"spark.executor.maxNumFailures": "1000"}})));
        w.step(0, None, vec![], None);
        let mut pods: Vec<PodView> = (1..=150).map(|id| exec(id, Phase::Failed)).collect();
        pods.push(exec(151, Phase::Running));
        pods.push(exec(152, Phase::Running));
        w.step(1, Some(pod("app-1-driver", Phase::Running)), pods, None);
        assert_eq!(w.status.executor_state.len(), MAX_EXECUTOR_STATES);
        assert!(w.status.executor_state.contains_key("app-1-exec-151"));
        assert!(w.status.executor_state.contains_key("app-1-exec-150"));
        assert!(!w.status.executor_state.contains_key("app-1-exec-1"));
    }

    #[test]
    fn condition_times_move_only_on_change() {
        let mut w = World::new(spec(serde_json::json!({})));
        w.step(0, None, vec![], None);
        w.step(1, Some(pod("app-1-driver", Phase::Running)), vec![], None);
        let running_since = w.status.conditions.iter().find(|c| c.type_ == "Running").unwrap().last_transition_time.clone();
        w.step(7, Some(pod("app-1-driver", Phase::Running)), vec![], None);
        let again = w.status.conditions.iter().find(|c| c.type_ == "Running").unwrap().last_transition_time.clone();
        assert_eq!(running_since, again);
        assert_eq!(camel(AppState::PendingRerun), "PendingRerun");
    }
}
