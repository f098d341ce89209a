//! Where a pod lives on disk, and how container paths are rewritten under its root.
//!
//! Every pod gets `STATE/pods/UID/` with `root/` (the pod's filesystem view),
//! `volumes/NAME/` (materialised volumes), `containers/NAME/` (run files and logs) and
//! `pod.json`. A volume mounted at `/etc/app` appears as the symlink `root/etc/app` →
//! `volumes/NAME[/subPath]`. Processes see `FLINT_POD_ROOT=.../root`, and every mount
//! path that occurs in their command, args, env values or workingDir is rewritten to
//! `FLINT_POD_ROOT/<mount path>` (see [`PathRewriter`]).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::process::{ContainerDir, read_json, write_json};

/// What `pod.json` records about a pod, for restarts and the log server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMeta {
    /// Namespace of the pod.
    pub namespace: String,
    /// Name of the pod.
    pub name: String,
    /// UID of the pod.
    pub uid: String,
    /// The pod's loopback IP.
    pub ip: Ipv4Addr,
}

/// The on-disk directory of one pod.
#[derive(Debug, Clone)]
pub struct PodDir {
    dir: PathBuf,
}

impl PodDir {
    /// The directory of the pod with `uid` under the kubelet's `pods_dir`.
    pub fn new(pods_dir: &Path, uid: &str) -> Self {
        Self {
            dir: pods_dir.join(uid),
        }
    }

    /// The pod directory itself.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The pod's root, which mount paths are rewritten under.
    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }

    /// Where volume `name` is materialised.
    pub fn volume(&self, name: &str) -> PathBuf {
        self.dir.join("volumes").join(name)
    }

    /// Run files and logs of container `name`.
    pub fn container(&self, name: &str) -> ContainerDir {
        ContainerDir::new(self.dir.join("containers").join(name))
    }

    /// The pod's recorded metadata, if it has been set up.
    pub fn meta(&self) -> Result<Option<PodMeta>> {
        read_json(&self.dir.join("pod.json"))
    }

    /// Record the pod's metadata.
    pub fn write_meta(&self, meta: &PodMeta) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(Error::io("create pod dir", &self.dir))?;
        write_json(&self.dir.join("pod.json"), meta)
    }

    /// Remove the pod's directory and everything in it.
    pub fn remove(&self) -> Result<()> {
        match std::fs::remove_dir_all(&self.dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(Error::io("remove pod dir", &self.dir)(e))
            }
            _ => Ok(()),
        }
    }
}

/// Every pod directory under `pods_dir` (by UID).
pub fn pod_dirs(pods_dir: &Path) -> Vec<(String, PodDir)> {
    std::fs::read_dir(pods_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let uid = e.file_name().to_string_lossy().into_owned();
            let dir = PodDir::new(pods_dir, &uid);
            (uid, dir)
        })
        .collect()
}

/// Rewrites a container's mount paths to their place under the pod root.
///
/// A mount path is replaced where it stands as a path of its own: at the start of the
/// string or after one of ` =:,'"(`, and followed by the end, `/`, or one of ` :,'")`.
/// So with `/etc/app` mounted, `--config=/etc/app/a.yaml` becomes
/// `--config=ROOT/etc/app/a.yaml`, while `/etc/application` is left alone.
#[derive(Debug, Clone, Default)]
pub struct PathRewriter {
    root: String,
    mounts: Vec<String>,
}

impl PathRewriter {
    /// A rewriter for `mounts` (absolute paths) under `root`.
    pub fn new(root: &Path, mounts: impl IntoIterator<Item = String>) -> Self {
        let mut mounts: Vec<String> = mounts
            .into_iter()
            .map(|m| {
                let t = m.trim_end_matches('/');
                if t.is_empty() {
                    "/".to_string()
                } else {
                    t.to_string()
                }
            })
            .filter(|m| m.starts_with('/') && m != "/")
            .collect();
        // Longest first, so nested mounts win over their parents.
        mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
        mounts.dedup();
        Self {
            root: root.to_string_lossy().trim_end_matches('/').to_string(),
            mounts,
        }
    }

    /// Map an absolute container path to the host: under the root when it is (inside)
    /// a mount, unchanged otherwise.
    pub fn host_path(&self, path: &str) -> String {
        if self
            .mounts
            .iter()
            .any(|m| path == m || path.starts_with(&format!("{m}/")))
        {
            format!("{}{}", self.root, path)
        } else {
            path.to_string()
        }
    }

    /// Rewrite every mount path occurring in `s`.
    pub fn rewrite(&self, s: &str) -> String {
        if self.mounts.is_empty() {
            return s.to_string();
        }
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        let bytes = s.as_bytes();
        'outer: while i < s.len() {
            let before_ok = i == 0 || b" =:,'\"(".contains(&bytes[i - 1]);
            if before_ok && bytes[i] == b'/' {
                for m in &self.mounts {
                    if s[i..].starts_with(m.as_str()) {
                        let end = i + m.len();
                        let after_ok = end == s.len() || b"/ :,'\")".contains(&bytes[end]);
                        if after_ok {
                            out.push_str(&self.root);
                            out.push_str(m);
                            i = end;
                            continue 'outer;
                        }
                    }
                }
            }
            // Advance by one whole character.
            let ch_len = s[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&s[i..i + ch_len]);
            i += ch_len;
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn rw() -> PathRewriter {
        PathRewriter::new(
            Path::new("/s/root"),
            [
                "/etc/app".to_string(),
                "/etc/app/nested/".to_string(),
                "/data".to_string(),
            ],
        )
    }

    #[test]
    fn rewrites_paths_in_place() {
        let r = rw();
        assert_eq!(r.rewrite("/etc/app"), "/s/root/etc/app");
        assert_eq!(
            r.rewrite("--config=/etc/app/a.yaml"),
            "--config=/s/root/etc/app/a.yaml"
        );
        assert_eq!(
            r.rewrite("cat /data/x; ls '/data'"),
            "cat /s/root/data/x; ls '/s/root/data'"
        );
        assert_eq!(r.rewrite("a:/data:b"), "a:/s/root/data:b");
    }

    #[test]
    fn leaves_other_paths_alone() {
        let r = rw();
        assert_eq!(r.rewrite("/etc/application"), "/etc/application");
        assert_eq!(r.rewrite("x/data"), "x/data");
        assert_eq!(r.rewrite("/bin/sh -c 'echo ü'"), "/bin/sh -c 'echo ü'");
    }

    #[test]
    fn maps_host_paths() {
        let r = rw();
        assert_eq!(r.host_path("/etc/app/nested/f"), "/s/root/etc/app/nested/f");
        assert_eq!(r.host_path("/usr/bin/sh"), "/usr/bin/sh");
    }
}
