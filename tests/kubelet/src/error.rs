//! Errors of the process kubelet, by what failed and on which object.

use std::path::PathBuf;

/// Everything that can go wrong while running pods.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A call to the API server failed.
    #[error("{action} failed: {source}")]
    Api {
        /// What was being done, e.g. "get configmap default/app".
        action: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// A local file operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done, e.g. "write volume file".
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The pod asks for something its ConfigMaps, Secrets or spec cannot provide (the
    /// kubelet's CreateContainerConfigError); the message says what to fix.
    #[error("{0}")]
    Config(String),
    /// A volume type this kubelet does not implement.
    #[error(
        "volume {volume}: unsupported volume type (supported: emptyDir, configMap, secret, projected, downwardAPI, hostPath)"
    )]
    UnsupportedVolume {
        /// The volume's name in the pod spec.
        volume: String,
    },
    /// No free loopback address is left in the pod network.
    #[error("no free pod IP left in 127.{net}.0.0/16")]
    NoPodIp {
        /// The second octet of the pod network.
        net: u8,
    },
    /// A state file could not be encoded or decoded.
    #[error("state file {path}: {source}")]
    State {
        /// The state file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Io`] for `action` on `path`.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// An [`Error::Api`] for `action`.
    pub fn api(action: impl Into<String>) -> impl FnOnce(kube::Error) -> Error {
        let action = action.into();
        move |source| Error::Api { action, source }
    }
}
