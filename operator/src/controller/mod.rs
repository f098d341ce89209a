//! Controllers: the thin, Kubernetes-facing reconcile loops.

pub mod spark_application;
