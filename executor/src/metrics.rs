//! The executor's Prometheus metrics at `/metrics` (OpenMetrics text, `flint_executor_`
//! names with their units): tasks running and finished, task time, shuffle and spill
//! bytes, memory pool use. Served on `--metrics-port` when given.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// What the task runner counts as tasks end.
#[derive(Debug, Clone, Default)]
pub struct ExecutorMetrics {
    tasks: Family<Vec<(String, String)>, Counter>,
    run_time: Counter<f64, AtomicU64>,
    output_bytes: Counter,
    spill_bytes: Counter,
}

/// What the metrics read at a scrape: tasks running now and the memory pool.
pub trait Gauges: Send + Sync + 'static {
    /// Attempts listed as running.
    fn running_tasks(&self) -> usize;
    /// Bytes reserved in the memory pool now.
    fn memory_used_bytes(&self) -> usize;
    /// The memory pool's size (`spark.executor.memory`).
    fn memory_limit_bytes(&self) -> usize;
}

impl ExecutorMetrics {
    /// Records an attempt that ended (`succeeded` or not) after `millis` on a slot,
    /// having written `bytes` and spilled `spill` bytes.
    pub fn task_ended(&self, succeeded: bool, millis: u64, bytes: u64, spill: u64) {
        let state = if succeeded { "succeeded" } else { "failed" };
        self.tasks.get_or_create(&vec![("state".to_string(), state.to_string())]).inc();
        self.run_time.inc_by(millis as f64 / 1000.0);
        self.output_bytes.inc_by(bytes);
        self.spill_bytes.inc_by(spill);
    }

    /// The metrics in the OpenMetrics text format.
    pub fn encode(&self, gauges: &dyn Gauges) -> Result<String, std::fmt::Error> {
        let mut registry = Registry::default();
        registry.register("flint_executor_tasks", "Task attempts finished, by how they ended", self.tasks.clone());
        registry.register("flint_executor_task_run_time_seconds", "Time finished attempts ran", self.run_time.clone());
        registry.register("flint_executor_output_bytes", "Bytes tasks wrote to shuffle or result blocks", self.output_bytes.clone());
        registry.register("flint_executor_spill_bytes", "Bytes task operators spilled to disk", self.spill_bytes.clone());
        let gauge = |value: usize| {
            let gauge = Gauge::<i64>::default();
            gauge.set(value as i64);
            gauge
        };
        registry.register("flint_executor_tasks_running", "Task attempts running now", gauge(gauges.running_tasks()));
        registry.register("flint_executor_memory_used_bytes", "Bytes reserved in the memory pool", gauge(gauges.memory_used_bytes()));
        registry.register("flint_executor_memory_limit_bytes", "Size of the memory pool", gauge(gauges.memory_limit_bytes()));
        let mut text = String::new();
        encode(&mut text, &registry)?;
        Ok(text)
    }
}

/// Serves `/metrics` on `listener` until the process ends.
pub fn serve(listener: tokio::net::TcpListener, metrics: ExecutorMetrics, gauges: Arc<dyn Gauges>) {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let (metrics, gauges) = (metrics.clone(), Arc::clone(&gauges));
            async move {
                match metrics.encode(gauges.as_ref()) {
                    Ok(text) => {
                        ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
                    }
                    Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
                }
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::warn!(%error, "the executor's metrics server stopped");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    impl Gauges for Fixed {
        fn running_tasks(&self) -> usize {
            2
        }
        fn memory_used_bytes(&self) -> usize {
            1024
        }
        fn memory_limit_bytes(&self) -> usize {
            4096
        }
    }

    #[test]
    fn finished_tasks_and_the_memory_pool_are_counted() {
        let metrics = ExecutorMetrics::default();
        metrics.task_ended(true, 1500, 100, 7);
        metrics.task_ended(false, 500, 0, 0);
        let text = metrics.encode(&Fixed).unwrap();
        for line in [
            "flint_executor_tasks_total{state=\"succeeded\"} 1",
            "flint_executor_tasks_total{state=\"failed\"} 1",
            "flint_executor_task_run_time_seconds_total 2.0",
            "flint_executor_output_bytes_total 100",
            "flint_executor_spill_bytes_total 7",
            "flint_executor_tasks_running 2",
            "flint_executor_memory_used_bytes 1024",
            "flint_executor_memory_limit_bytes 4096",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
