//! The cluster scheduler: runs the jobs of every session and thread at once on the shared
//! executors.
//!
//! Decisions live in pure state that tests drive directly — [`state`] (jobs, events →
//! actions) over [`dag`] (one job's stages and map outputs), [`tasks`] (slots, attempts,
//! failures, heartbeat reconciliation), [`pools`] (FIFO / FAIR order), [`executors`]
//! (registry) and [`caches`] (cached partitions across jobs). The I/O is a thin shell:
//! [`event_loop`] owns the state and talks to executors, [`service`] serves
//! `DriverService` to them, and `results` streams each job's result partitions from the
//! executors that hold them.

pub mod caches;
pub mod conf;
pub mod dag;
pub mod event_loop;
pub mod executors;
pub mod pools;
mod results;
mod service;
pub mod state;
pub mod tasks;

pub use conf::SchedulerConf;
pub use event_loop::{ClusterScheduler, StartError};
