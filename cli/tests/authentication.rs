//! The per-application secret (`spark.authenticate.secret`) on real processes: a
//! local-cluster driver and its executor refuse every call without the secret or with a
//! wrong one (`UNAUTHENTICATED`, with a message and a warning in the log) and serve it
//! with the right one; an executor started by hand with a wrong secret cannot register,
//! with the right one it joins; the secret never appears in the log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::Action;
use flint_proto::driver_service_client::DriverServiceClient;
use flint_proto::executor_service_client::ExecutorServiceClient;
use flint_proto::{HeartbeatRequest, LaunchTasksRequest};
use futures::TryStreamExt;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::Request;
use tonic::metadata::MetadataValue;

const FLINT: &str = env!("CARGO_BIN_EXE_flint");
const SECRET: &str = "4f2a9c-test-application-secret";

/// A `flint connect-server` on a one-executor local cluster, its stderr collected.
struct Server {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(secret: &str) -> Self {
        let mut child = Command::new(FLINT)
            .args(["connect-server", "--port", "0", "--master", "local-cluster[1,1,512]"])
            .args(["--conf", &format!("spark.authenticate.secret={secret}")])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let mut log = sink.lock().unwrap();
                log.push_str(&line.unwrap());
                log.push('\n');
            }
        });
        Self { child, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The rest of the first log line that has `prefix`, once there is one.
    fn wait_for(&self, prefix: &str) -> String {
        let start = Instant::now();
        loop {
            let log = self.log();
            if let Some(line) = log.lines().find(|l| l.contains(prefix)) {
                return line[line.find(prefix).unwrap() + prefix.len()..].trim().to_string();
            }
            assert!(start.elapsed() < Duration::from_secs(60), "no {prefix:?} in:\n{log}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

fn with_secret<T>(message: T, secret: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(secret) = secret {
        let value: MetadataValue<_> = format!("Bearer {secret}").parse().unwrap();
        request.metadata_mut().insert("authorization", value);
    }
    request
}

fn assert_refused<T: std::fmt::Debug>(result: Result<T, tonic::Status>, problem: &str, what: &str) {
    let status = result.expect_err(what);
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{what}: {status:?}");
    assert!(status.message().contains(problem), "{what}: {}", status.message());
    assert!(!status.message().contains(SECRET), "{what}: the refusal shows the secret");
}

#[test]
fn driver_and_executor_serve_only_callers_with_the_application_secret() {
    let server = Server::start(SECRET);
    let driver = format!("http://{}", server.wait_for("flint: the local cluster's driver serves executors at "));
    // flint: registered executor 0 (pid 1234, 1 cores) at 127.0.0.1:5678
    let registered = server.wait_for("flint: registered executor 0 ");
    let executor = registered.rsplit(" at ").next().unwrap().to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        // The executor's Flight service: shuffle blocks and the `flint.tasks` action.
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{executor}")).unwrap().connect().await.unwrap();
        let mut flight = FlightServiceClient::new(channel);
        let tasks = || Action { r#type: "flint.tasks".into(), body: Default::default() };
        assert_refused(flight.do_action(with_secret(tasks(), None)).await, "no application secret", "flint.tasks, no secret");
        assert_refused(
            flight.do_action(with_secret(tasks(), Some("wrong"))).await,
            "a wrong application secret",
            "flint.tasks, wrong secret",
        );
        let answer: Vec<_> = flight.do_action(with_secret(tasks(), Some(SECRET))).await.unwrap().into_inner().try_collect().await.unwrap();
        assert!(String::from_utf8_lossy(&answer[0].body).contains("\"running\""), "{answer:?}");
        let ticket = arrow_flight::Ticket { ticket: Default::default() };
        assert_refused(flight.do_get(with_secret(ticket, None)).await, "no application secret", "block fetch, no secret");

        // The executor's task service.
        let mut tasks = ExecutorServiceClient::connect(format!("http://{executor}")).await.unwrap();
        let launch = LaunchTasksRequest { tasks: Vec::new() };
        assert_refused(tasks.launch_tasks(with_secret(launch.clone(), None)).await, "no application secret", "task launch");
        tasks.launch_tasks(with_secret(launch, Some(SECRET))).await.unwrap();

        // The driver's service: registration, heartbeats, task statuses.
        let mut driver_service = DriverServiceClient::connect(driver.clone()).await.unwrap();
        let beat = || HeartbeatRequest { executor_id: "nobody".into(), running: Vec::new() };
        assert_refused(driver_service.heartbeat(with_secret(beat(), None)).await, "no application secret", "heartbeat");
        assert_refused(driver_service.heartbeat(with_secret(beat(), Some("wrong"))).await, "a wrong application secret", "heartbeat");
        let known = driver_service.heartbeat(with_secret(beat(), Some(SECRET))).await.unwrap();
        assert!(known.into_inner().unknown_executor);
    });

    // `flint executor` started by hand takes the secret from its environment.
    let by_hand = |secret: &str| {
        Command::new(FLINT)
            .args(["executor", "--driver-url", &driver, "--executor-id", "9", "--name", "by-hand"])
            .env("_SPARK_AUTH_SECRET", secret)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let refused = by_hand("wrong").wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && stderr.contains("a wrong application secret"), "{stderr}");
    let mut joined = by_hand(SECRET);
    server.wait_for("flint: registered executor 9 ");
    let _ = joined.kill();
    let _ = joined.wait();

    let log = server.log();
    assert!(log.contains("refused an unauthenticated call"), "no warning in the log:\n{log}");
    assert!(!log.contains(SECRET), "the secret is in the log:\n{log}");
}
