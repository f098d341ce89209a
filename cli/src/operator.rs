//! Wiring for `flint operator` (the SparkApplication controller) and `flint crdgen`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use flint_operator::pod_builder::BuildSettings;

/// `flint operator`: runs the SparkApplication controller until SIGTERM.
#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// A namespace to watch; repeat for several; none watches all namespaces.
    #[arg(long = "namespace")]
    namespaces: Vec<String>,
    /// The image of driver and executor pods whose app names none.
    #[arg(long, env = "FLINT_DEFAULT_IMAGE", default_value = "flint:latest")]
    default_image: String,
    /// The driver pods' service account when the app names none.
    #[arg(long, env = "FLINT_DRIVER_SERVICE_ACCOUNT", default_value = "flint-driver")]
    driver_service_account: String,
    /// Fail an app whose driver or executors stay Pending this many seconds.
    #[arg(long, default_value_t = 300)]
    pending_timeout_seconds: u64,
    /// Serve /healthz and /readyz here (e.g. 0.0.0.0:8080).
    #[arg(long)]
    health_addr: Option<std::net::SocketAddr>,
    /// Apply the CRDs this binary was built with before starting (Helm never upgrades
    /// a chart's crds/).
    #[arg(long)]
    apply_crds: bool,
}

/// Runs the operator.
pub async fn run_operator(args: OperatorArgs) -> Result<()> {
    let config = flint_operator::OperatorConfig {
        namespaces: args.namespaces,
        health_addr: args.health_addr,
        build: BuildSettings { default_image: args.default_image, driver_service_account: args.driver_service_account },
        pending_timeout: Duration::from_secs(args.pending_timeout_seconds),
        apply_crds: args.apply_crds,
    };
    Ok(flint_operator::run(config).await?)
}

/// `flint crdgen`: writes the CRD manifests.
#[derive(Debug, Args)]
pub struct CrdgenArgs {
    /// Directories to write into (default: crds/ and charts/flint/crds/ of the repository
    /// this binary was built from, or of the current directory).
    dirs: Vec<PathBuf>,
}

/// Writes the CRDs into each directory, byte-identical.
pub fn crdgen(args: CrdgenArgs) -> Result<()> {
    let dirs = if args.dirs.is_empty() {
        let root = std::env::current_dir().context("cannot read the current directory")?;
        vec![root.join("crds"), root.join("charts/flint/crds")]
    } else {
        args.dirs
    };
    for path in flint_operator::crd::write_manifests(&dirs)? {
        println!("wrote {}", path.display());
    }
    Ok(())
}
