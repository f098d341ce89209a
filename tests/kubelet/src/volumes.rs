//! Materialising a pod's volumes as local directories and linking its mounts under the
//! pod root.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use k8s_openapi::api::authentication::v1::{BoundObjectReference, TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{
    Container, DownwardAPIVolumeFile, KeyToPath, Pod, ServiceAccount, Volume,
};
use kube::api::PostParams;
use kube::{Api, Client};

use crate::env::{EnvContext, field_value};
use crate::error::{Error, Result};
use crate::paths::PodDir;
use crate::sources::Sources;

/// Files of one volume: relative path → (content, mode).
type Files = BTreeMap<PathBuf, (Vec<u8>, u32)>;

/// Create every volume of `pod` under `dir` (emptyDir, configMap, secret, projected,
/// downwardAPI, hostPath). Content volumes are rewritten each call; emptyDirs keep what
/// the containers wrote.
pub async fn materialise(
    client: &Client,
    pod: &Pod,
    dir: &PodDir,
    sources: &mut Sources,
    ctx: &EnvContext<'_>,
) -> Result<()> {
    for volume in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
        let path = dir.volume(&volume.name);
        if let Some(host) = &volume.host_path {
            link(&path, Path::new(&host.path))?;
            continue;
        }
        if volume.empty_dir.is_some() {
            std::fs::create_dir_all(&path).map_err(Error::io("create emptyDir", &path))?;
            continue;
        }
        let files = volume_files(client, pod, volume, sources, ctx).await?;
        write_files(&path, &files)?;
    }
    Ok(())
}

async fn volume_files(
    client: &Client,
    pod: &Pod,
    volume: &Volume,
    sources: &mut Sources,
    ctx: &EnvContext<'_>,
) -> Result<Files> {
    let mut files = Files::new();
    if let Some(cm) = &volume.config_map {
        let mode = cm.default_mode.unwrap_or(0o644);
        let data = sources.configmap(&cm.name).await?;
        add_keyed(
            &mut files,
            data,
            cm.items.as_deref(),
            mode,
            cm.optional == Some(true),
            "configmap",
            &cm.name,
        )?;
    } else if let Some(s) = &volume.secret {
        let mode = s.default_mode.unwrap_or(0o644);
        let name = s.secret_name.clone().unwrap_or_default();
        let data = sources.secret(&name).await?;
        add_keyed(
            &mut files,
            data,
            s.items.as_deref(),
            mode,
            s.optional == Some(true),
            "secret",
            &name,
        )?;
    } else if let Some(d) = &volume.downward_api {
        let mode = d.default_mode.unwrap_or(0o644);
        add_downward(&mut files, pod, d.items.as_deref(), mode, ctx)?;
    } else if let Some(p) = &volume.projected {
        let mode = p.default_mode.unwrap_or(0o644);
        for source in p.sources.iter().flatten() {
            if let Some(cm) = &source.config_map {
                let data = sources.configmap(&cm.name).await?;
                add_keyed(
                    &mut files,
                    data,
                    cm.items.as_deref(),
                    mode,
                    cm.optional == Some(true),
                    "configmap",
                    &cm.name,
                )?;
            }
            if let Some(s) = &source.secret {
                let data = sources.secret(&s.name).await?;
                add_keyed(
                    &mut files,
                    data,
                    s.items.as_deref(),
                    mode,
                    s.optional == Some(true),
                    "secret",
                    &s.name,
                )?;
            }
            if let Some(d) = &source.downward_api {
                add_downward(&mut files, pod, d.items.as_deref(), mode, ctx)?;
            }
            if let Some(t) = &source.service_account_token {
                let token =
                    service_account_token(client, pod, t.audience.clone(), t.expiration_seconds)
                        .await?;
                let m = u32::try_from(mode).unwrap_or(0o644);
                files.insert(relative(&t.path)?, (token.into_bytes(), m));
            }
        }
    } else {
        return Err(Error::UnsupportedVolume {
            volume: volume.name.clone(),
        });
    }
    Ok(files)
}

fn add_keyed(
    files: &mut Files,
    data: Option<BTreeMap<String, Vec<u8>>>,
    items: Option<&[KeyToPath]>,
    mode: i32,
    optional: bool,
    kind: &str,
    name: &str,
) -> Result<()> {
    let mode = u32::try_from(mode).unwrap_or(0o644);
    let Some(data) = data else {
        if optional {
            return Ok(());
        }
        return Err(Error::Config(format!("{kind} \"{name}\" not found")));
    };
    match items {
        None => {
            for (k, v) in data {
                files.insert(relative(&k)?, (v, mode));
            }
        }
        Some(items) => {
            for item in items {
                let Some(v) = data.get(&item.key) else {
                    if optional {
                        continue;
                    }
                    return Err(Error::Config(format!(
                        "{kind} \"{name}\" has no key {}",
                        item.key
                    )));
                };
                let m = item
                    .mode
                    .and_then(|m| u32::try_from(m).ok())
                    .unwrap_or(mode);
                files.insert(relative(&item.path)?, (v.clone(), m));
            }
        }
    }
    Ok(())
}

fn add_downward(
    files: &mut Files,
    pod: &Pod,
    items: Option<&[DownwardAPIVolumeFile]>,
    mode: i32,
    ctx: &EnvContext<'_>,
) -> Result<()> {
    for item in items.into_iter().flatten() {
        let Some(f) = &item.field_ref else { continue };
        let value = field_value(pod, &f.field_path, ctx)?;
        let m = u32::try_from(item.mode.unwrap_or(mode)).unwrap_or(0o644);
        files.insert(relative(&item.path)?, (value.into_bytes(), m));
    }
    Ok(())
}

/// A token for the pod's service account, bound to the pod (the node may only request
/// tokens bound to its own pods).
async fn service_account_token(
    client: &Client,
    pod: &Pod,
    audience: Option<String>,
    expiration: Option<i64>,
) -> Result<String> {
    let ns = pod.metadata.namespace.clone().unwrap_or_default();
    let sa = pod
        .spec
        .as_ref()
        .and_then(|s| s.service_account_name.clone())
        .unwrap_or_else(|| "default".into());
    let request = TokenRequest {
        spec: Some(TokenRequestSpec {
            audiences: Some(audience.into_iter().collect()),
            expiration_seconds: Some(expiration.unwrap_or(3607)),
            bound_object_ref: Some(BoundObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                name: pod.metadata.name.clone(),
                uid: pod.metadata.uid.clone(),
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), &ns);
    let response = api
        .create_token_request(&sa, &PostParams::default(), &request)
        .await
        .map_err(Error::api(format!(
            "request token for serviceaccount {ns}/{sa}"
        )))?;
    response.status.and_then(|s| s.token).ok_or_else(|| {
        Error::Config(format!(
            "token request for serviceaccount {ns}/{sa} returned no token"
        ))
    })
}

/// A volume-relative path with no `..` or absolute parts.
fn relative(path: &str) -> Result<PathBuf> {
    let p = Path::new(path);
    if p.components().all(|c| matches!(c, Component::Normal(_))) {
        Ok(p.to_path_buf())
    } else {
        Err(Error::Config(format!(
            "volume item path {path} must be relative without '..'"
        )))
    }
}

fn write_files(dir: &Path, files: &Files) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io("create volume", dir))?;
    for (rel, (content, mode)) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io("create volume dir", parent))?;
        }
        let tmp = path.with_extension("flint-tmp");
        std::fs::write(&tmp, content).map_err(Error::io("write volume file", &tmp))?;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(*mode))
            .map_err(Error::io("chmod volume file", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(Error::io("write volume file", &path))?;
    }
    Ok(())
}

/// Link `container`'s volume mounts into the pod root: `ROOT/<mountPath>` → the volume
/// (or its `subPath`). A path already linked (another container mounts the same) is kept.
pub fn link_mounts(container: &Container, dir: &PodDir) -> Result<()> {
    let root = dir.root();
    for mount in container.volume_mounts.iter().flatten() {
        let rel = mount.mount_path.trim_start_matches('/');
        if rel.is_empty() {
            return Err(Error::Config(format!(
                "volume {} cannot be mounted at /",
                mount.name
            )));
        }
        let mut target = dir.volume(&mount.name);
        if let Some(sub) = mount.sub_path.as_deref().filter(|s| !s.is_empty()) {
            target = target.join(relative(sub)?);
            if !target.exists() {
                std::fs::create_dir_all(&target).map_err(Error::io("create subPath", &target))?;
            }
        }
        link(&root.join(rel), &target)?;
    }
    Ok(())
}

fn link(at: &Path, target: &Path) -> Result<()> {
    if at.symlink_metadata().is_ok() {
        return Ok(());
    }
    if let Some(parent) = at.parent() {
        std::fs::create_dir_all(parent).map_err(Error::io("create mount parent", parent))?;
    }
    std::os::unix::fs::symlink(target, at).map_err(Error::io("link mount", at))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rejects_escaping_paths() {
        assert!(relative("a/b").is_ok());
        assert!(relative("../x").is_err());
        assert!(relative("/etc/passwd").is_err());
    }
}
