//! The `Config` RPC: Spark configuration per Connect session, with Spark's defaults for
//! every key a 4.x client reads.

use std::collections::BTreeMap;

use spark_connect_proto::KeyValue;
use spark_connect_proto::config_request::{Operation, operation::OpType};

use crate::errors::{ConnectError, Result};

/// The Spark version Flint reports to clients.
pub const SPARK_VERSION: &str = "4.2.0";

/// Spark defaults the server reports for keys the session has not set. Three differ from
/// Spark on purpose (as Sail does): the local-relation cache threshold (no artifact cache
/// needed for ordinary `createDataFrame` sizes), plan compression off, and unsafe
/// Arrow conversion allowed.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("spark.app.name", "flint"),
    ("spark.connect.execute.reattachable.observerRetryBufferSize", "1m"),
    ("spark.connect.execute.reattachable.senderMaxStreamSize", "1g"),
    ("spark.connect.session.planCompression.threshold", "-1"),
    ("spark.connect.session.planCompression.defaultAlgorithm", "ZSTD"),
    ("spark.sql.ansi.enabled", "false"),
    ("spark.sql.caseSensitive", "false"),
    ("spark.sql.execution.arrow.maxRecordsPerBatch", "10000"),
    ("spark.sql.execution.arrow.pyspark.enabled", "true"),
    ("spark.sql.execution.arrow.pyspark.fallback.enabled", "true"),
    ("spark.sql.execution.arrow.pyspark.selfDestruct.enabled", "false"),
    ("spark.sql.execution.arrow.useLargeVarTypes", "false"),
    ("spark.sql.execution.pandas.convertToArrowArraySafely", "false"),
    ("spark.sql.execution.pandas.inferPandasDictAsMap", "false"),
    ("spark.sql.execution.pandas.structHandlingMode", "legacy"),
    ("spark.sql.execution.pyspark.binaryAsBytes", "true"),
    ("spark.sql.execution.pythonUDF.arrow.enabled", "false"),
    ("spark.sql.execution.pythonUDTF.arrow.enabled", "true"),
    ("spark.sql.legacy.inferArrayTypeFromFirstElement.enabled", "false"),
    ("spark.sql.legacy.inferPandasDictAsMap", "false"),
    ("spark.sql.pyspark.inferNestedDictAsStruct.enabled", "false"),
    ("spark.sql.pyspark.legacy.inferArrayTypeFromFirstElement.enabled", "false"),
    ("spark.sql.pyspark.legacy.inferMapTypeFromFirstPair.enabled", "false"),
    ("spark.sql.repl.eagerEval.enabled", "false"),
    ("spark.sql.repl.eagerEval.maxNumRows", "20"),
    ("spark.sql.repl.eagerEval.truncate", "20"),
    ("spark.sql.session.localRelationCacheThreshold", "2147483647"),
    ("spark.sql.session.localRelationChunkSizeBytes", "16777216"),
    ("spark.sql.session.localRelationChunkSizeRows", "10000"),
    ("spark.sql.session.localRelationSizeLimit", "3221225472"),
    ("spark.sql.session.localRelationBatchOfChunksSizeBytes", "134217728"),
    ("spark.sql.session.timeZone", "UTC"),
    ("spark.sql.shuffle.partitions", "200"),
    ("spark.sql.sources.partitionOverwriteMode", "STATIC"),
    ("spark.sql.timestampType", "TIMESTAMP_LTZ"),
];

/// Keys a running session cannot change (Spark's static SQL configs and core settings).
const STATIC_PREFIXES: &[&str] = &["spark.master", "spark.driver.", "spark.executor.", "spark.app."];

/// The configuration of one Connect session: values set by the client over defaults.
#[derive(Debug, Default)]
pub struct SessionConf {
    values: BTreeMap<String, String>,
}

/// What a `Config` request changed, for the session to apply to its engine.
#[derive(Debug, Default)]
pub struct ConfigOutcome {
    /// Key/value pairs of the response.
    pub pairs: Vec<KeyValue>,
}

impl SessionConf {
    /// A configuration seeded with the server's own settings (`--conf`, `--master`).
    pub fn new(initial: &[(String, String)]) -> Self {
        Self { values: initial.iter().cloned().collect() }
    }

    /// The value of `key`: set by the client or the server, else Spark's default.
    pub fn get(&self, key: &str) -> Option<String> {
        self.values
            .get(key)
            .cloned()
            .or_else(|| DEFAULTS.iter().find(|(k, _)| *k == key).map(|(_, v)| (*v).to_string()))
    }

    /// Applies one `Config` operation.
    pub fn apply(&mut self, operation: Option<Operation>) -> Result<ConfigOutcome> {
        let op = operation.and_then(|o| o.op_type).ok_or_else(|| ConnectError::InvalidPlan {
            reason: "Config request without an operation".into(),
        })?;
        let mut outcome = ConfigOutcome::default();
        match op {
            OpType::Set(set) => {
                for pair in set.pairs {
                    self.values.insert(pair.key, pair.value.unwrap_or_default());
                }
            }
            OpType::Get(get) => {
                for key in get.keys {
                    let value = self.get(&key).ok_or(ConnectError::ConfNotFound { key: key.clone() })?;
                    outcome.pairs.push(KeyValue { key, value: Some(value) });
                }
            }
            OpType::GetWithDefault(get) => {
                for pair in get.pairs {
                    let value = self.values.get(&pair.key).cloned().or(pair.value);
                    outcome.pairs.push(KeyValue { key: pair.key, value });
                }
            }
            OpType::GetOption(get) => {
                for key in get.keys {
                    let value = self.get(&key);
                    outcome.pairs.push(KeyValue { key, value });
                }
            }
            OpType::GetAll(all) => {
                let prefix = all.prefix.unwrap_or_default();
                let mut merged: BTreeMap<String, String> =
                    DEFAULTS.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
                merged.extend(self.values.clone());
                for (key, value) in merged {
                    if key.starts_with(&prefix) {
                        outcome.pairs.push(KeyValue { key, value: Some(value) });
                    }
                }
            }
            OpType::Unset(unset) => {
                for key in unset.keys {
                    self.values.remove(&key);
                }
            }
            OpType::IsModifiable(keys) => {
                for key in keys.keys {
                    let fixed = STATIC_PREFIXES.iter().any(|p| key.starts_with(p));
                    outcome.pairs.push(KeyValue { key, value: Some((!fixed).to_string()) });
                }
            }
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spark_connect_proto::config_request::Get;

    #[test]
    fn client_keys_have_defaults() {
        let mut conf = SessionConf::default();
        let op = Operation {
            op_type: Some(OpType::Get(Get {
                keys: vec!["spark.sql.session.localRelationCacheThreshold".into()],
            })),
        };
        let outcome = conf.apply(Some(op)).unwrap();
        assert_eq!(outcome.pairs[0].value.as_deref(), Some("2147483647"));
    }
}
