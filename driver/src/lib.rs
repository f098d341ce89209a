//! Flint's driver: the Spark Connect service that stock PySpark clients talk to.

pub mod connect;
