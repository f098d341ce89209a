//! The executor registry: who registered, where they listen, when they last beat, and
//! which incarnation of each executor id is the live one. Pure state; the scheduler
//! service feeds it events and the clock.
//!
//! An executor is identified by its id and an [`Incarnation`]: the name its backend
//! launched it under (its pod name on Kubernetes, its launch name on local-cluster) and
//! an epoch that grows with every start of that process. A later epoch under a known id
//! is a restart; the same or an earlier epoch of an incarnation that was declared lost is
//! a stale re-registration and is refused, as is a second name claiming a live id.

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
    /// Which launch of the executor this is.
    pub incarnation: Incarnation,
    /// Its process id (for people reading the log, not an identity: in pods it repeats).
    pub pid: u32,
    /// When it last registered or beat.
    pub last_seen: Instant,
}

/// One start of an executor: the name its backend gave it and when it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incarnation {
    /// The pod name (Kubernetes) or launch name (local-cluster).
    pub name: String,
    /// Grows with every start of the process (its start time in milliseconds).
    pub epoch: u64,
}

impl std::fmt::Display for Incarnation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (epoch {})", self.name, self.epoch)
    }
}

/// What a registration the registry admits is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// An id not registered now.
    New,
    /// A later incarnation of a registered executor: the earlier one's work is lost.
    Restarted,
    /// The registered incarnation registering again (a retried call): nothing changes.
    Again,
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
    /// An incarnation no later than one declared lost: a dead executor cannot rejoin.
    #[error(
        "executor {executor} ({incarnation}) registered after {lost} was declared lost: a lost executor cannot rejoin; start a new process"
    )]
    Stale {
        /// The executor.
        executor: String,
        /// The incarnation that registered.
        incarnation: Incarnation,
        /// The incarnation declared lost.
        lost: Incarnation,
    },
    /// Another process claims an id a live executor holds.
    #[error("executor id {executor} is held by {holder}; {claimant} cannot register under it: give each executor its own id")]
    DuplicateId {
        /// The executor.
        executor: String,
        /// The live incarnation.
        holder: Incarnation,
        /// The one refused.
        claimant: Incarnation,
    },
}

/// Registered executors, and the timeout after which a silent one is lost
/// (`spark.network.timeout`).
#[derive(Debug)]
pub struct ExecutorRegistry {
    executors: BTreeMap<ExecutorId, ExecutorInfo>,
    /// The last incarnation of each id that was removed (declared lost or gone).
    lost: BTreeMap<ExecutorId, Incarnation>,
    timeout: Duration,
    version: u32,
}

impl ExecutorRegistry {
    /// An empty registry for protocol `version`.
    pub fn new(version: u32, timeout: Duration) -> Self {
        Self { executors: BTreeMap::new(), lost: BTreeMap::new(), timeout, version }
    }

    /// Whether an executor speaking protocol `version` may register as `incarnation`, and
    /// what its registration is. Changes nothing.
    pub fn admit(&self, id: &ExecutorId, version: u32, incarnation: &Incarnation) -> Result<Admission, RegistryError> {
        if version != self.version {
            return Err(RegistryError::VersionMismatch { executor: id.0.clone(), theirs: version, ours: self.version });
        }
        if let Some(lost) = self.lost.get(id)
            && lost.name == incarnation.name
            && incarnation.epoch <= lost.epoch
        {
            return Err(RegistryError::Stale { executor: id.0.clone(), incarnation: incarnation.clone(), lost: lost.clone() });
        }
        let Some(live) = self.executors.get(id) else { return Ok(Admission::New) };
        let holder = &live.incarnation;
        if holder.name != incarnation.name {
            return Err(RegistryError::DuplicateId {
                executor: id.0.clone(),
                holder: holder.clone(),
                claimant: incarnation.clone(),
            });
        }
        match incarnation.epoch.cmp(&holder.epoch) {
            std::cmp::Ordering::Greater => Ok(Admission::Restarted),
            std::cmp::Ordering::Equal => Ok(Admission::Again),
            std::cmp::Ordering::Less => Err(RegistryError::Stale {
                executor: id.0.clone(),
                incarnation: incarnation.clone(),
                lost: holder.clone(),
            }),
        }
    }

    /// Registers an executor speaking protocol `version`, if [`ExecutorRegistry::admit`]
    /// lets it; an earlier incarnation must have been removed first.
    pub fn register(&mut self, id: ExecutorId, version: u32, info: ExecutorInfo) -> Result<Admission, RegistryError> {
        let admission = self.admit(&id, version, &info.incarnation)?;
        self.executors.insert(id, info);
        Ok(admission)
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

    /// Forgets an executor, remembering its incarnation so that it cannot rejoin;
    /// returns whether it was registered.
    pub fn remove(&mut self, id: &ExecutorId) -> bool {
        match self.executors.remove(id) {
            Some(info) => {
                self.lost.insert(id.clone(), info.incarnation);
                true
            }
            None => false,
        }
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
        launched("pod-a", 1, now)
    }

    fn launched(name: &str, epoch: u64, now: Instant) -> ExecutorInfo {
        let incarnation = Incarnation { name: name.into(), epoch };
        ExecutorInfo { address: "127.0.0.1:1".into(), cores: 1, work_dir: PathBuf::new(), incarnation, pid: 1, last_seen: now }
    }

    #[test]
    fn restarts_rejoin_and_stale_or_duplicate_incarnations_are_refused() {
        let now = Instant::now();
        let mut registry = ExecutorRegistry::new(1, Duration::from_secs(120));
        let a = ExecutorId("1".into());
        assert_eq!(registry.register(a.clone(), 1, launched("pi-exec-1", 10, now)), Ok(Admission::New));
        assert_eq!(registry.register(a.clone(), 1, launched("pi-exec-1", 10, now)), Ok(Admission::Again));
        let duplicate = registry.admit(&a, 1, &launched("pi-exec-9", 11, now).incarnation).unwrap_err();
        assert!(duplicate.to_string().contains("is held by pi-exec-1 (epoch 10)"), "{duplicate}");
        assert_eq!(registry.admit(&a, 1, &launched("pi-exec-1", 12, now).incarnation), Ok(Admission::Restarted));
        assert!(registry.remove(&a));
        let stale = registry.register(a.clone(), 1, launched("pi-exec-1", 10, now)).unwrap_err();
        assert!(matches!(stale, RegistryError::Stale { .. }), "{stale}");
        assert!(stale.to_string().contains("was declared lost"), "{stale}");
        assert!(registry.is_empty());
        assert_eq!(registry.register(a.clone(), 1, launched("pi-exec-1", 13, now)), Ok(Admission::New), "a new process");
        assert_eq!(registry.register(ExecutorId("2".into()), 1, launched("pi-exec-2", 1, now)), Ok(Admission::New));
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
