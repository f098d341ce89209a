//! The driver's listener model: what happens to jobs, stages, tasks, executors and SQL
//! executions, as Spark's `SparkListener` events ([`events`]), posted on a
//! [`bus::ListenerBus`] that the UI's status store and the event log read.

pub mod bus;
pub mod events;
pub mod local_events;
pub mod scheduler_events;

pub use bus::{Listener, ListenerBus};
pub use events::ListenerEvent;
