//! Object stores for the URLs Spark users give: `s3a://` and `s3://` (Hadoop's S3A keys),
//! `gs://` (the GCS connector's keys) and `abfss://`/`wasbs://` (the ABFS driver's keys).
//!
//! Each store is built on first use of its bucket from the application's `spark.hadoop.*`
//! keys ([`HadoopConf`]) and the cloud environment variables, and cached; the driver's
//! sessions and each executor's session build their own from the same keys (executors get
//! them from the driver when they register). No value of a secret key reaches a log, a
//! plan or an error: errors name the key to fix, never its value.

mod access_errors;
mod app_file;
mod azure;
mod gcs;
mod hadoop_conf;
mod s3a;

pub use app_file::fetch_application_file;
pub use hadoop_conf::{HadoopConf, SPARK_HADOOP_PREFIX, Setting, is_secret_key};
pub use s3a::S3aBucket;

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::execution::object_store::ObjectStoreRegistry;
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use parking_lot::RwLock;
use url::Url;

use access_errors::{AccessContext, ExplainedStore};

/// The URL schemes backed by an object store rather than the local file system.
pub const OBJECT_STORE_SCHEMES: [&str; 7] = ["s3a", "s3", "gs", "abfss", "abfs", "wasbs", "wasb"];

/// Whether `path` names a location in an object store (`s3a://bucket/...` and the other
/// [`OBJECT_STORE_SCHEMES`]) rather than a local path.
pub fn is_object_store_path(path: &str) -> bool {
    path.split_once("://").is_some_and(|(scheme, _)| OBJECT_STORE_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()))
}

/// The store holding `url` (`s3a://bucket/prefix`, or another of the
/// [`OBJECT_STORE_SCHEMES`]), built from `conf`'s `spark.hadoop.*` keys and the cloud
/// environment variables, and the location of `url` in it: what a driver opens for a file
/// of its own there (an application file, an event log).
pub fn open_url(conf: &crate::config::SparkConf, url: &str) -> Result<(Arc<dyn ObjectStore>, object_store::path::Path), StorageError> {
    let unsupported = |reason: String| StorageError::UnsupportedUrl { url: url.to_string(), reason };
    let parsed = Url::parse(url).map_err(|e| unsupported(e.to_string()))?;
    if parsed.host_str().unwrap_or_default().is_empty() {
        return Err(unsupported("an object store URL is scheme://bucket/key, such as s3a://bucket/logs".to_string()));
    }
    let location = object_store::path::Path::from_url_path(parsed.path()).map_err(|e| unsupported(e.to_string()))?;
    let hadoop = HadoopConf::from_spark(conf);
    let store = ObjectStores::new(hadoop.clone()).build(&hadoop, &parsed)?;
    Ok((store, location))
}

/// Environment variables the object stores read (credentials, regions, web identity).
const ENV_PREFIXES: [&str; 3] = ["AWS_", "GOOGLE_", "AZURE_"];

/// Why an object store could not be set up or refused a request.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A Hadoop key has a value Flint cannot use (the value is not shown: it may be a secret).
    #[error("invalid setting {key}: {reason}")]
    InvalidSetting {
        /// The key as the user spells it (`spark.hadoop.fs.s3a.endpoint`).
        key: String,
        /// What was expected.
        reason: String,
    },
    /// A URL names no store Flint can open.
    #[error("cannot open {url}: {reason}")]
    UnsupportedUrl {
        /// The URL.
        url: String,
        /// Why, and what would work.
        reason: String,
    },
    /// object_store refused the settings of a bucket.
    #[error("cannot set up the object store for {url}: {source}")]
    Build {
        /// The bucket's URL.
        url: String,
        /// object_store's reason.
        source: object_store::Error,
    },
    /// The server does not know the access key.
    #[error("bucket '{bucket}' at {endpoint} refused the request: the access key given by {key} is not known to the server (InvalidAccessKeyId); set {key} to an access key of that server")]
    UnknownAccessKey {
        /// The bucket.
        bucket: String,
        /// The endpoint.
        endpoint: String,
        /// The key that gave the access key.
        key: String,
    },
    /// The secret key does not match the access key.
    #[error("bucket '{bucket}' at {endpoint} refused the request: the secret key given by {key} does not match the access key (SignatureDoesNotMatch); set {key} to the secret of that access key")]
    WrongSecretKey {
        /// The bucket.
        bucket: String,
        /// The endpoint.
        endpoint: String,
        /// The key that gave the secret key.
        key: String,
    },
    /// The credentials are valid but not allowed to do this.
    #[error("bucket '{bucket}' at {endpoint} denied access ({code}) to the credentials given by {key}; grant them access to the bucket or use other credentials")]
    AccessDenied {
        /// The bucket.
        bucket: String,
        /// The endpoint.
        endpoint: String,
        /// The key that gave the access key.
        key: String,
        /// The server's error code.
        code: String,
    },
    /// An application file named by a URL is not there.
    #[error("application file {url} does not exist: bucket '{bucket}' has no object '{key}'; upload it there, or correct the application's path (mainApplicationFile, or the file given to flint submit)")]
    MissingApplicationFile {
        /// The URL.
        url: String,
        /// The bucket.
        bucket: String,
        /// The object key.
        key: String,
    },
    /// An application file named by a URL could not be read (the source says why and, for
    /// a refused request, which key to fix).
    #[error("cannot read application file {url}: {source}")]
    ReadApplicationFile {
        /// The URL.
        url: String,
        /// What the store said, explained.
        source: object_store::Error,
    },
    /// The bucket does not exist.
    #[error("bucket '{bucket}' does not exist at {endpoint} (NoSuchBucket); create it, or check the bucket name and the endpoint")]
    NoSuchBucket {
        /// The bucket.
        bucket: String,
        /// The endpoint.
        endpoint: String,
    },
}

impl From<StorageError> for DataFusionError {
    fn from(error: StorageError) -> Self {
        DataFusionError::External(Box::new(error))
    }
}

/// DataFusion's object store registry for a Flint session: the local file system, and a
/// store per bucket built on first use from the Hadoop keys and the environment. The keys
/// may change while the session lives ([`ObjectStores::set_conf`]: `SET
/// spark.hadoop.fs.s3a.… = …`); stores built from the old keys are then dropped, so later
/// reads and writes use the new ones.
pub struct ObjectStores {
    env: Vec<(String, String)>,
    /// Stores given by [`ObjectStoreRegistry::register_store`] (and the local file system):
    /// kept whatever the keys.
    registered: RwLock<HashMap<String, Arc<dyn ObjectStore>>>,
    /// The keys, and the stores built from them.
    built: RwLock<BuiltStores>,
}

/// The Hadoop keys of a registry and the stores built from them.
#[derive(Default)]
struct BuiltStores {
    conf: HadoopConf,
    stores: HashMap<String, Arc<dyn ObjectStore>>,
}

impl std::fmt::Debug for ObjectStores {
    /// The keys and buckets, never a value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let built = self.built.read();
        f.debug_struct("ObjectStores")
            .field("conf", &built.conf)
            .field("stores", &built.stores.keys().chain(self.registered.read().keys()).collect::<Vec<_>>())
            .finish()
    }
}

impl ObjectStores {
    /// Stores configured by `conf`, with the process's cloud environment variables.
    pub fn new(conf: HadoopConf) -> Self {
        let env = std::env::vars().filter(|(key, _)| ENV_PREFIXES.iter().any(|p| key.starts_with(p))).collect();
        Self::with_env(conf, env)
    }

    /// Stores configured by `conf` and `env` (cloud environment variables).
    pub fn with_env(conf: HadoopConf, env: Vec<(String, String)>) -> Self {
        let local: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new());
        Self {
            env,
            registered: RwLock::new(HashMap::from([("file://".to_string(), local)])),
            built: RwLock::new(BuiltStores { conf, stores: HashMap::new() }),
        }
    }

    /// The Hadoop keys the stores are built from.
    pub fn conf(&self) -> HadoopConf {
        self.built.read().conf.clone()
    }

    /// Builds later stores from `conf`; when it differs from the keys in use, the stores
    /// built from those are dropped (registered ones stay).
    pub fn set_conf(&self, conf: HadoopConf) {
        let mut built = self.built.write();
        if built.conf != conf {
            tracing::debug!(keys = ?conf, "the session's Hadoop keys changed; its object stores are built again");
            *built = BuiltStores { conf, stores: HashMap::new() };
        }
    }

    /// Builds the store for the bucket (or container) of `url`.
    fn build(&self, conf: &HadoopConf, url: &Url) -> Result<Arc<dyn ObjectStore>, StorageError> {
        let bucket = url.host_str().unwrap_or_default().to_string();
        let built = |source| StorageError::Build { url: url.to_string(), source };
        match url.scheme() {
            "s3a" | "s3" => {
                let settings = S3aBucket::from_conf(conf, &bucket, &self.env)?;
                let store = settings.builder(&self.env)?.build().map_err(built)?;
                let context = AccessContext {
                    bucket,
                    endpoint: settings.endpoint_for_display(),
                    access_key: settings.access_key_source(),
                    secret_key: settings.secret_key_source(),
                };
                tracing::debug!(bucket = %context.bucket, endpoint = %context.endpoint, "opened an S3 bucket");
                Ok(Arc::new(ExplainedStore::new(Arc::new(store), context)))
            }
            "gs" => Ok(Arc::new(gcs::builder(conf, &bucket, &self.env)?.build().map_err(built)?)),
            "abfss" | "abfs" | "wasbs" | "wasb" => Ok(Arc::new(azure::builder(conf, url, &self.env)?.build().map_err(built)?)),
            scheme => Err(StorageError::UnsupportedUrl {
                url: url.to_string(),
                reason: format!(
                    "no object store for scheme '{scheme}'; Flint reads and writes local paths and {}",
                    OBJECT_STORE_SCHEMES.map(|s| format!("{s}://")).join(", ")
                ),
            }),
        }
    }
}

/// The registry key of `url`: its scheme and authority (bucket, or container@account).
fn store_key(url: &Url) -> String {
    url[..url::Position::BeforePath].to_string()
}

impl ObjectStoreRegistry for ObjectStores {
    fn register_store(&self, url: &Url, store: Arc<dyn ObjectStore>) -> Option<Arc<dyn ObjectStore>> {
        self.registered.write().insert(store_key(url), store)
    }

    fn deregister_store(&self, url: &Url) -> DFResult<Arc<dyn ObjectStore>> {
        let key = store_key(url);
        let registered = self.registered.write().remove(&key);
        registered
            .or_else(|| self.built.write().stores.remove(&key))
            .ok_or_else(|| DataFusionError::Execution(format!("no object store is registered for {key}")))
    }

    fn get_store(&self, url: &Url) -> DFResult<Arc<dyn ObjectStore>> {
        let key = store_key(url);
        if let Some(store) = self.registered.read().get(&key) {
            return Ok(Arc::clone(store));
        }
        let conf = {
            let built = self.built.read();
            if let Some(store) = built.stores.get(&key) {
                return Ok(Arc::clone(store));
            }
            built.conf.clone()
        };
        let store = self.build(&conf, url)?;
        let mut built = self.built.write();
        // Kept only while the keys it was built from are still the ones in use.
        if built.conf != conf {
            return Ok(store);
        }
        Ok(Arc::clone(built.stores.entry(key).or_insert(store)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stores(pairs: &[(&str, &str)]) -> ObjectStores {
        let conf = HadoopConf::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        ObjectStores::with_env(conf, Vec::new())
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn buckets_get_a_store_each_built_once() -> DFResult<()> {
        let stores = stores(&[("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:1"), ("spark.hadoop.fs.s3a.path.style.access", "true")]);
        let a = stores.get_store(&url("s3a://alpha/"))?;
        let again = stores.get_store(&url("s3a://alpha/"))?;
        let b = stores.get_store(&url("s3a://beta/"))?;
        assert!(Arc::ptr_eq(&a, &again));
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(stores.get_store(&url("s3://alpha/")).is_ok());
        assert!(stores.get_store(&url("file:///")).is_ok());
        Ok(())
    }

    #[test]
    fn new_keys_drop_the_stores_built_from_the_old_ones() -> DFResult<()> {
        let registry = stores(&[("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:1")]);
        let local = registry.get_store(&url("file:///"))?;
        let before = registry.get_store(&url("s3a://alpha/"))?;
        registry.set_conf(registry.conf());
        assert!(Arc::ptr_eq(&before, &registry.get_store(&url("s3a://alpha/"))?), "the same keys keep the store");
        let changed = HadoopConf::from_pairs([("spark.hadoop.fs.s3a.endpoint".to_string(), "http://127.0.0.1:2".to_string())]);
        registry.set_conf(changed.clone());
        let after = registry.get_store(&url("s3a://alpha/"))?;
        assert!(!Arc::ptr_eq(&before, &after));
        assert_eq!(registry.conf(), changed);
        assert!(Arc::ptr_eq(&local, &registry.get_store(&url("file:///"))?), "registered stores stay");
        let error = stores(&[("spark.hadoop.fs.s3a.path.style.access", "yes")]).get_store(&url("s3a://alpha/"));
        assert!(error.is_err());
        Ok(())
    }

    #[test]
    fn an_unknown_scheme_names_the_schemes_that_work() {
        let error = stores(&[]).get_store(&url("hdfs://nn:8020/")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("no object store for scheme 'hdfs'") && error.contains("s3a://"), "{error}");
    }

    #[test]
    fn no_secret_reaches_debug_output() {
        let stores = stores(&[
            ("spark.hadoop.fs.s3a.access.key", "AKIA-VISIBLE-NOWHERE"),
            ("spark.hadoop.fs.s3a.secret.key", "SECRET-VISIBLE-NOWHERE"),
            ("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:1"),
        ]);
        let _ = stores.get_store(&url("s3a://bucket/"));
        let printed = format!("{stores:?} {:?}", stores.get_store(&url("s3a://bucket/")));
        assert!(!printed.contains("VISIBLE-NOWHERE"), "{printed}");
        assert!(printed.contains("s3a://bucket"), "{printed}");
    }

    #[test]
    fn object_store_paths_are_told_from_local_ones() {
        assert!(is_object_store_path("s3a://b/k"));
        assert!(is_object_store_path("S3://b/k"));
        assert!(!is_object_store_path("/tmp/x"));
        assert!(!is_object_store_path("file:///tmp/x"));
    }
}
