//! The executor registry: who registered, where they listen, when they last beat.
//! Pure state; the scheduler service feeds it events and the clock.

use flint_engine::ids::ExecutorId;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A registered executor.
#[derive(Debug, Clone)]
pub struct ExecutorInfo {
    /// Its `ExecutorService` address, `host:port`.
    pub address: String,
    /// Task slots.
    pub cores: usize,
    /// Its shuffle block directory.
    pub work_dir: PathBuf,
    /// Its process id.
    pub pid: u32,
    /// When it last registered or beat.
    pub last_seen: Instant,
}

/// Why a registration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The executor speaks another protocol version.
    #[error(
        "executor {executor} speaks protocol version {theirs} but this driver speaks {ours}: run the same flint build for the driver and its executors"
    )]
    VersionMismatch {
        /// The executor.
        executor: String,
        /// Its version.
        theirs: u32,
        /// The driver's.
        ours: u32,
    },
}

/// Registered executors, and the timeout after which a silent one is lost
/// (`spark.network.timeout`).
#[derive(Debug)]
pub struct ExecutorRegistry {
    executors: BTreeMap<ExecutorId, ExecutorInfo>,
    timeout: Duration,
    version: u32,
}

impl ExecutorRegistry {
    /// An empty registry for protocol `version`.
    pub fn new(version: u32, timeout: Duration) -> Self {
        Self { executors: BTreeMap::new(), timeout, version }
    }

    /// Registers an executor speaking protocol `version`.
    pub fn register(&mut self, id: ExecutorId, version: u32, info: ExecutorInfo) -> Result<(), RegistryError> {
        if version != self.version {
            return Err(RegistryError::VersionMismatch { executor: id.0, theirs: version, ours: self.version });
        }
        self.executors.insert(id, info);
        Ok(())
    }

    /// Records a heartbeat; false if the executor is not registered (it was lost).
    pub fn heartbeat(&mut self, id: &ExecutorId, now: Instant) -> bool {
        match self.executors.get_mut(id) {
            Some(info) => {
                info.last_seen = now;
                true
            }
            None => false,
        }
    }

    /// Executors silent for longer than the timeout at `now`.
    pub fn expired(&self, now: Instant) -> Vec<ExecutorId> {
        self.executors
            .iter()
            .filter(|(_, info)| now.saturating_duration_since(info.last_seen) > self.timeout)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Forgets an executor; returns whether it was registered.
    pub fn remove(&mut self, id: &ExecutorId) -> bool {
        self.executors.remove(id).is_some()
    }

    /// A registered executor.
    pub fn get(&self, id: &ExecutorId) -> Option<&ExecutorInfo> {
        self.executors.get(id)
    }

    /// How many executors are registered.
    pub fn len(&self) -> usize {
        self.executors.len()
    }

    /// Whether no executor is registered.
    pub fn is_empty(&self) -> bool {
        self.executors.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(now: Instant) -> ExecutorInfo {
        ExecutorInfo { address: "127.0.0.1:1".into(), cores: 1, work_dir: PathBuf::new(), pid: 1, last_seen: now }
    }

    #[test]
    fn a_wrong_version_is_refused_with_both_versions() {
        let mut registry = ExecutorRegistry::new(1, Duration::from_secs(120));
        let err = registry.register(ExecutorId("0".into()), 2, info(Instant::now())).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("version 2") && text.contains("speaks 1"), "{text}");
        assert!(registry.is_empty());
    }

    #[test]
    fn silent_executors_expire_after_the_timeout() {
        let start = Instant::now();
        let mut registry = ExecutorRegistry::new(1, Duration::from_secs(10));
        registry.register(ExecutorId("a".into()), 1, info(start)).unwrap();
        registry.register(ExecutorId("b".into()), 1, info(start)).unwrap();
        assert!(registry.heartbeat(&ExecutorId("b".into()), start + Duration::from_secs(8)));
        assert_eq!(registry.expired(start + Duration::from_secs(11)), vec![ExecutorId("a".into())]);
        assert!(registry.remove(&ExecutorId("a".into())));
        assert!(!registry.heartbeat(&ExecutorId("a".into()), start));
    }
}
