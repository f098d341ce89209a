//! The object stores a task reads and writes through: built from its job's Hadoop keys
//! (`TaskDefinition.hadoop_conf`), which differ between sessions and change when a session
//! sets `spark.hadoop.*` keys at run time, over the executor's one memory pool, disk
//! manager and caches.

use datafusion::error::Result;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use flint_engine::storage::{HadoopConf, ObjectStores};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// How many sets of keys an executor keeps runtimes for; past it, the runtimes kept are
/// dropped and built again as tasks need them.
const KEPT: usize = 16;

/// The runtimes of the jobs' sets of Hadoop keys, each sharing the executor's memory pool,
/// disk manager and caches.
#[derive(Debug)]
pub struct JobStorage {
    base: Arc<RuntimeEnv>,
    base_conf: HadoopConf,
    built: Mutex<HashMap<HadoopConf, Arc<RuntimeEnv>>>,
}

impl JobStorage {
    /// Runtimes derived from `base`, whose object stores are built from `base_conf`.
    pub fn new(base: Arc<RuntimeEnv>, base_conf: HadoopConf) -> Self {
        Self { base, base_conf, built: Mutex::new(HashMap::new()) }
    }

    /// The runtime for a job whose session has the Hadoop keys `keys` (`spark.hadoop.*`).
    pub fn runtime(&self, keys: &HashMap<String, String>) -> Result<Arc<RuntimeEnv>> {
        let conf = HadoopConf::from_pairs(keys.iter().map(|(key, value)| (key.clone(), value.clone())));
        if conf == self.base_conf {
            return Ok(Arc::clone(&self.base));
        }
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(runtime) = built.get(&conf) {
            return Ok(Arc::clone(runtime));
        }
        if built.len() >= KEPT {
            built.clear();
        }
        tracing::debug!(keys = ?conf, "building object stores for a job's Hadoop keys");
        let runtime = RuntimeEnvBuilder::from_runtime_env(&self.base)
            .with_object_store_registry(Arc::new(ObjectStores::new(conf.clone())))
            .build_arc()?;
        built.insert(conf, Arc::clone(&runtime));
        Ok(runtime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::execution::object_store::ObjectStoreUrl;

    fn keys(endpoint: &str) -> HashMap<String, String> {
        HashMap::from([("spark.hadoop.fs.s3a.endpoint".to_string(), endpoint.to_string())])
    }

    #[test]
    fn jobs_with_the_same_keys_share_a_runtime_and_others_get_their_own() -> Result<()> {
        let base = RuntimeEnvBuilder::new().build_arc()?;
        let storage = JobStorage::new(Arc::clone(&base), HadoopConf::from_pairs(keys("http://127.0.0.1:1")));
        assert!(Arc::ptr_eq(&storage.runtime(&keys("http://127.0.0.1:1"))?, &base));
        let other = storage.runtime(&keys("http://127.0.0.1:2"))?;
        assert!(!Arc::ptr_eq(&other, &base));
        assert!(Arc::ptr_eq(&other, &storage.runtime(&keys("http://127.0.0.1:2"))?));
        assert!(Arc::ptr_eq(&other.memory_pool, &base.memory_pool), "one memory pool for every task");
        let url = ObjectStoreUrl::parse("s3a://bucket")?;
        let bad = HashMap::from([("spark.hadoop.fs.s3a.path.style.access".to_string(), "yes".to_string())]);
        let error = storage.runtime(&bad)?.object_store(&url).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("spark.hadoop.fs.s3a.path.style.access"), "{error}");
        for port in 3..(3 + KEPT as u16 + 1) {
            storage.runtime(&keys(&format!("http://127.0.0.1:{port}")))?;
        }
        assert!(storage.built.lock().unwrap_or_else(PoisonError::into_inner).len() <= KEPT);
        Ok(())
    }
}
