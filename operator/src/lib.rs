//! The Flint operator: the `SparkApplication` custom resource ([`crd`]), the pure status
//! machine ([`app_state`]) and object builders ([`pod_builder`]) it reconciles with, and
//! the kube-runtime controller that drives them ([`controller`]).
#![deny(missing_docs)]

pub mod app_state;
pub mod controller;
pub mod crd;
pub mod health;
pub mod pod_builder;

use std::time::Duration;

/// How `flint operator` runs.
#[derive(Debug, Clone)]
pub struct OperatorConfig {
    /// Namespaces to watch; empty watches all.
    pub namespaces: Vec<String>,
    /// Where `/healthz` and `/readyz` are served, if anywhere.
    pub health_addr: Option<std::net::SocketAddr>,
    /// Defaults of the pod builders (image, driver service account).
    pub build: pod_builder::BuildSettings,
    /// A driver or executor Pending longer than this fails its app.
    pub pending_timeout: Duration,
    /// Apply the built-in CRDs at start (the upgrade path Helm lacks).
    pub apply_crds: bool,
}

/// Why the operator stopped.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// No Kubernetes client configuration was found.
    #[error("cannot configure a Kubernetes client (in a pod: its service account; outside: KUBECONFIG): {0}")]
    Client(#[source] kube::Error),
    /// The CRDs could not be applied.
    #[error("cannot apply the SparkApplication CRD (does the operator's role allow get/patch of it?): {0}")]
    ApplyCrds(#[source] kube::Error),
    /// The health endpoint could not be served.
    #[error("cannot serve health checks on {addr}: {source}")]
    Health {
        /// The address.
        addr: std::net::SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Runs the controllers (one per watched namespace, or one for all) and the health
/// endpoint until SIGTERM/SIGINT.
pub async fn run(config: OperatorConfig) -> Result<(), OperatorError> {
    let client = kube::Client::try_default().await.map_err(OperatorError::Client)?;
    if config.apply_crds {
        crd::apply(client.clone()).await.map_err(OperatorError::ApplyCrds)?;
    }
    let settings = app_state::Settings { pending_timeout: config.pending_timeout, ..app_state::Settings::default() };
    let namespaces: Vec<Option<String>> = if config.namespaces.is_empty() {
        vec![None]
    } else {
        config.namespaces.iter().cloned().map(Some).collect()
    };
    let controllers = futures::future::join_all(namespaces.into_iter().map(|ns| {
        controller::spark_application::run(client.clone(), ns, settings.clone(), config.build.clone())
    }));
    match config.health_addr {
        Some(addr) => {
            tokio::select! {
                _ = controllers => Ok(()),
                served = health::serve(addr) => served.map_err(|source| OperatorError::Health { addr, source }),
            }
        }
        None => {
            controllers.await;
            Ok(())
        }
    }
}
