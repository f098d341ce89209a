//! Watches the pods bound to this node and keeps one [`PodWorker`] per pod UID; after
//! each (re)list it stops pods that vanished, including ones a previous kubelet run left
//! on disk.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::context::Context;
use crate::paths::pod_dirs;
use crate::pod_worker::PodWorker;

/// Watch this node's pods forever.
pub async fn run(ctx: Arc<Context>) {
    let api: Api<Pod> = Api::all(ctx.client.clone());
    let selector = format!("spec.nodeName={}", ctx.config.node_name);
    let mut stream = watcher::watcher(api, watcher::Config::default().fields(&selector))
        .default_backoff()
        .boxed();
    let mut workers: HashMap<String, watch::Sender<Option<Arc<Pod>>>> = HashMap::new();
    let mut listed: HashSet<String> = HashSet::new();
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => listed.clear(),
            Ok(Event::InitApply(pod)) => {
                if let Some(uid) = pod.metadata.uid.clone() {
                    listed.insert(uid.clone());
                    dispatch(&ctx, &mut workers, uid, Some(Arc::new(pod)));
                }
            }
            Ok(Event::Apply(pod)) => {
                if let Some(uid) = pod.metadata.uid.clone() {
                    dispatch(&ctx, &mut workers, uid, Some(Arc::new(pod)));
                }
            }
            Ok(Event::Delete(pod)) => {
                if let Some(uid) = pod.metadata.uid.clone() {
                    dispatch(&ctx, &mut workers, uid, None);
                }
            }
            Ok(Event::InitDone) => {
                let gone: Vec<String> = workers
                    .keys()
                    .filter(|u| !listed.contains(*u))
                    .cloned()
                    .collect();
                for uid in gone {
                    dispatch(&ctx, &mut workers, uid, None);
                }
                for (uid, _) in pod_dirs(&ctx.pods_dir) {
                    if !listed.contains(&uid) && !workers.contains_key(&uid) {
                        info!(uid, "stopping pod left from a previous run");
                        spawn_worker(&ctx, &mut workers, uid, None);
                    }
                }
            }
            Err(e) => warn!("pod watch: {e}"),
        }
    }
}

/// Hand the latest state of pod `uid` to its worker, starting one when needed.
fn dispatch(
    ctx: &Arc<Context>,
    workers: &mut HashMap<String, watch::Sender<Option<Arc<Pod>>>>,
    uid: String,
    pod: Option<Arc<Pod>>,
) {
    if let Some(tx) = workers.get(&uid) {
        if tx.send(pod.clone()).is_ok() {
            return;
        }
        // The worker finished after deleting the pod; these are the API's echoes of that
        // deletion. Keep the closed entry until the pod is gone so no echo restarts it.
        match &pod {
            None => {
                workers.remove(&uid);
                return;
            }
            Some(p) if p.metadata.deletion_timestamp.is_some() => return,
            Some(_) => {
                workers.remove(&uid);
            }
        }
    }
    if pod.is_some() {
        spawn_worker(ctx, workers, uid, pod);
    }
}

fn spawn_worker(
    ctx: &Arc<Context>,
    workers: &mut HashMap<String, watch::Sender<Option<Arc<Pod>>>>,
    uid: String,
    pod: Option<Arc<Pod>>,
) {
    let (tx, rx) = watch::channel(pod);
    let worker = PodWorker::new(ctx.clone(), uid.clone(), rx);
    tokio::spawn(worker.run());
    workers.insert(uid, tx);
}
