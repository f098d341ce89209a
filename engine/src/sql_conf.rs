//! Which `spark.sql.*` keys a running session may set (with `SET` or the Spark Connect
//! `Config` RPC), so that no key is accepted and then silently ignored (issue 10).
//!
//! A key is honoured by the engine (the session's plans change), read by the stock
//! PySpark client itself (Arrow and pandas conversion, local relations, eager evaluation:
//! the server only stores it), or fixed: Flint has one behaviour for it, and setting it to
//! that behaviour is fine while any other value is refused. Every other `spark.sql.*` key
//! is refused with an error that names it.

use crate::config::{AUTO_BROADCAST_JOIN_THRESHOLD, SESSION_TIME_ZONE, SHUFFLE_PARTITIONS};
use crate::error::{FlintError, Result};

/// `spark.sql.*` keys that change the session's plans when set at run time.
pub const ENGINE_KEYS: &[&str] =
    &[SHUFFLE_PARTITIONS.name, SESSION_TIME_ZONE.name, AUTO_BROADCAST_JOIN_THRESHOLD.name];

/// Prefixes of keys the PySpark client reads itself.
const CLIENT_PREFIXES: &[&str] = &[
    "spark.sql.execution.arrow.",
    "spark.sql.execution.pandas.",
    "spark.sql.pyspark.",
    "spark.sql.legacy.inferArrayTypeFromFirstElement.",
    "spark.sql.legacy.inferPandasDictAsMap",
    "spark.sql.repl.eagerEval.",
    "spark.sql.session.localRelation",
];

/// Keys with one behaviour in Flint, and that behaviour's value.
const FIXED_KEYS: &[(&str, &str)] = &[
    ("spark.sql.ansi.enabled", "false"),
    ("spark.sql.caseSensitive", "false"),
    ("spark.sql.timestampType", "TIMESTAMP_LTZ"),
    ("spark.sql.variable.substitute", "true"),
];

/// Checks that setting `key` to `value` at run time takes effect; keys outside
/// `spark.sql.` are not this module's concern and pass.
pub fn check_runtime_key(key: &str, value: &str) -> Result<()> {
    if !key.starts_with("spark.sql.")
        || ENGINE_KEYS.contains(&key)
        || CLIENT_PREFIXES.iter().any(|prefix| key.starts_with(prefix))
    {
        return Ok(());
    }
    let refused = |reason: String| FlintError::UnsupportedConf { key: key.to_string(), value: value.to_string(), reason };
    match FIXED_KEYS.iter().find(|(fixed, _)| *fixed == key) {
        Some((_, only)) if value.trim().eq_ignore_ascii_case(only) => Ok(()),
        Some((_, only)) => Err(refused(format!("Flint always runs with {key}={only}"))),
        None => Err(refused(format!(
            "Flint does not honour it, so setting it would have no effect; the spark.sql keys a session may set are {}",
            ENGINE_KEYS.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_and_client_keys_pass_and_unknown_keys_are_refused_by_name() {
        assert!(check_runtime_key("spark.sql.shuffle.partitions", "3").is_ok());
        assert!(check_runtime_key("spark.sql.execution.arrow.maxRecordsPerBatch", "5").is_ok());
        assert!(check_runtime_key("spark.flint.test.key", "v").is_ok(), "not a spark.sql key");
        let error = check_runtime_key("spark.sql.adaptive.enabled", "true").unwrap_err().to_string();
        assert!(error.contains("spark.sql.adaptive.enabled"), "{error}");
        assert!(error.contains("spark.sql.shuffle.partitions"), "{error}");
    }

    #[test]
    fn fixed_keys_accept_only_flints_behaviour() {
        assert!(check_runtime_key("spark.sql.ansi.enabled", "FALSE").is_ok());
        let error = check_runtime_key("spark.sql.ansi.enabled", "true").unwrap_err().to_string();
        assert!(error.contains("spark.sql.ansi.enabled=false"), "{error}");
    }
}
