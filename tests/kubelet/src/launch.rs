//! Turning a container spec into a local program: the command (or the image's
//! configured entrypoint) with `$(VAR)` expansion, mount paths rewritten, and the image's
//! binaries mapped to locally built ones.

use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Container;

use crate::env::expand;
use crate::error::{Error, Result};
use crate::paths::PathRewriter;
use crate::process::Launch;

/// Where programs come from.
#[derive(Debug, Clone, Default)]
pub struct Programs {
    /// Locally built binaries standing in for the images' binaries.
    pub bin_dir: Option<PathBuf>,
    /// Entrypoints by image name (last path segment, no tag) for containers without a
    /// command.
    pub entrypoints: Vec<(String, String)>,
}

impl Programs {
    /// The argv of `container`: its command, or its image's entrypoint, then its args.
    pub fn argv(&self, container: &Container) -> Result<Vec<String>> {
        let mut argv = match container.command.as_deref() {
            Some(cmd) if !cmd.is_empty() => cmd.to_vec(),
            _ => {
                let image = image_name(container.image.as_deref().unwrap_or_default());
                match self.entrypoints.iter().find(|(name, _)| *name == image) {
                    Some((_, entry)) => vec![entry.clone()],
                    None => {
                        return Err(Error::Config(format!(
                            "container {} has no command and image {image} has no --image-entrypoint; \
                             set spec.containers[].command or start the kubelet with --image-entrypoint {image}=PATH",
                            container.name
                        )));
                    }
                }
            }
        };
        argv.extend(container.args.iter().flatten().cloned());
        Ok(argv)
    }

    /// Build the launch of `argv` (a container's command, or an exec probe's) with
    /// `env`, the container's working directory and path rewriting under `root`.
    pub fn launch(
        &self,
        argv: &[String],
        env: &[(String, String)],
        working_dir: Option<&str>,
        rewriter: &PathRewriter,
        root: &Path,
    ) -> Result<Launch> {
        let mut argv = argv.iter().map(|a| rewriter.rewrite(&expand(a, env)));
        let command = argv
            .next()
            .ok_or_else(|| Error::Config("empty command".into()))?;
        let args: Vec<String> = argv.collect();
        let cwd = match working_dir.filter(|w| !w.is_empty()) {
            Some(w) => root.join(w.trim_start_matches('/')),
            None => root.to_path_buf(),
        };
        std::fs::create_dir_all(&cwd).map_err(Error::io("create working dir", &cwd))?;
        let path_var = env
            .iter()
            .rev()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        let program = self.resolve(&command, rewriter, &cwd, path_var);
        Ok(Launch {
            program,
            args,
            env: env.to_vec(),
            cwd,
        })
    }

    /// Map a command to a host program:
    /// - absolute: a file at that path under a mount, else `BIN_DIR/<basename>`, else
    ///   the host path itself;
    /// - relative with a slash: under the working directory;
    /// - a plain name: `BIN_DIR/<name>`, else the first match in the container's PATH.
    ///
    /// When nothing matches the command is returned unchanged, so starting it fails with
    /// exit code 127 and a message in the container log.
    fn resolve(
        &self,
        command: &str,
        rewriter: &PathRewriter,
        cwd: &Path,
        path_var: &str,
    ) -> PathBuf {
        let basename = command.rsplit('/').next().unwrap_or(command);
        let in_bin = self
            .bin_dir
            .as_ref()
            .map(|d| d.join(basename))
            .filter(|p| is_file(p));
        if command.starts_with('/') {
            let mounted = PathBuf::from(rewriter.host_path(command));
            if mounted.as_path() != Path::new(command) && is_file(&mounted) {
                return mounted;
            }
            return in_bin.unwrap_or_else(|| PathBuf::from(command));
        }
        if command.contains('/') {
            return cwd.join(command);
        }
        if let Some(p) = in_bin {
            return p;
        }
        path_var
            .split(':')
            .filter(|d| !d.is_empty())
            .map(|d| Path::new(d).join(command))
            .find(|p| is_file(p))
            .unwrap_or_else(|| PathBuf::from(command))
    }
}

fn is_file(p: &Path) -> bool {
    p.metadata().is_ok_and(|m| m.is_file())
}

/// The image's name without registry path, tag or digest: `ghcr.io/x/flint:0.1` → `flint`.
pub fn image_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_images() {
        assert_eq!(image_name("ghcr.io/x/flint:0.1"), "flint");
        assert_eq!(image_name("busybox"), "busybox");
        assert_eq!(image_name("localhost:5000/a/b@sha256:00"), "b");
    }

    #[test]
    fn maps_image_binaries_to_bin_dir() {
        let bin = tempfile::tempdir().unwrap();
        std::fs::write(bin.path().join("flint"), "").unwrap();
        let programs = Programs {
            bin_dir: Some(bin.path().to_path_buf()),
            entrypoints: vec![],
        };
        let root = tempfile::tempdir().unwrap();
        let rw = PathRewriter::new(root.path(), ["/etc/app".to_string()]);
        let env = vec![
            ("PATH".to_string(), "/usr/bin:/bin".to_string()),
            ("X".to_string(), "1".to_string()),
        ];
        let argv = [
            "/opt/flint/bin/flint".to_string(),
            "--conf=/etc/app/$(X)".to_string(),
        ];
        let l = programs
            .launch(&argv, &env, None, &rw, root.path())
            .unwrap();
        assert_eq!(l.program, bin.path().join("flint"));
        assert_eq!(
            l.args,
            [format!("--conf={}/etc/app/1", root.path().display())]
        );
        let l = programs
            .launch(&["sh".to_string()], &env, Some("/work"), &rw, root.path())
            .unwrap();
        assert!(l.program.ends_with("sh") && l.program.is_absolute());
        assert_eq!(l.cwd, root.path().join("work"));
    }
}
