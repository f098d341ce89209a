//! Command-line configuration of the process kubelet.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The `flint-kubelet` command line.
#[derive(Debug, Parser)]
#[command(
    name = "flint-kubelet",
    version,
    about = "Runs the pods bound to its Node as local processes"
)]
pub struct Cli {
    /// What to run; the kubelet itself when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Kubelet options (used when no subcommand is given).
    #[command(flatten)]
    pub kubelet: KubeletConfig,
}

/// Subcommands besides the kubelet itself.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Internal: supervise one container process and record its exit status in a file,
    /// so a restarted kubelet can learn how a container it did not spawn ended.
    Shim(ShimArgs),
}

/// Arguments of the `shim` subcommand.
#[derive(Debug, Args)]
pub struct ShimArgs {
    /// File the exit status is written to (JSON, atomically) when the process ends.
    #[arg(long)]
    pub exit_file: PathBuf,
    /// The program and its arguments.
    #[arg(last = true, required = true)]
    pub argv: Vec<String>,
}

/// Everything the kubelet needs to know about its node and the API server.
#[derive(Debug, Clone, Args)]
pub struct KubeletConfig {
    /// Kubeconfig with the node's credentials (user system:node:NAME, group system:nodes);
    /// when empty, the usual KUBECONFIG / in-cluster lookup applies.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Name of the Node object this kubelet registers.
    #[arg(long, default_value = "flint-node")]
    pub node_name: String,
    /// Loopback address of the node: its InternalIP, every pod's hostIP, and where the
    /// log server listens.
    #[arg(long, default_value = "127.0.0.1")]
    pub node_ip: Ipv4Addr,
    /// Port of the HTTPS log server (status.daemonEndpoints.kubeletEndpoint.port).
    #[arg(long, default_value_t = 10250)]
    pub port: u16,
    /// Loopback network pod IPs are taken from, as A.B.0.0/16 (A must be 127).
    #[arg(long, default_value = "127.1.0.0/16")]
    pub pod_network: String,
    /// Allocatable CPU reported on the Node (a Kubernetes quantity).
    #[arg(long, default_value = "4")]
    pub cpu: String,
    /// Allocatable memory reported on the Node (a Kubernetes quantity).
    #[arg(long, default_value = "8Gi")]
    pub memory: String,
    /// Maximum number of pods the Node accepts.
    #[arg(long, default_value_t = 110)]
    pub max_pods: u32,
    /// Directory for pod state: IPs, volumes, logs, PIDs, exit codes. Keep it across
    /// restarts so running pods are re-adopted.
    #[arg(long, default_value = "/tmp/flint-kubelet")]
    pub state_dir: PathBuf,
    /// Serving certificate for the log server (must name --node-ip); required.
    #[arg(long)]
    pub tls_cert: Option<PathBuf>,
    /// Private key of --tls-cert.
    #[arg(long)]
    pub tls_key: Option<PathBuf>,
    /// CA whose client certificates the log server accepts (the API server's
    /// --kubelet-client-certificate must be signed by it).
    #[arg(long)]
    pub client_ca: Option<PathBuf>,
    /// Directory of locally built binaries that stand in for the images' binaries:
    /// `/opt/flint/bin/flint` runs `BIN_DIR/flint`, and plain command names are looked
    /// up here before PATH.
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Entrypoint for containers without `command`, as IMAGE=PATH where IMAGE is the
    /// image's last path segment without tag (e.g. `flint=/opt/flint/bin/flint`).
    /// Repeatable.
    #[arg(long = "image-entrypoint", value_parser = parse_entrypoint)]
    pub image_entrypoints: Vec<(String, String)>,
    /// Host pods see as KUBERNETES_SERVICE_HOST.
    #[arg(long, default_value = "127.0.0.1")]
    pub api_server_host: String,
    /// Port pods see as KUBERNETES_SERVICE_PORT.
    #[arg(long, default_value_t = 6443)]
    pub api_server_port: u16,
    /// Version the Node reports as its kubelet version (`up` passes the control plane's).
    #[arg(long, default_value = concat!("v", env!("CARGO_PKG_VERSION"), "-flint"))]
    pub kubelet_version: String,
    /// Seconds between Lease renewals.
    #[arg(long, default_value_t = 10)]
    pub lease_renew_seconds: u64,
}

impl KubeletConfig {
    /// The second octet of the pod network (127.N.0.0/16).
    pub fn pod_net_octet(&self) -> Result<u8, String> {
        let net = self.pod_network.trim_end_matches("/16");
        let parts: Vec<&str> = net.split('.').collect();
        match parts.as_slice() {
            ["127", n, "0", "0"] => n
                .parse::<u8>()
                .map_err(|_| format!("--pod-network {}: bad second octet", self.pod_network)),
            _ => Err(format!(
                "--pod-network {} must look like 127.N.0.0/16",
                self.pod_network
            )),
        }
    }
}

fn parse_entrypoint(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((image, path)) if !image.is_empty() && !path.is_empty() => {
            Ok((image.to_string(), path.to_string()))
        }
        _ => Err(format!("expected IMAGE=PATH, got {s}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_pod_network() {
        let cli = Cli::parse_from(["k", "--pod-network", "127.42.0.0/16"]);
        assert_eq!(cli.kubelet.pod_net_octet(), Ok(42));
    }

    #[test]
    fn parses_shim() {
        let cli = Cli::parse_from(["k", "shim", "--exit-file", "/x", "--", "sh", "-c", "echo"]);
        match cli.command {
            Some(Command::Shim(a)) => assert_eq!(a.argv, ["sh", "-c", "echo"]),
            None => panic!("no shim"),
        }
    }
}
