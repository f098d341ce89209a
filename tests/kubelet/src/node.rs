//! Registering this kubelet's Node (capacity, addresses, kubelet endpoint, Ready) and
//! keeping its Lease in kube-node-lease fresh.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{
    DaemonEndpoint, Node, NodeAddress, NodeCondition, NodeDaemonEndpoints, NodeStatus,
    NodeSystemInfo,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference, Time};
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use tracing::{info, warn};

use crate::context::Context;
use crate::error::{Error, Result};

/// Seconds a Lease is valid; the node controller marks the node unreachable after it.
const LEASE_SECONDS: i32 = 40;
/// How often the Node's Ready condition heartbeat is refreshed.
const STATUS_EVERY: Duration = Duration::from_secs(60);

/// Create the Node if it does not exist, then report its status. Returns its UID.
pub async fn register(ctx: &Context) -> Result<String> {
    let nodes: Api<Node> = Api::all(ctx.client.clone());
    let name = &ctx.config.node_name;
    let node = Node {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            labels: Some(
                [
                    ("kubernetes.io/hostname", name.as_str()),
                    ("kubernetes.io/os", "linux"),
                    ("kubernetes.io/arch", std::env::consts::ARCH),
                    ("flint.dev/process-kubelet", "true"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ),
            ..Default::default()
        },
        ..Default::default()
    };
    let created = match nodes.create(&PostParams::default(), &node).await {
        Ok(n) => {
            info!(node = %name, "registered node");
            n
        }
        Err(kube::Error::Api(s)) if s.code == 409 => nodes
            .get(name)
            .await
            .map_err(Error::api(format!("get node {name}")))?,
        Err(e) => return Err(Error::api(format!("create node {name}"))(e)),
    };
    update_status(ctx).await?;
    Ok(created.metadata.uid.unwrap_or_default())
}

fn status(ctx: &Context) -> NodeStatus {
    let cfg = &ctx.config;
    let now = Time(Timestamp::now());
    let since = Time(ctx.started_at);
    let resources: std::collections::BTreeMap<String, Quantity> = [
        ("cpu", cfg.cpu.clone()),
        ("memory", cfg.memory.clone()),
        ("pods", cfg.max_pods.to_string()),
        ("ephemeral-storage", "100Gi".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Quantity(v)))
    .collect();
    let condition = |type_: &str, status: &str, reason: &str, message: &str| NodeCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_heartbeat_time: Some(now.clone()),
        last_transition_time: Some(since.clone()),
    };
    NodeStatus {
        capacity: Some(resources.clone()),
        allocatable: Some(resources),
        addresses: Some(vec![
            NodeAddress {
                type_: "InternalIP".into(),
                address: cfg.node_ip.to_string(),
            },
            NodeAddress {
                type_: "Hostname".into(),
                address: cfg.node_name.clone(),
            },
        ]),
        daemon_endpoints: Some(NodeDaemonEndpoints {
            kubelet_endpoint: Some(DaemonEndpoint {
                port: i32::from(cfg.port),
            }),
        }),
        conditions: Some(vec![
            condition(
                "Ready",
                "True",
                "KubeletReady",
                "flint process kubelet is posting ready status",
            ),
            condition(
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "no memory pressure",
            ),
            condition(
                "DiskPressure",
                "False",
                "KubeletHasNoDiskPressure",
                "no disk pressure",
            ),
            condition(
                "PIDPressure",
                "False",
                "KubeletHasSufficientPID",
                "no PID pressure",
            ),
        ]),
        node_info: Some(NodeSystemInfo {
            architecture: std::env::consts::ARCH.into(),
            operating_system: "linux".into(),
            os_image: "flint process kubelet".into(),
            kernel_version: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            container_runtime_version: "flint-process://0.1".into(),
            kubelet_version: cfg.kubelet_version.clone(),
            machine_id: cfg.node_name.clone(),
            system_uuid: cfg.node_name.clone(),
            boot_id: std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Patch the Node's status (capacity, addresses, endpoint, conditions with a fresh
/// heartbeat).
pub async fn update_status(ctx: &Context) -> Result<()> {
    let nodes: Api<Node> = Api::all(ctx.client.clone());
    let name = &ctx.config.node_name;
    let patch = serde_json::json!({ "status": status(ctx) });
    nodes
        .patch_status(name, &PatchParams::default(), &Patch::Strategic(&patch))
        .await
        .map_err(Error::api(format!("update node {name} status")))?;
    Ok(())
}

/// Renew the node's Lease every `--lease-renew-seconds` and refresh the Node status every
/// minute, forever; failures are logged and retried.
pub async fn heartbeat(ctx: Arc<Context>, node_uid: String) {
    let leases: Api<Lease> = Api::namespaced(ctx.client.clone(), "kube-node-lease");
    let name = ctx.config.node_name.clone();
    let every = Duration::from_secs(ctx.config.lease_renew_seconds.max(1));
    let mut last_status = tokio::time::Instant::now();
    loop {
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some("kube-node-lease".into()),
                owner_references: Some(vec![OwnerReference {
                    api_version: "v1".into(),
                    kind: "Node".into(),
                    name: name.clone(),
                    uid: node_uid.clone(),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(name.clone()),
                lease_duration_seconds: Some(LEASE_SECONDS),
                renew_time: Some(MicroTime(Timestamp::now())),
                ..Default::default()
            }),
        };
        let result = match leases.get_opt(&name).await {
            Ok(Some(_)) => {
                let patch = serde_json::json!({ "spec": lease.spec });
                leases
                    .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map(|_| ())
            }
            Ok(None) => leases
                .create(&PostParams::default(), &lease)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            warn!(node = %name, "lease renewal failed: {e}");
        }
        if last_status.elapsed() >= STATUS_EVERY {
            match update_status(&ctx).await {
                Ok(()) => last_status = tokio::time::Instant::now(),
                Err(e) => warn!("{e}"),
            }
        }
        tokio::time::sleep(every).await;
    }
}
