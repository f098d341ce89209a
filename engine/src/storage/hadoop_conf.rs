//! The Hadoop configuration a Spark application carries as `spark.hadoop.*` keys, which
//! the object stores read (`fs.s3a.*`, `fs.gs.*`, `fs.azure.*`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::config::SparkConf;

/// The prefix Spark strips from a key to put it in the Hadoop configuration.
pub const SPARK_HADOOP_PREFIX: &str = "spark.hadoop.";

/// Spark's `spark.redaction.regex` default: keys whose values are secrets.
static SECRET_KEY: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(r"(?i)secret|password|token|access[.]?key|account[.]key|sas").ok());

/// Whether the value of configuration key `key` is a secret, which no log, plan or
/// error message may show (Spark's `spark.redaction.regex`).
pub fn is_secret_key(key: &str) -> bool {
    SECRET_KEY.as_ref().is_none_or(|regex| regex.is_match(key))
}

/// A setting read from the Hadoop configuration or the environment, with the name it
/// was found under, so that an error can say which key to fix.
#[derive(Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value.
    pub value: String,
    /// Where it came from, as the user spells it: `spark.hadoop.fs.s3a.access.key`, or an
    /// environment variable such as `AWS_ACCESS_KEY_ID`.
    pub source: String,
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if is_secret_key(&self.source) || self.source.starts_with("AWS_") {
            write!(f, "{}=<redacted>", self.source)
        } else {
            write!(f, "{}={}", self.source, self.value)
        }
    }
}

/// The `spark.hadoop.*` keys of a Spark configuration, without the prefix.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct HadoopConf {
    values: BTreeMap<String, String>,
}

impl std::fmt::Debug for HadoopConf {
    /// Key names only: values may be credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl HadoopConf {
    /// The Hadoop keys of `conf`: each `spark.hadoop.X` as `X`.
    pub fn from_spark(conf: &SparkConf) -> Self {
        Self::from_pairs(conf.iter().map(|(key, value)| (key.to_string(), value.to_string())))
    }

    /// The Hadoop keys among `pairs` of Spark keys and values.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let values = pairs
            .into_iter()
            .filter_map(|(key, value)| key.strip_prefix(SPARK_HADOOP_PREFIX).map(|k| (k.to_string(), value)))
            .collect();
        Self { values }
    }

    /// The keys as Spark spells them (`spark.hadoop.X`), with their values: what a driver
    /// sends its executors with each task, over the authenticated channel only.
    pub fn spark_pairs(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.values.iter().map(|(key, value)| (format!("{SPARK_HADOOP_PREFIX}{key}"), value.clone()))
    }

    /// The value of Hadoop key `key` (without `spark.hadoop.`), with its source.
    pub fn get(&self, key: &str) -> Option<Setting> {
        self.values
            .get(key)
            .map(|value| Setting { value: value.trim().to_string(), source: format!("{SPARK_HADOOP_PREFIX}{key}") })
    }

    /// The first of `keys` that is set.
    pub fn first(&self, keys: &[String]) -> Option<Setting> {
        keys.iter().find_map(|key| self.get(key))
    }

    /// A boolean Hadoop key, `default` when unset; a value other than true/false is an
    /// error naming the key.
    pub fn bool(&self, setting: Option<Setting>, default: bool) -> Result<bool, super::StorageError> {
        match setting {
            None => Ok(default),
            Some(s) if s.value.eq_ignore_ascii_case("true") => Ok(true),
            Some(s) if s.value.eq_ignore_ascii_case("false") => Ok(false),
            Some(s) => Err(super::StorageError::InvalidSetting { key: s.source, reason: "expected true or false".to_string() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> HadoopConf {
        HadoopConf::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn only_spark_hadoop_keys_are_kept_without_their_prefix() {
        let conf = conf(&[("spark.hadoop.fs.s3a.endpoint", " http://h:1 "), ("spark.master", "local")]);
        let endpoint = conf.get("fs.s3a.endpoint");
        assert_eq!(endpoint.as_ref().map(|s| s.value.as_str()), Some("http://h:1"));
        assert_eq!(endpoint.map(|s| s.source), Some("spark.hadoop.fs.s3a.endpoint".to_string()));
        assert!(conf.get("spark.master").is_none());
    }

    #[test]
    fn spark_pairs_give_back_the_keys_as_spark_spells_them() {
        let conf = conf(&[("spark.hadoop.fs.s3a.endpoint", "http://h:1"), ("spark.master", "local")]);
        let pairs: Vec<(String, String)> = conf.spark_pairs().collect();
        assert_eq!(pairs, [("spark.hadoop.fs.s3a.endpoint".to_string(), "http://h:1".to_string())]);
        assert_eq!(HadoopConf::from_pairs(pairs), conf);
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let conf = conf(&[
            ("spark.hadoop.fs.s3a.secret.key", "SECRET-VALUE"),
            ("spark.hadoop.fs.s3a.access.key", "ACCESS-VALUE"),
            ("spark.hadoop.fs.s3a.session.token", "TOKEN-VALUE"),
        ]);
        let printed = format!("{conf:?} {:?} {:?}", conf.get("fs.s3a.secret.key"), conf.get("fs.s3a.session.token"));
        for secret in ["SECRET-VALUE", "ACCESS-VALUE", "TOKEN-VALUE"] {
            assert!(!printed.contains(secret), "{printed}");
        }
        assert!(printed.contains("fs.s3a.secret.key"), "{printed}");
        let endpoint = Setting { value: "http://h:1".to_string(), source: "spark.hadoop.fs.s3a.endpoint".to_string() };
        assert_eq!(format!("{endpoint:?}"), "spark.hadoop.fs.s3a.endpoint=http://h:1");
    }

    #[test]
    fn secret_keys_follow_spark_redaction() {
        for key in ["fs.s3a.secret.key", "fs.s3a.access.key", "fs.s3a.session.token", "fs.azure.account.key.a.dfs.core.windows.net"] {
            assert!(is_secret_key(key), "{key}");
        }
        assert!(!is_secret_key("fs.s3a.endpoint"));
    }

    #[test]
    fn booleans_name_the_key_they_came_from() {
        let conf = conf(&[("spark.hadoop.fs.s3a.path.style.access", "yes")]);
        let error = conf.bool(conf.get("fs.s3a.path.style.access"), false).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("spark.hadoop.fs.s3a.path.style.access"), "{error}");
        assert_eq!(conf.bool(None, true).ok(), Some(true));
    }
}
