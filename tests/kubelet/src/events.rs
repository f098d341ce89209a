//! Kubernetes Events about pods (Started, Killing, BackOff, Unhealthy, Failed), so
//! `kubectl describe pod` shows what the kubelet did. Publishing never blocks a pod
//! worker and a failure to publish is only logged.

use k8s_openapi::api::core::v1::Pod;
use kube::Resource;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use tracing::debug;

/// Publishes events as `kubelet` / the node name.
#[derive(Clone)]
pub struct PodEvents {
    recorder: Recorder,
}

impl PodEvents {
    /// A publisher for the kubelet of `node`.
    pub fn new(client: kube::Client, node: &str) -> Self {
        let reporter = Reporter {
            controller: "kubelet".into(),
            instance: Some(node.into()),
        };
        Self {
            recorder: Recorder::new(client, reporter),
        }
    }

    /// A Normal event on `pod`.
    pub fn normal(&self, pod: &Pod, reason: &str, note: String) {
        self.publish(pod, EventType::Normal, reason, note);
    }

    /// A Warning event on `pod`.
    pub fn warning(&self, pod: &Pod, reason: &str, note: String) {
        self.publish(pod, EventType::Warning, reason, note);
    }

    fn publish(&self, pod: &Pod, type_: EventType, reason: &str, note: String) {
        let recorder = self.recorder.clone();
        let reference = pod.object_ref(&());
        let event = Event {
            type_,
            reason: reason.into(),
            note: Some(note),
            action: reason.into(),
            secondary: None,
        };
        tokio::spawn(async move {
            if let Err(e) = recorder.publish(&event, &reference).await {
                debug!("event not published: {e}");
            }
        });
    }
}
