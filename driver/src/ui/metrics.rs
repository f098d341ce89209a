//! Prometheus metrics of the driver at `/metrics` (OpenMetrics text, `flint_` names with
//! their units): jobs, stages and tasks by state, task time, shuffle and spill bytes,
//! executors alive and lost, read from the app status store at each scrape.

use super::store::{AppStatusStore, Status};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::LazyLock;
use std::sync::atomic::AtomicU64;

/// The content type of [`encode_store`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(String, String)>;

/// Spark Connect's requests and sessions in this process: the Connect service counts
/// into it, the driver's `/metrics` reports it.
#[derive(Debug, Default)]
pub struct ConnectMetrics {
    requests: Family<Labels, Counter>,
    sessions: Gauge,
}

impl ConnectMetrics {
    /// Counts one call of `method` (`ExecutePlan`, `AnalyzePlan`, …).
    pub fn request(&self, method: &str) {
        self.requests.get_or_create(&vec![("method".to_string(), method.to_string())]).inc();
    }

    /// Records how many sessions are open now.
    pub fn set_sessions(&self, open: usize) {
        self.sessions.set(open as i64);
    }
}

/// The process's Spark Connect metrics.
pub static CONNECT: LazyLock<ConnectMetrics> = LazyLock::new(ConnectMetrics::default);

fn state(value: &str) -> Labels {
    vec![("state".to_string(), value.to_string())]
}

fn counter(registry: &mut Registry, name: &str, help: &str, value: u64) {
    let metric = Counter::<u64>::default();
    metric.inc_by(value);
    registry.register(name, help, metric);
}

fn seconds_counter(registry: &mut Registry, name: &str, help: &str, millis: u64) {
    let metric = Counter::<f64, AtomicU64>::default();
    metric.inc_by(millis as f64 / 1000.0);
    registry.register(name, help, metric);
}

/// The store's metrics in the OpenMetrics text format.
pub fn encode_store(store: &AppStatusStore) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::default();
    let jobs = Family::<Labels, Gauge>::default();
    for (name, status) in [("running", Status::Running), ("succeeded", Status::Succeeded), ("failed", Status::Failed)] {
        jobs.get_or_create(&state(name)).set(store.jobs.values().filter(|j| j.status == status).count() as i64);
    }
    registry.register("flint_jobs", "Jobs the UI keeps, by state", jobs);
    let stages = Family::<Labels, Gauge>::default();
    for (name, status) in [
        ("pending", Status::Pending),
        ("active", Status::Running),
        ("complete", Status::Succeeded),
        ("failed", Status::Failed),
        ("skipped", Status::Skipped),
    ] {
        stages.get_or_create(&state(name)).set(store.stages.values().filter(|s| s.status == status).count() as i64);
    }
    registry.register("flint_stages", "Stage attempts the UI keeps, by state", stages);
    let running = Gauge::<i64>::default();
    running.set(store.stages.values().map(|s| s.active as i64).sum());
    registry.register("flint_tasks_running", "Task attempts running now", running);
    let t = store.totals;
    let tasks = Family::<Labels, Counter>::default();
    for (name, value) in [("succeeded", t.tasks_succeeded), ("failed", t.tasks_failed), ("killed", t.tasks_killed)] {
        tasks.get_or_create(&state(name)).inc_by(value);
    }
    registry.register("flint_tasks", "Task attempts finished since the start, by how they ended", tasks);
    let ended = Family::<Labels, Counter>::default();
    ended.get_or_create(&state("succeeded")).inc_by(t.jobs_succeeded);
    ended.get_or_create(&state("failed")).inc_by(t.jobs_failed);
    registry.register("flint_jobs_finished", "Jobs finished since the start, by how they ended", ended);
    seconds_counter(&mut registry, "flint_task_run_time_seconds", "Run time of finished task attempts on executors", t.task_run_time_ms);
    counter(&mut registry, "flint_shuffle_write_bytes", "Bytes map tasks wrote to shuffle blocks", t.shuffle_write_bytes);
    counter(&mut registry, "flint_shuffle_read_bytes", "Bytes of shuffle blocks tasks read", t.shuffle_read_bytes);
    counter(&mut registry, "flint_result_bytes", "Bytes result tasks returned", t.result_bytes);
    counter(&mut registry, "flint_spill_bytes", "Bytes task operators spilled to disk", t.spill_bytes);
    let executors = Family::<Labels, Gauge>::default();
    let alive = store.executors.values().filter(|e| e.removed.is_none()).count() as i64;
    executors.get_or_create(&state("alive")).set(alive);
    executors.get_or_create(&state("lost")).set(store.executors.len() as i64 - alive);
    registry.register("flint_executors", "Executors the UI keeps, alive or lost", executors);
    counter(&mut registry, "flint_executors_lost", "Executors lost since the start", t.executors_lost);
    registry.register("flint_connect_requests", "Spark Connect calls, by method", CONNECT.requests.clone());
    registry.register("flint_connect_sessions", "Spark Connect sessions open", CONNECT.sessions.clone());
    let mut text = String::new();
    encode(&mut text, &registry)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listener::ListenerEvent;

    #[test]
    fn metrics_count_executors_and_jobs_in_the_openmetrics_text_form() {
        let mut store = AppStatusStore::default();
        store.apply(&ListenerEvent::ExecutorAdded { time: 0, executor_id: "1".into(), host_port: "h:1".into(), total_cores: 1 });
        store.apply(&ListenerEvent::ExecutorAdded { time: 0, executor_id: "2".into(), host_port: "h:2".into(), total_cores: 1 });
        store.apply(&ListenerEvent::ExecutorRemoved { time: 1, executor_id: "2".into(), reason: "gone".into() });
        CONNECT.request("ExecutePlan");
        CONNECT.set_sessions(3);
        let text = encode_store(&store).unwrap();
        for line in ["flint_executors{state=\"alive\"} 1", "flint_connect_sessions 3", "flint_executors{state=\"lost\"} 1", "flint_executors_lost_total 1", "flint_task_run_time_seconds_total 0.0", "# EOF"] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
