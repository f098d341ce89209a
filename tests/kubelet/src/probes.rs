//! Readiness, liveness and startup probes (exec, tcpSocket, httpGet) against a pod's
//! loopback IP, with Kubernetes' thresholds and periods.

use std::net::Ipv4Addr;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

use crate::process::Launch;

/// The running state of one probe of one container run.
#[derive(Debug, Clone)]
pub struct ProbeState {
    probe: Probe,
    last_run: Option<Instant>,
    successes: i32,
    failures: i32,
    /// The probe's current verdict.
    pub passing: bool,
}

/// What a probe run changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing changed (or the probe was not due).
    Unchanged,
    /// The probe reached its success threshold.
    Passed,
    /// The probe reached its failure threshold.
    Failed,
}

impl ProbeState {
    /// State for `probe`, not yet passing.
    pub fn new(probe: Probe) -> Self {
        Self {
            probe,
            last_run: None,
            successes: 0,
            failures: 0,
            passing: false,
        }
    }

    /// Run the probe if it is due (`started` is when the container run started).
    pub async fn tick(&mut self, started: Instant, target: &Target<'_>) -> Verdict {
        let now = Instant::now();
        let initial = secs(self.probe.initial_delay_seconds, 0);
        let period = secs(self.probe.period_seconds, 10);
        if now < started + initial || self.last_run.is_some_and(|t| now < t + period) {
            return Verdict::Unchanged;
        }
        self.last_run = Some(now);
        let limit = secs(self.probe.timeout_seconds, 1);
        let ok = timeout(limit, run(&self.probe, target))
            .await
            .unwrap_or(false);
        if ok {
            self.failures = 0;
            self.successes += 1;
            if !self.passing && self.successes >= self.probe.success_threshold.unwrap_or(1).max(1) {
                self.passing = true;
                return Verdict::Passed;
            }
        } else {
            self.successes = 0;
            self.failures += 1;
            if self.failures >= self.probe.failure_threshold.unwrap_or(3).max(1) {
                self.passing = false;
                self.failures = 0;
                return Verdict::Failed;
            }
        }
        Verdict::Unchanged
    }
}

fn secs(v: Option<i32>, default: u64) -> Duration {
    Duration::from_secs(v.and_then(|v| u64::try_from(v).ok()).unwrap_or(default))
}

/// Where and how a probe reaches its container.
pub struct Target<'a> {
    /// The pod's IP.
    pub pod_ip: Ipv4Addr,
    /// The container (for named ports).
    pub container: &'a Container,
    /// The container's launch (for exec probes: env, working dir, path rewriting).
    pub exec: &'a (dyn Fn(&[String]) -> Option<Launch> + Sync),
}

async fn run(probe: &Probe, target: &Target<'_>) -> bool {
    if let Some(exec) = &probe.exec {
        let Some(launch) = (target.exec)(exec.command.as_deref().unwrap_or_default()) else {
            return false;
        };
        let status = tokio::process::Command::new(&launch.program)
            .args(&launch.args)
            .env_clear()
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&launch.cwd)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .status()
            .await;
        return status.is_ok_and(|s| s.success());
    }
    if let Some(tcp) = &probe.tcp_socket {
        let Some(port) = port(&tcp.port, target.container) else {
            return false;
        };
        return TcpStream::connect((target.pod_ip, port)).await.is_ok();
    }
    if let Some(http) = &probe.http_get {
        let Some(port) = port(&http.port, target.container) else {
            return false;
        };
        let path = http.path.clone().unwrap_or_else(|| "/".into());
        return http_get(target.pod_ip, port, &path)
            .await
            .is_some_and(|code| (200..400).contains(&code));
    }
    if let Some(grpc) = &probe.grpc {
        // No gRPC health client here: treat a listening port as healthy.
        let Ok(port) = u16::try_from(grpc.port) else {
            return false;
        };
        return TcpStream::connect((target.pod_ip, port)).await.is_ok();
    }
    false
}

fn port(p: &IntOrString, container: &Container) -> Option<u16> {
    match p {
        IntOrString::Int(n) => u16::try_from(*n).ok(),
        IntOrString::String(name) => container
            .ports
            .iter()
            .flatten()
            .find(|cp| cp.name.as_deref() == Some(name.as_str()))
            .and_then(|cp| u16::try_from(cp.container_port).ok()),
    }
}

/// GET `path` over HTTP/1.1 and return the status code.
async fn http_get(ip: Ipv4Addr, port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect((ip, port)).await.ok()?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {ip}:{port}\r\nUser-Agent: kube-probe/flint\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut buf = vec![0u8; 256];
    let mut len = 0;
    while len < buf.len() {
        let n = stream.read(&mut buf[len..]).await.ok()?;
        if n == 0 {
            break;
        }
        len += n;
        if buf[..len].contains(&b'\n') {
            break;
        }
    }
    let line = String::from_utf8_lossy(&buf[..len]);
    line.split_whitespace().nth(1)?.parse().ok()
}
