//! What every part of the kubelet shares: the API client, the configuration, the pod
//! state directory and the pod IP allocator.

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use kube::Client;
use tokio::sync::Mutex;

use crate::config::KubeletConfig;
use crate::error::{Error, Result};
use crate::events::PodEvents;
use crate::launch::Programs;
use crate::paths::{PodDir, PodMeta, pod_dirs};

/// Shared kubelet state.
pub struct Context {
    /// Client authenticated as the node.
    pub client: Client,
    /// Command-line configuration.
    pub config: KubeletConfig,
    /// `STATE/pods`.
    pub pods_dir: PathBuf,
    /// Second octet of the pod network.
    pub net: u8,
    /// Program mapping for containers.
    pub programs: Programs,
    /// The kubelet's own PATH, which containers get after the bin dir.
    pub host_path: String,
    /// When this kubelet started (the Node conditions' transition time).
    pub started_at: jiff::Timestamp,
    /// Publishes pod events.
    pub events: PodEvents,
    /// Serialises IP allocation; holds the next index to try.
    next_ip: Mutex<u32>,
}

impl Context {
    /// A context for `config`.
    pub fn new(client: Client, config: KubeletConfig) -> Result<Self> {
        let net = config.pod_net_octet().map_err(Error::Config)?;
        let pods_dir = config.state_dir.join("pods");
        std::fs::create_dir_all(&pods_dir).map_err(Error::io("create state dir", &pods_dir))?;
        let programs = Programs {
            bin_dir: config.bin_dir.clone(),
            entrypoints: config.image_entrypoints.clone(),
        };
        Ok(Self {
            started_at: jiff::Timestamp::now(),
            events: PodEvents::new(client.clone(), &config.node_name),
            client,
            net,
            pods_dir,
            programs,
            host_path: std::env::var("PATH")
                .unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into()),
            config,
            next_ip: Mutex::new(FIRST_POD_INDEX),
        })
    }

    /// The pod's recorded IP, or a fresh one from the pod network recorded in its
    /// `pod.json`. Fresh IPs are handed out round-robin so a just-freed address is not
    /// reused at once.
    pub async fn pod_ip(
        &self,
        dir: &PodDir,
        namespace: &str,
        name: &str,
        uid: &str,
    ) -> Result<Ipv4Addr> {
        if let Some(meta) = dir.meta()? {
            return Ok(meta.ip);
        }
        let mut next = self.next_ip.lock().await;
        let used: HashSet<Ipv4Addr> = pod_dirs(&self.pods_dir)
            .into_iter()
            .filter_map(|(_, d)| d.meta().ok().flatten().map(|m| m.ip))
            .collect();
        let (ip, after) =
            next_free(self.net, *next, &used).ok_or(Error::NoPodIp { net: self.net })?;
        *next = after;
        dir.write_meta(&PodMeta {
            namespace: namespace.into(),
            name: name.into(),
            uid: uid.into(),
            ip,
        })?;
        Ok(ip)
    }
}

/// 127.N.0.0 and 127.N.0.1 (the node) are never pod IPs.
const FIRST_POD_INDEX: u32 = 2;

/// The first usable address at or after index `from` (wrapping) that is not `used`,
/// with the index to continue from. Addresses ending in .0 or .255 are skipped.
pub fn next_free(net: u8, from: u32, used: &HashSet<Ipv4Addr>) -> Option<(Ipv4Addr, u32)> {
    let total = 1u32 << 16;
    (0..total).find_map(|k| {
        let i = (from + k) % total;
        let [_, _, hi, lo] = i.to_be_bytes();
        if i < FIRST_POD_INDEX || lo == 0 || lo == 255 {
            return None;
        }
        let ip = Ipv4Addr::new(127, net, hi, lo);
        (!used.contains(&ip)).then_some((ip, i + 1))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn allocates_round_robin_and_skips_used() {
        let mut used = HashSet::new();
        let (a, next) = next_free(7, FIRST_POD_INDEX, &used).unwrap();
        assert_eq!(a, Ipv4Addr::new(127, 7, 0, 2));
        used.insert(Ipv4Addr::new(127, 7, 0, 3));
        let (b, next) = next_free(7, next, &used).unwrap();
        assert_eq!(b, Ipv4Addr::new(127, 7, 0, 4));
        let (c, _) = next_free(7, 255, &used).unwrap();
        assert_eq!(c, Ipv4Addr::new(127, 7, 1, 1));
        let _ = next;
    }
}
