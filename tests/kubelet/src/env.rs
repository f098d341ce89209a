//! A container's environment: the kubelet's defaults, envFrom, and env with fieldRef,
//! resourceFieldRef, configMapKeyRef and secretKeyRef, with `$(VAR)` expansion.

use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::{Container, Pod};

use crate::error::{Error, Result};
use crate::paths::PathRewriter;
use crate::sources::Sources;

/// What the environment of a container may refer to besides the pod itself.
pub struct EnvContext<'a> {
    /// The pod's IP (status.podIP).
    pub pod_ip: Ipv4Addr,
    /// The node's IP (status.hostIP).
    pub host_ip: Ipv4Addr,
    /// Variables every container gets first (PATH, HOME, KUBERNETES_SERVICE_HOST, ...).
    pub base: Vec<(String, String)>,
    /// Rewrites mount paths in values.
    pub rewriter: &'a PathRewriter,
}

/// The full environment of `container` in `pod`, in the order Kubernetes defines
/// (base, then envFrom, then env; later entries override earlier ones).
pub async fn container_env(
    pod: &Pod,
    container: &Container,
    ctx: &EnvContext<'_>,
    sources: &mut Sources,
) -> Result<Vec<(String, String)>> {
    let mut env: Vec<(String, String)> = ctx.base.clone();
    for from in container.env_from.iter().flatten() {
        let prefix = from.prefix.clone().unwrap_or_default();
        let data = if let Some(cm) = &from.config_map_ref {
            match sources.configmap(&cm.name).await? {
                Some(d) => d,
                None if cm.optional == Some(true) => continue,
                None => {
                    return Err(Error::Config(format!(
                        "configmap \"{}\" not found",
                        cm.name
                    )));
                }
            }
        } else if let Some(s) = &from.secret_ref {
            match sources.secret(&s.name).await? {
                Some(d) => d,
                None if s.optional == Some(true) => continue,
                None => return Err(Error::Config(format!("secret \"{}\" not found", s.name))),
            }
        } else {
            continue;
        };
        for (k, v) in data {
            set(
                &mut env,
                format!("{prefix}{k}"),
                String::from_utf8_lossy(&v).into_owned(),
            );
        }
    }
    for var in container.env.iter().flatten() {
        let value = if let Some(value) = &var.value {
            Some(expand(value, &env))
        } else if let Some(from) = &var.value_from {
            if let Some(f) = &from.field_ref {
                Some(field_value(pod, &f.field_path, ctx)?)
            } else if let Some(r) = &from.resource_field_ref {
                Some(resource_value(container, &r.resource))
            } else if let Some(k) = &from.config_map_key_ref {
                sources
                    .configmap_key(&k.name, &k.key, k.optional == Some(true))
                    .await?
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
            } else if let Some(k) = &from.secret_key_ref {
                sources
                    .secret_key(&k.name, &k.key, k.optional == Some(true))
                    .await?
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
            } else {
                None
            }
        } else {
            Some(String::new())
        };
        if let Some(value) = value {
            set(&mut env, var.name.clone(), ctx.rewriter.rewrite(&value));
        }
    }
    Ok(env)
}

fn set(env: &mut Vec<(String, String)>, key: String, value: String) {
    if let Some(slot) = env.iter_mut().find(|(k, _)| *k == key) {
        slot.1 = value;
    } else {
        env.push((key, value));
    }
}

/// The value of a downward-API field path (for env and downwardAPI volumes).
pub fn field_value(pod: &Pod, path: &str, ctx: &EnvContext<'_>) -> Result<String> {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let keyed = |prefix: &str| path.strip_prefix(prefix).and_then(|r| r.strip_suffix("']"));
    Ok(match path {
        "metadata.name" => meta.name.clone().unwrap_or_default(),
        "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
        "metadata.uid" => meta.uid.clone().unwrap_or_default(),
        "metadata.labels" => format_map(meta.labels.as_ref()),
        "metadata.annotations" => format_map(meta.annotations.as_ref()),
        "spec.nodeName" => spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
        "spec.serviceAccountName" => spec
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_else(|| "default".into()),
        "status.podIP" | "status.podIPs" => ctx.pod_ip.to_string(),
        "status.hostIP" | "status.hostIPs" => ctx.host_ip.to_string(),
        _ => {
            if let Some(k) = keyed("metadata.labels['") {
                meta.labels
                    .as_ref()
                    .and_then(|l| l.get(k).cloned())
                    .unwrap_or_default()
            } else if let Some(k) = keyed("metadata.annotations['") {
                meta.annotations
                    .as_ref()
                    .and_then(|l| l.get(k).cloned())
                    .unwrap_or_default()
            } else {
                return Err(Error::Config(format!(
                    "unsupported fieldRef fieldPath {path}"
                )));
            }
        }
    })
}

fn format_map(map: Option<&std::collections::BTreeMap<String, String>>) -> String {
    map.into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}=\"{v}\"\n"))
        .collect()
}

/// A container's resource limit (or request) as an env value, in the default divisor
/// (cores rounded up for cpu, bytes for memory); "0" when unset.
fn resource_value(container: &Container, resource: &str) -> String {
    let res = container.resources.as_ref();
    let (kind, name) = resource.split_once('.').unwrap_or(("limits", resource));
    let q = match kind {
        "requests" => res
            .and_then(|r| r.requests.as_ref())
            .and_then(|m| m.get(name)),
        _ => res
            .and_then(|r| r.limits.as_ref())
            .and_then(|m| m.get(name))
            .or_else(|| {
                res.and_then(|r| r.requests.as_ref())
                    .and_then(|m| m.get(name))
            }),
    };
    let Some(q) = q else { return "0".into() };
    match crate::quantity::parse(&q.0) {
        Some(v) if name == "cpu" => format!("{}", v.ceil() as i64),
        Some(v) => format!("{}", v as i64),
        None => q.0.clone(),
    }
}

/// Kubernetes `$(VAR)` expansion: `$(NAME)` becomes NAME's value when NAME is defined
/// in `env`, stays as written otherwise; `$$` is an escaped `$`.
pub fn expand(s: &str, env: &[(String, String)]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(') {
            match inner.find(')') {
                Some(end) => {
                    let name = &inner[..end];
                    match env.iter().rev().find(|(k, _)| k == name) {
                        Some((_, v)) => out.push_str(v),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &inner[end + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = inner;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn expands_like_kubernetes() {
        let env = vec![
            ("A".to_string(), "1".to_string()),
            ("B".to_string(), "x y".to_string()),
        ];
        assert_eq!(expand("$(A)-$(B)", &env), "1-x y");
        assert_eq!(expand("$(C) $$(A) $", &env), "$(C) $(A) $");
        assert_eq!(expand("$(A", &env), "$(A");
    }
}
