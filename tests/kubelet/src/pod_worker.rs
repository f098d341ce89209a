//! One pod's life on this node: set up its IP and volumes, run its init and regular
//! containers under their restart policy, probe them, report status, and on deletion
//! stop its processes (SIGTERM, SIGKILL after the grace period) and remove it.
//!
//! The worker is level-triggered: every tick it observes the container processes on
//! disk, decides what to start or stop from the latest Pod, and patches the status when
//! it changed. All it knows survives a kubelet restart in the pod's directory.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Container, Pod, PodStatus};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use rustix::process::Signal;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::context::Context;
use crate::env::{EnvContext, container_env};
use crate::error::{Error, Result};
use crate::paths::{PathRewriter, PodDir};
use crate::pod_status::{self, ContainerView, PodView, State, Terminated, should_restart};
use crate::probes::{ProbeState, Target, Verdict};
use crate::process::{ExitRecord, Launch, Observed, RunRecord, signal_group};
use crate::service_account;
use crate::sources::Sources;
use crate::volumes;

/// How often the worker looks at its processes.
const TICK: Duration = Duration::from_millis(250);
/// How long a failed setup (missing ConfigMap, ...) waits before it is retried.
const SETUP_RETRY: Duration = Duration::from_secs(2);
/// Grace period when the pod vanished from the API without a graceful delete.
const ORPHAN_GRACE: Duration = Duration::from_secs(2);

/// Latest Pod from the watch; `None` once it is gone from the API.
pub type PodUpdates = watch::Receiver<Option<Arc<Pod>>>;

/// What a pod needs before its containers can start.
struct Setup {
    ip: Ipv4Addr,
    launches: HashMap<String, Launch>,
}

/// One container's runtime state.
#[derive(Default)]
struct Ctr {
    /// Current run number (meaningful once `observed` is set).
    restart: u32,
    observed: Option<Observed>,
    last: Option<Terminated>,
    backoff_until: Option<Instant>,
    started: Option<Instant>,
    readiness: Option<ProbeState>,
    liveness: Option<ProbeState>,
    startup: Option<ProbeState>,
    kill_at: Option<Instant>,
}

impl Ctr {
    fn is_running(&self) -> bool {
        matches!(self.observed, Some(Observed::Running(_)))
    }

    fn exit_code(&self) -> Option<i32> {
        match &self.observed {
            Some(Observed::Exited(_, e)) => Some(e.exit_code),
            _ => None,
        }
    }

    fn run(&self) -> Option<&RunRecord> {
        match &self.observed {
            Some(Observed::Running(r) | Observed::Exited(r, _)) => Some(r),
            None => None,
        }
    }
}

/// Runs one pod until it is deleted.
pub struct PodWorker {
    ctx: Arc<Context>,
    uid: String,
    dir: PodDir,
    updates: PodUpdates,
    setup: Option<Setup>,
    setup_error: Option<String>,
    setup_retry: Option<Instant>,
    ctrs: HashMap<String, Ctr>,
    start_time: Timestamp,
    reported: Option<serde_json::Value>,
    deadline: Option<Instant>,
    killed: bool,
}

impl PodWorker {
    /// A worker for the pod with `uid`, adopting whatever its directory records from a
    /// previous kubelet run.
    pub fn new(ctx: Arc<Context>, uid: String, updates: PodUpdates) -> Self {
        let dir = PodDir::new(&ctx.pods_dir, &uid);
        Self {
            ctx,
            uid,
            dir,
            updates,
            setup: None,
            setup_error: None,
            setup_retry: None,
            ctrs: HashMap::new(),
            start_time: Timestamp::now(),
            reported: None,
            deadline: None,
            killed: false,
        }
    }

    /// Run until the pod is deleted (and removed from the API) or vanishes.
    pub async fn run(mut self) {
        let first = self.updates.borrow().clone();
        if let Some(pod) = first {
            self.adopt(&pod);
            if let Some(t) = pod.status.as_ref().and_then(|s| s.start_time.as_ref()) {
                self.start_time = t.0;
            }
        }
        loop {
            let pod = self.updates.borrow_and_update().clone();
            let finished = match pod {
                None => self.stop_orphan().await,
                Some(pod) if pod.metadata.deletion_timestamp.is_some() => {
                    self.terminate(&pod).await
                }
                Some(pod) => {
                    self.sync(&pod).await;
                    false
                }
            };
            if finished {
                if let Err(e) = self.dir.remove() {
                    warn!(pod = %self.uid, "{e}");
                }
                return;
            }
            tokio::select! {
                changed = self.updates.changed() => if changed.is_err() { return },
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    }

    /// Load the container runs a previous kubelet left in the pod's directory.
    fn adopt(&mut self, pod: &Pod) {
        for c in all_containers(pod) {
            let dir = self.dir.container(&c.name);
            let runs = dir.runs();
            let Some(&current) = runs.last() else {
                continue;
            };
            let mut ctr = Ctr {
                restart: current,
                ..Default::default()
            };
            ctr.observed = dir.observe(current).ok().flatten();
            if current > 0
                && let Ok(Some(Observed::Exited(r, e))) = dir.observe(current - 1)
            {
                ctr.last = Some(terminated(&r, &e));
            }
            if ctr.is_running() {
                ctr.started = Some(Instant::now());
                info!(pod = %name(pod), container = %c.name, "re-adopted running container");
            }
            reset_probes(&mut ctr, c);
            self.ctrs.insert(c.name.clone(), ctr);
        }
    }

    async fn sync(&mut self, pod: &Pod) {
        self.observe();
        let api_terminal = matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        );
        if api_terminal && self.ctrs.is_empty() {
            // Finished before this kubelet's state was lost: never run it again.
            return;
        }
        if self.setup.is_none() && self.setup_retry.is_none_or(|t| Instant::now() >= t) {
            match self.set_up(pod).await {
                Ok(setup) => {
                    self.setup = Some(setup);
                    self.setup_error = None;
                }
                Err(e) => {
                    warn!(pod = %name(pod), "setup failed: {e}");
                    let message = e.to_string();
                    if self.setup_error.as_ref() != Some(&message) {
                        self.ctx
                            .events
                            .warning(pod, "Failed", format!("Error: {message}"));
                    }
                    self.setup_error = Some(message);
                    self.setup_retry = Some(Instant::now() + SETUP_RETRY);
                }
            }
        }
        if self.setup.is_some() && !pod_status::phase(&self.view(pod)).is_terminal() {
            self.run_containers(pod);
            self.probe(pod).await;
        }
        self.report(pod).await;
    }

    fn observe(&mut self) {
        for (name, ctr) in &mut self.ctrs {
            if ctr.is_running() {
                match self.dir.container(name).observe(ctr.restart) {
                    Ok(o) => ctr.observed = o,
                    Err(e) => warn!(pod = %self.uid, container = %name, "{e}"),
                }
            }
            if !ctr.is_running() {
                ctr.kill_at = None;
            } else if let (Some(t), Some(run)) = (ctr.kill_at, ctr.run())
                && Instant::now() >= t
            {
                signal_group(run, Signal::KILL);
            }
        }
    }

    /// Start, restart or wait on containers according to the restart policy: init
    /// containers one by one to success, then all regular containers.
    fn run_containers(&mut self, pod: &Pod) {
        let policy = restart_policy(pod);
        let spec = pod.spec.clone().unwrap_or_default();
        for c in spec.init_containers.iter().flatten() {
            match self
                .ctrs
                .get(&c.name)
                .map(|ctr| (ctr.is_running(), ctr.exit_code()))
            {
                None => {
                    self.start(pod, c);
                    return;
                }
                Some((true, _)) => return,
                Some((false, Some(0))) => continue,
                Some((false, code)) => {
                    if should_restart(&policy, code.unwrap_or(1)) {
                        self.restart_after_backoff(pod, c);
                    }
                    return;
                }
            }
        }
        for c in &spec.containers {
            match self.ctrs.get(&c.name).map(Ctr::exit_code) {
                None => self.start(pod, c),
                Some(Some(code)) if should_restart(&policy, code) => {
                    self.restart_after_backoff(pod, c)
                }
                Some(_) => {}
            }
        }
    }

    fn restart_after_backoff(&mut self, pod: &Pod, c: &Container) {
        let Some(ctr) = self.ctrs.get_mut(&c.name) else {
            return;
        };
        match ctr.backoff_until {
            None => {
                self.ctx.events.warning(
                    pod,
                    "BackOff",
                    format!(
                        "Back-off restarting failed container {} in pod {}",
                        c.name,
                        name(pod)
                    ),
                );
                let secs = 1u64 << ctr.restart.min(5);
                ctr.backoff_until = Some(Instant::now() + Duration::from_secs(secs.min(30)));
            }
            Some(t) if Instant::now() >= t => self.start(pod, c),
            Some(_) => {}
        }
    }

    fn start(&mut self, pod: &Pod, c: &Container) {
        let Some(setup) = &self.setup else { return };
        let Some(launch) = setup.launches.get(&c.name) else {
            return;
        };
        let ctr = self.ctrs.entry(c.name.clone()).or_default();
        let restart = match &ctr.observed {
            None => 0,
            Some(Observed::Exited(r, e)) => {
                ctr.last = Some(terminated(r, e));
                ctr.restart + 1
            }
            Some(Observed::Running(_)) => return,
        };
        match self.dir.container(&c.name).start(restart, launch) {
            Ok(run) => {
                info!(pod = %name(pod), container = %c.name, restart, pid = run.pid, program = %launch.program.display(), "started container");
                self.ctx
                    .events
                    .normal(pod, "Started", format!("Started container {}", c.name));
                ctr.observed = Some(Observed::Running(run));
            }
            Err(e) => {
                warn!(pod = %name(pod), container = %c.name, "start failed: {e}");
                self.ctx
                    .events
                    .warning(pod, "Failed", format!("Error: {e}"));
                let now = Timestamp::now();
                let run = RunRecord {
                    pid: 0,
                    start_ticks: 0,
                    started_at: now,
                };
                let exit = ExitRecord {
                    exit_code: 128,
                    signal: None,
                    finished_at: now,
                    message: Some(e.to_string()),
                };
                ctr.observed = Some(Observed::Exited(run, exit));
            }
        }
        ctr.restart = restart;
        ctr.backoff_until = None;
        ctr.kill_at = None;
        ctr.started = Some(Instant::now());
        reset_probes(ctr, c);
    }

    /// Allocate the pod's IP, materialise its volumes, link its mounts and resolve each
    /// container's program and environment.
    async fn set_up(&mut self, pod: &Pod) -> Result<Setup> {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        let ip = self
            .ctx
            .pod_ip(&self.dir, &ns, &pod_name, &self.uid)
            .await?;
        let root = self.dir.root();
        std::fs::create_dir_all(root.join("tmp")).map_err(Error::io("create pod root", &root))?;
        let mut sources = Sources::new(self.ctx.client.clone(), &ns);
        let no_rewrite = PathRewriter::default();
        let host_ip = self.ctx.config.node_ip;
        let volume_ctx = EnvContext {
            pod_ip: ip,
            host_ip,
            base: vec![],
            rewriter: &no_rewrite,
        };
        volumes::materialise(&self.ctx.client, pod, &self.dir, &mut sources, &volume_ctx).await?;
        let mut launches = HashMap::new();
        for c in all_containers(pod) {
            volumes::link_mounts(c, &self.dir)?;
            let rewriter = rewriter_for(c, &root);
            let mut base = self.base_env(pod, &root);
            if service_account::mounts_token(c) {
                let cfg = &self.ctx.config;
                let kubeconfig = service_account::write_kubeconfig(
                    &root,
                    &ns,
                    &cfg.api_server_host,
                    cfg.api_server_port,
                )?;
                base.push(("KUBECONFIG".to_string(), kubeconfig.display().to_string()));
            }
            let ctx = EnvContext {
                pod_ip: ip,
                host_ip,
                base,
                rewriter: &rewriter,
            };
            let env = container_env(pod, c, &ctx, &mut sources).await?;
            let argv = self.ctx.programs.argv(c)?;
            let launch = self.ctx.programs.launch(
                &argv,
                &env,
                c.working_dir.as_deref(),
                &rewriter,
                &root,
            )?;
            launches.insert(c.name.clone(), launch);
        }
        info!(pod = %name(pod), %ip, "pod set up");
        Ok(Setup { ip, launches })
    }

    /// Variables every container starts with (the pod's own env overrides them).
    fn base_env(&self, pod: &Pod, root: &std::path::Path) -> Vec<(String, String)> {
        let cfg = &self.ctx.config;
        let path = match &cfg.bin_dir {
            Some(bin) => format!("{}:{}", bin.display(), self.ctx.host_path),
            None => self.ctx.host_path.clone(),
        };
        let hostname = pod
            .spec
            .as_ref()
            .and_then(|s| s.hostname.clone())
            .or_else(|| pod.metadata.name.clone())
            .unwrap_or_default();
        let host = &cfg.api_server_host;
        let port = cfg.api_server_port;
        let mut env = vec![
            ("PATH".to_string(), path),
            ("HOME".to_string(), root.display().to_string()),
            ("TMPDIR".to_string(), root.join("tmp").display().to_string()),
            ("HOSTNAME".to_string(), hostname),
            ("FLINT_POD_ROOT".to_string(), root.display().to_string()),
            ("KUBERNETES_SERVICE_HOST".to_string(), host.clone()),
            ("KUBERNETES_SERVICE_PORT".to_string(), port.to_string()),
            (
                "KUBERNETES_SERVICE_PORT_HTTPS".to_string(),
                port.to_string(),
            ),
            (
                "KUBERNETES_PORT".to_string(),
                format!("tcp://{host}:{port}"),
            ),
        ];
        for key in ["FLINT_CLUSTER_ID", "LANG", "LC_ALL", "TZ"] {
            if let Ok(v) = std::env::var(key) {
                env.push((key.to_string(), v));
            }
        }
        env
    }

    async fn probe(&mut self, pod: &Pod) {
        let Some(setup) = &self.setup else { return };
        let root = self.dir.root();
        let grace = grace_period(pod, None);
        for c in all_containers(pod) {
            let Some(ctr) = self.ctrs.get_mut(&c.name) else {
                continue;
            };
            let (Some(started), Some(launch)) = (ctr.started, setup.launches.get(&c.name)) else {
                continue;
            };
            if !ctr.is_running() || ctr.kill_at.is_some() {
                continue;
            }
            let rewriter = rewriter_for(c, &root);
            let exec = |argv: &[String]| {
                self.ctx
                    .programs
                    .launch(
                        argv,
                        &launch.env,
                        c.working_dir.as_deref(),
                        &rewriter,
                        &root,
                    )
                    .ok()
            };
            let target = Target {
                pod_ip: setup.ip,
                container: c,
                exec: &exec,
            };
            if let Some(p) = &mut ctr.startup
                && !p.passing
            {
                if p.tick(started, &target).await == Verdict::Failed {
                    unhealthy(&self.ctx, pod, &c.name, "Startup");
                    kill_for_restart(ctr, &c.name, "startup", grace);
                }
                continue;
            }
            if let Some(p) = &mut ctr.readiness
                && p.tick(started, &target).await == Verdict::Failed
            {
                unhealthy(&self.ctx, pod, &c.name, "Readiness");
            }
            if let Some(p) = &mut ctr.liveness
                && p.tick(started, &target).await == Verdict::Failed
            {
                unhealthy(&self.ctx, pod, &c.name, "Liveness");
                kill_for_restart(ctr, &c.name, "liveness", grace);
            }
        }
    }

    fn view(&self, pod: &Pod) -> PodView {
        let spec = pod.spec.clone().unwrap_or_default();
        let init_done = spec
            .init_containers
            .iter()
            .flatten()
            .all(|c| self.ctrs.get(&c.name).and_then(Ctr::exit_code) == Some(0));
        let view_of = |c: &Container, regular: bool| {
            let ctr = self.ctrs.get(&c.name);
            let waiting = |reason: &str, message: Option<String>| State::Waiting {
                reason: reason.into(),
                message,
            };
            let state = match ctr.and_then(|c| c.observed.as_ref()) {
                None => match &self.setup_error {
                    Some(e) => waiting("CreateContainerConfigError", Some(e.clone())),
                    None if regular && !init_done => waiting("PodInitializing", None),
                    None => waiting("ContainerCreating", None),
                },
                Some(Observed::Running(r)) => State::Running {
                    started_at: r.started_at,
                },
                Some(Observed::Exited(r, e)) => {
                    if ctr.is_some_and(|c| c.backoff_until.is_some()) {
                        waiting(
                            "CrashLoopBackOff",
                            Some(format!("back-off restarting failed container {}", c.name)),
                        )
                    } else {
                        State::Terminated(terminated(r, e))
                    }
                }
            };
            let running = matches!(state, State::Running { .. });
            let started =
                running && ctr.is_none_or(|x| x.startup.as_ref().is_none_or(|p| p.passing));
            let ready =
                started && ctr.is_none_or(|x| x.readiness.as_ref().is_none_or(|p| p.passing));
            let last = match (&state, ctr) {
                (State::Waiting { .. }, Some(x)) => match &x.observed {
                    Some(Observed::Exited(r, e)) => Some(terminated(r, e)),
                    _ => x.last.clone(),
                },
                (_, Some(x)) => x.last.clone(),
                _ => None,
            };
            ContainerView {
                name: c.name.clone(),
                image: c.image.clone().unwrap_or_default(),
                restart_count: ctr.map_or(0, |x| {
                    if x.backoff_until.is_some() {
                        x.restart + 1
                    } else {
                        x.restart
                    }
                }),
                container_id: ctr.and_then(|x| {
                    x.observed
                        .as_ref()
                        .map(|_| format!("flint-process://{}/{}/{}", self.uid, c.name, x.restart))
                }),
                state,
                last,
                ready,
                started,
            }
        };
        PodView {
            pod_ip: self.setup.as_ref().map(|s| s.ip),
            host_ip: self.ctx.config.node_ip,
            start_time: self.start_time,
            init: spec
                .init_containers
                .iter()
                .flatten()
                .map(|c| view_of(c, false))
                .collect(),
            containers: spec.containers.iter().map(|c| view_of(c, true)).collect(),
            restart_policy: restart_policy(pod),
            sandbox_ready: self.setup.is_some(),
        }
    }

    async fn report(&mut self, pod: &Pod) {
        let previous = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let status: PodStatus = pod_status::derive_status(&self.view(pod), &previous);
        let Ok(value) = serde_json::to_value(&status) else {
            return;
        };
        if self.reported.as_ref() == Some(&value) {
            return;
        }
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.ctx.client.clone(), &ns);
        let patch = serde_json::json!({ "status": value });
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        match api
            .patch_status(
                &pod_name,
                &PatchParams::default(),
                &Patch::Strategic(&patch),
            )
            .await
        {
            Ok(_) => {
                info!(pod = %name(pod), phase = status.phase.as_deref().unwrap_or(""), "status reported");
                self.reported = Some(value);
            }
            Err(e) => warn!(pod = %name(pod), "status update failed: {e}"),
        }
    }

    /// Graceful deletion: SIGTERM now, SIGKILL at the deadline, then delete the pod with
    /// grace 0. Returns true once the pod is gone.
    async fn terminate(&mut self, pod: &Pod) -> bool {
        let deadline = *self.deadline.get_or_insert_with(|| {
            let grace = grace_period(pod, pod.metadata.deletion_grace_period_seconds);
            info!(pod = %name(pod), grace_seconds = grace.as_secs(), "stopping pod");
            for (container, ctr) in &self.ctrs {
                if ctr.is_running() {
                    self.ctx.events.normal(
                        pod,
                        "Killing",
                        format!("Stopping container {container}"),
                    );
                }
            }
            Instant::now() + grace
        });
        if !self.stop_processes(deadline) {
            return false;
        }
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.ctx.client.clone(), &ns);
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: Some(self.uid.clone()),
                resource_version: None,
            }),
            ..Default::default()
        };
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        match api.delete(&pod_name, &params).await {
            Ok(_) => true,
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => true,
            Err(e) => {
                warn!(pod = %name(pod), "delete failed: {e}");
                false
            }
        }
    }

    /// The pod vanished from the API: stop its processes quickly. True once stopped.
    async fn stop_orphan(&mut self) -> bool {
        if self.ctrs.is_empty() && self.dir.path().exists() {
            // A directory left from before a restart; learn what it holds first.
            self.adopt_from_disk();
        }
        let deadline = *self
            .deadline
            .get_or_insert_with(|| Instant::now() + ORPHAN_GRACE);
        self.stop_processes(deadline)
    }

    fn adopt_from_disk(&mut self) {
        let containers = self.dir.path().join("containers");
        for entry in std::fs::read_dir(&containers)
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let dir = self.dir.container(&name);
            if let Some(&current) = dir.runs().last() {
                let observed = dir.observe(current).ok().flatten();
                self.ctrs.insert(
                    name,
                    Ctr {
                        restart: current,
                        observed,
                        ..Default::default()
                    },
                );
            }
        }
    }

    /// SIGTERM every running container (once), SIGKILL them at `deadline`. True once
    /// none runs.
    fn stop_processes(&mut self, deadline: Instant) -> bool {
        self.observe();
        let running: Vec<RunRecord> = self
            .ctrs
            .values()
            .filter(|c| c.is_running())
            .filter_map(|c| c.run().cloned())
            .collect();
        if running.is_empty() {
            return true;
        }
        if !self.killed && Instant::now() >= deadline {
            running.iter().for_each(|r| signal_group(r, Signal::KILL));
            self.killed = true;
        } else if self
            .ctrs
            .values()
            .any(|c| c.kill_at.is_none() && c.is_running())
        {
            for ctr in self
                .ctrs
                .values_mut()
                .filter(|c| c.is_running() && c.kill_at.is_none())
            {
                if let Some(run) = ctr.run() {
                    signal_group(run, Signal::TERM);
                }
                ctr.kill_at = Some(deadline);
            }
        }
        false
    }
}

fn unhealthy(ctx: &Context, pod: &Pod, container: &str, probe: &str) {
    let note = format!("{probe} probe of container {container} failed");
    ctx.events.warning(pod, "Unhealthy", note);
}

fn kill_for_restart(ctr: &mut Ctr, container: &str, probe: &str, grace: Duration) {
    info!(container, "{probe} probe failed; restarting container");
    if let Some(run) = ctr.run() {
        signal_group(run, Signal::TERM);
    }
    ctr.kill_at = Some(Instant::now() + grace);
}

fn reset_probes(ctr: &mut Ctr, c: &Container) {
    ctr.readiness = c.readiness_probe.clone().map(ProbeState::new);
    ctr.liveness = c.liveness_probe.clone().map(ProbeState::new);
    ctr.startup = c.startup_probe.clone().map(ProbeState::new);
}

fn terminated(run: &RunRecord, exit: &ExitRecord) -> Terminated {
    Terminated {
        exit_code: exit.exit_code,
        signal: exit.signal,
        message: exit.message.clone(),
        started_at: run.started_at,
        finished_at: exit.finished_at,
    }
}

fn rewriter_for(c: &Container, root: &std::path::Path) -> PathRewriter {
    PathRewriter::new(
        root,
        c.volume_mounts
            .iter()
            .flatten()
            .map(|m| m.mount_path.clone()),
    )
}

fn all_containers(pod: &Pod) -> impl Iterator<Item = &Container> {
    pod.spec.iter().flat_map(|s| {
        s.init_containers
            .iter()
            .flatten()
            .chain(s.containers.iter())
    })
}

fn restart_policy(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| s.restart_policy.clone())
        .unwrap_or_else(|| "Always".into())
}

/// The deletion grace period: the one the delete asked for, else the pod's
/// terminationGracePeriodSeconds, else 30 seconds.
fn grace_period(pod: &Pod, requested: Option<i64>) -> Duration {
    let secs = requested
        .or_else(|| {
            pod.spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds)
        })
        .unwrap_or(30);
    Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

fn name(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or(""),
        pod.metadata.name.as_deref().unwrap_or("")
    )
}
