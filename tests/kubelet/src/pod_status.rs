//! Pure status derivation: from what the kubelet observed about a pod's containers to
//! the pod's phase, conditions and container statuses. No I/O, so tests drive it directly.

use std::net::Ipv4Addr;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, HostIP, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// How one container run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Terminated {
    /// Exit code (128 + signal when killed by a signal).
    pub exit_code: i32,
    /// The signal, if any.
    pub signal: Option<i32>,
    /// Why it could not start, if it could not.
    pub message: Option<String>,
    /// When it started.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Timestamp,
}

/// The current state of one container.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Not running yet, or waiting to restart; `reason` is a CamelCase Kubernetes reason.
    Waiting {
        /// Why it waits (ContainerCreating, PodInitializing, CrashLoopBackOff, ...).
        reason: String,
        /// Details for the user.
        message: Option<String>,
    },
    /// Running since `started_at`.
    Running {
        /// When it started.
        started_at: Timestamp,
    },
    /// Ended.
    Terminated(Terminated),
}

/// What the kubelet knows about one container.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerView {
    /// Container name.
    pub name: String,
    /// Image as written in the spec.
    pub image: String,
    /// The current run number (0 for the first run).
    pub restart_count: u32,
    /// Current state.
    pub state: State,
    /// How the previous run ended, if there was one.
    pub last: Option<Terminated>,
    /// Whether its readiness probe passes (or it runs and has none).
    pub ready: bool,
    /// Whether its startup probe passed (or it runs and has none).
    pub started: bool,
    /// Stable ID of the current run.
    pub container_id: Option<String>,
}

/// What the kubelet knows about a pod.
#[derive(Debug, Clone, PartialEq)]
pub struct PodView {
    /// The pod's loopback IP, once assigned.
    pub pod_ip: Option<Ipv4Addr>,
    /// The node's IP.
    pub host_ip: Ipv4Addr,
    /// When the kubelet first acknowledged the pod.
    pub start_time: Timestamp,
    /// Init containers, in spec order.
    pub init: Vec<ContainerView>,
    /// Regular containers, in spec order.
    pub containers: Vec<ContainerView>,
    /// The pod's restartPolicy (Always, OnFailure or Never).
    pub restart_policy: String,
    /// Whether volumes and IP are in place (PodReadyToStartContainers).
    pub sandbox_ready: bool,
}

/// Pod phases as the API spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not all containers started yet.
    Pending,
    /// Containers run (or restart).
    Running,
    /// All containers ended with 0 and will not restart.
    Succeeded,
    /// Some container failed and will not restart.
    Failed,
}

impl Phase {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
        }
    }

    /// Succeeded or Failed: nothing will run again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Succeeded | Phase::Failed)
    }
}

/// Whether a container that exited with `exit_code` is restarted under `policy`.
pub fn should_restart(policy: &str, exit_code: i32) -> bool {
    match policy {
        "Never" => false,
        "OnFailure" => exit_code != 0,
        _ => true,
    }
}

fn exit_of(c: &ContainerView) -> Option<i32> {
    match &c.state {
        State::Terminated(t) => Some(t.exit_code),
        _ => None,
    }
}

/// Whether every init container completed successfully.
pub fn initialized(view: &PodView) -> bool {
    view.init.iter().all(|c| exit_of(c) == Some(0))
}

/// The pod's phase.
pub fn phase(view: &PodView) -> Phase {
    let policy = view.restart_policy.as_str();
    for c in &view.init {
        match exit_of(c) {
            Some(0) => continue,
            Some(code) if !should_restart(policy, code) => return Phase::Failed,
            _ => return Phase::Pending,
        }
    }
    let cs = &view.containers;
    if cs.is_empty() {
        return Phase::Pending;
    }
    let never_started = |c: &ContainerView| {
        c.restart_count == 0 && matches!(c.state, State::Waiting { .. }) && c.last.is_none()
    };
    if cs.iter().all(|c| exit_of(c).is_some()) {
        let all_ok = cs.iter().all(|c| exit_of(c) == Some(0));
        let restarting = cs
            .iter()
            .any(|c| exit_of(c).is_some_and(|code| should_restart(policy, code)));
        return match (restarting, all_ok) {
            (true, _) => Phase::Running,
            (false, true) => Phase::Succeeded,
            (false, false) => Phase::Failed,
        };
    }
    if cs.iter().any(never_started) && !cs.iter().any(|c| matches!(c.state, State::Running { .. }))
    {
        return Phase::Pending;
    }
    Phase::Running
}

/// The status the kubelet reports for the pod; `previous` conditions keep their
/// transition times when their status did not change.
pub fn derive_status(view: &PodView, previous: &[PodCondition]) -> PodStatus {
    let phase = phase(view);
    let init_done = initialized(view);
    let all_ready = !view.containers.is_empty() && view.containers.iter().all(|c| c.ready);
    let completed = phase.is_terminal();
    let cond = |type_: &str, ok: bool, reason: Option<&str>| {
        let status = if ok { "True" } else { "False" };
        let since = previous
            .iter()
            .find(|c| c.type_ == type_ && c.status == status)
            .and_then(|c| c.last_transition_time.clone())
            .unwrap_or(Time(view.start_time));
        PodCondition {
            type_: type_.into(),
            status: status.into(),
            reason: if ok { None } else { reason.map(Into::into) },
            last_transition_time: Some(since),
            ..Default::default()
        }
    };
    let not_ready_reason = if completed {
        "PodCompleted"
    } else {
        "ContainersNotReady"
    };
    let conditions = vec![
        cond(
            "PodReadyToStartContainers",
            view.sandbox_ready && !completed,
            None,
        ),
        cond(
            "Initialized",
            init_done,
            Some(if completed {
                "PodCompleted"
            } else {
                "ContainersNotInitialized"
            }),
        ),
        cond(
            "ContainersReady",
            all_ready && !completed,
            Some(not_ready_reason),
        ),
        cond(
            "Ready",
            all_ready && !completed && phase == Phase::Running,
            Some(not_ready_reason),
        ),
    ];
    PodStatus {
        phase: Some(phase.as_str().into()),
        conditions: Some(conditions),
        host_ip: Some(view.host_ip.to_string()),
        host_ips: Some(vec![HostIP {
            ip: view.host_ip.to_string(),
        }]),
        pod_ip: view.pod_ip.map(|ip| ip.to_string()),
        pod_ips: view.pod_ip.map(|ip| vec![PodIP { ip: ip.to_string() }]),
        start_time: Some(Time(view.start_time)),
        init_container_statuses: if view.init.is_empty() {
            None
        } else {
            Some(view.init.iter().map(container_status).collect())
        },
        container_statuses: Some(view.containers.iter().map(container_status).collect()),
        ..Default::default()
    }
}

fn terminated(t: &Terminated) -> ContainerStateTerminated {
    let reason = match (&t.message, t.exit_code) {
        (Some(_), _) => "StartError",
        (None, 0) => "Completed",
        (None, _) => "Error",
    };
    ContainerStateTerminated {
        exit_code: t.exit_code,
        signal: t.signal,
        reason: Some(reason.into()),
        message: t.message.clone(),
        started_at: Some(Time(t.started_at)),
        finished_at: Some(Time(t.finished_at)),
        ..Default::default()
    }
}

fn container_status(c: &ContainerView) -> ContainerStatus {
    let state = match &c.state {
        State::Waiting { reason, message } => ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.clone()),
                message: message.clone(),
            }),
            ..Default::default()
        },
        State::Running { started_at } => ContainerState {
            running: Some(ContainerStateRunning {
                started_at: Some(Time(*started_at)),
            }),
            ..Default::default()
        },
        State::Terminated(t) => ContainerState {
            terminated: Some(terminated(t)),
            ..Default::default()
        },
    };
    ContainerStatus {
        name: c.name.clone(),
        image: c.image.clone(),
        image_id: format!("flint-process://{}", c.image),
        container_id: c.container_id.clone(),
        ready: c.ready,
        started: Some(c.started),
        restart_count: i32::try_from(c.restart_count).unwrap_or(i32::MAX),
        state: Some(state),
        last_state: Some(match &c.last {
            Some(t) => ContainerState {
                terminated: Some(terminated(t)),
                ..Default::default()
            },
            None => ContainerState::default(),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn view(policy: &str, states: Vec<State>) -> PodView {
        PodView {
            pod_ip: Some(Ipv4Addr::new(127, 1, 0, 2)),
            host_ip: Ipv4Addr::new(127, 1, 0, 1),
            start_time: Timestamp::UNIX_EPOCH,
            init: vec![],
            containers: states
                .into_iter()
                .enumerate()
                .map(|(i, state)| ContainerView {
                    name: format!("c{i}"),
                    image: "img".into(),
                    restart_count: 0,
                    ready: matches!(state, State::Running { .. }),
                    started: matches!(state, State::Running { .. }),
                    state,
                    last: None,
                    container_id: None,
                })
                .collect(),
            restart_policy: policy.into(),
            sandbox_ready: true,
        }
    }

    fn exited(code: i32) -> State {
        State::Terminated(Terminated {
            exit_code: code,
            signal: None,
            message: None,
            started_at: Timestamp::UNIX_EPOCH,
            finished_at: Timestamp::UNIX_EPOCH,
        })
    }

    fn waiting() -> State {
        State::Waiting {
            reason: "ContainerCreating".into(),
            message: None,
        }
    }

    fn running() -> State {
        State::Running {
            started_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn phases_follow_restart_policy() {
        assert_eq!(phase(&view("Never", vec![waiting()])), Phase::Pending);
        assert_eq!(
            phase(&view("Never", vec![running(), exited(0)])),
            Phase::Running
        );
        assert_eq!(
            phase(&view("Never", vec![exited(0), exited(0)])),
            Phase::Succeeded
        );
        assert_eq!(
            phase(&view("Never", vec![exited(0), exited(1)])),
            Phase::Failed
        );
        assert_eq!(
            phase(&view("OnFailure", vec![exited(0), exited(1)])),
            Phase::Running
        );
        assert_eq!(phase(&view("OnFailure", vec![exited(0)])), Phase::Succeeded);
        assert_eq!(phase(&view("Always", vec![exited(0)])), Phase::Running);
    }

    #[test]
    fn init_failure_fails_never_pods() {
        let mut v = view("Never", vec![waiting()]);
        v.init = view("Never", vec![exited(2)]).containers;
        assert_eq!(phase(&v), Phase::Failed);
        v.restart_policy = "OnFailure".into();
        assert_eq!(phase(&v), Phase::Pending);
    }

    #[test]
    fn ready_only_when_all_containers_ready() {
        let s = derive_status(&view("Always", vec![running(), running()]), &[]);
        let ready = s
            .conditions
            .unwrap()
            .into_iter()
            .find(|c| c.type_ == "Ready")
            .unwrap();
        assert_eq!(ready.status, "True");
        let mut v = view("Always", vec![running(), running()]);
        v.containers[1].ready = false;
        let s = derive_status(&v, &[]);
        let ready = s
            .conditions
            .unwrap()
            .into_iter()
            .find(|c| c.type_ == "Ready")
            .unwrap();
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_deref()),
            ("False", Some("ContainersNotReady"))
        );
    }

    #[test]
    fn completed_pods_report_exit_codes() {
        let s = derive_status(&view("Never", vec![exited(3)]), &[]);
        assert_eq!(s.phase.as_deref(), Some("Failed"));
        let cs = &s.container_statuses.unwrap()[0];
        let t = cs.state.as_ref().unwrap().terminated.as_ref().unwrap();
        assert_eq!((t.exit_code, t.reason.as_deref()), (3, Some("Error")));
    }
}
