//! flint-kubelet: a process kubelet for tests. It registers a Node, keeps its Lease
//! fresh, and runs the pods bound to it as local processes on their own loopback IPs,
//! reporting their status to the API server and serving their logs.
//!
//! `main` only parses flags and wires the parts together.

mod config;
mod context;
mod env;
mod error;
mod events;
mod launch;
mod log_server;
mod node;
mod paths;
mod pod_manager;
mod pod_status;
mod pod_worker;
mod probes;
mod process;
mod quantity;
mod service_account;
mod shim;
mod sources;
mod volumes;

use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use kube::config::{KubeConfigOptions, Kubeconfig};
use tracing::info;

use crate::config::{Cli, Command, KubeletConfig};
use crate::context::Context;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Shim(args)) = cli.command {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        return rt.block_on(shim::run(args));
    }
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run(cli.kubelet))
}

async fn run(config: KubeletConfig) -> anyhow::Result<()> {
    let client = client(&config).await?;
    let ctx = Arc::new(Context::new(client, config.clone())?);
    let node_uid = node::register(&ctx).await?;
    info!(node = %config.node_name, ip = %config.node_ip, port = config.port, "kubelet running");
    let log_server = tokio::spawn(log_server::serve(config));
    tokio::spawn(node::heartbeat(ctx.clone(), node_uid));
    let pods = tokio::spawn(pod_manager::run(ctx));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        // Pods keep running when the kubelet stops; a restarted kubelet re-adopts them
        // and `tests/cluster/down` stops them.
        _ = tokio::signal::ctrl_c() => info!("interrupted; leaving pods running"),
        _ = term.recv() => info!("terminated; leaving pods running"),
        r = log_server => r.context("log server task")?.context("log server")?,
        r = pods => r.context("pod manager task")?,
    }
    Ok(())
}

async fn client(config: &KubeletConfig) -> anyhow::Result<kube::Client> {
    let kube_config = match &config.kubeconfig {
        None => kube::Config::infer().await?,
        Some(path) => {
            let kc = Kubeconfig::read_from(path)
                .with_context(|| format!("read kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?
        }
    };
    Ok(kube::Client::try_from(kube_config)?)
}
