//! Flint's driver: the Spark Connect service that stock PySpark clients talk to, and the
//! cluster scheduler that runs their jobs on executors.

pub mod cluster;
pub mod connect;
pub mod scheduler;
