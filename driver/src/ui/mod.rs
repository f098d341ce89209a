//! The Flint web UI, as Spark's: the live UI of a driver (`spark.ui.port`, 4040) and the
//! history server (`spark.history.ui.port`, 18080), both drawn from an app status store
//! ([`store`]) fed by listener events — live from the scheduler, or replayed from an
//! event log ([`event_log`]). Pages: Jobs, Stages, a stage's tasks, Executors, SQL (each
//! query's plan as a graph), Environment; the REST API ([`api`]) under
//! `/api/v1/applications`; Prometheus metrics ([`metrics`]) at `/metrics`.

pub mod api;
pub mod conf;
pub mod event_log;
pub mod history;
pub mod live;
pub mod metrics;
pub mod redaction;
pub mod server;
pub mod store;

pub use history::{HistoryApps, HistoryError};
pub use live::{LiveUi, UiError};
