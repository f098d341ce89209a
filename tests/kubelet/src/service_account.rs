//! In-cluster API access for pod processes.
//!
//! Client libraries read the service account token from the fixed path
//! `/var/run/secrets/kubernetes.io/serviceaccount`, which a process pod cannot have. So
//! for containers that mount the service account volume there, the kubelet writes a
//! kubeconfig into the pod root (`.kube/config`, also named by `KUBECONFIG`) that points
//! at the API server with the rewritten token and CA paths and the pod's namespace.
//! kube-rs (`Config::infer`) and client-go's default loading rules pick it up.

use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Container;

use crate::error::{Error, Result};

/// Where Kubernetes mounts the service account token, CA and namespace.
pub const SA_MOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Whether `container` mounts the service account volume.
pub fn mounts_token(container: &Container) -> bool {
    container
        .volume_mounts
        .iter()
        .flatten()
        .any(|m| m.mount_path.trim_end_matches('/') == SA_MOUNT)
}

/// Write the pod's in-cluster kubeconfig under `root` and return its path.
pub fn write_kubeconfig(root: &Path, namespace: &str, host: &str, port: u16) -> Result<PathBuf> {
    let sa = root.join(SA_MOUNT.trim_start_matches('/'));
    let dir = root.join(".kube");
    std::fs::create_dir_all(&dir).map_err(Error::io("create", &dir))?;
    let path = dir.join("config");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: in-cluster\n  cluster:\n    server: https://{host}:{port}\n    \
         certificate-authority: {ca}\nusers:\n- name: service-account\n  user:\n    tokenFile: {token}\n\
         contexts:\n- name: in-cluster\n  context:\n    cluster: in-cluster\n    user: service-account\n    \
         namespace: {namespace}\ncurrent-context: in-cluster\n",
        ca = sa.join("ca.crt").display(),
        token = sa.join("token").display(),
    );
    std::fs::write(&path, text).map_err(Error::io("write kubeconfig", &path))?;
    Ok(path)
}
