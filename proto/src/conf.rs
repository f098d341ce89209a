//! Configuration the operator and the processes it starts both read: the
//! `spark.flint.kubernetes.*` keys, each declared once with its default and meaning, and
//! Spark's duration strings.

use std::time::Duration;

/// A configuration key: its name (verbatim in `sparkConf`), default and meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfKey {
    /// The key, e.g. `spark.flint.kubernetes.pendingTimeout`.
    pub name: &'static str,
    /// Its default, written as a user would write it.
    pub default: &'static str,
    /// What it does, for the documentation.
    pub doc: &'static str,
}

impl ConfKey {
    /// The duration `value` (the key's setting) gives; `None` when unset or not a duration.
    pub fn duration(&self, value: Option<&str>) -> Option<Duration> {
        value.and_then(parse_duration)
    }

    /// The key's default as a duration (zero if the default is not one).
    pub fn default_duration(&self) -> Duration {
        parse_duration(self.default).unwrap_or_default()
    }
}

/// How long the operator lets a driver or executor pod stay Pending (unschedulable, an
/// image that cannot be pulled) before it fails the app with the scheduler's reason.
pub const PENDING_TIMEOUT: ConfKey = ConfKey {
    name: "spark.flint.kubernetes.pendingTimeout",
    default: "300s",
    doc: "How long the operator lets the driver pod, or every executor pod, stay Pending before it fails the app with the scheduler's reason (default: the operator's `--pending-timeout-seconds`).",
};

/// How long a Kubernetes driver waits for a first executor pod to run before it gives up.
pub const EXECUTOR_TIMEOUT: ConfKey = ConfKey {
    name: "spark.flint.kubernetes.executorTimeout",
    default: "300s",
    doc: "How long the driver waits for a first executor pod to run before it fails its jobs.",
};

/// Every `spark.flint.kubernetes.*` key; README.md's table documents each (a test checks).
pub const KUBERNETES_KEYS: &[ConfKey] = &[PENDING_TIMEOUT, EXECUTOR_TIMEOUT];

/// A Spark duration: a number with a unit (`500ms`, `30s`, `5m` or `5min`, `1h`, `2d`) or
/// plain seconds (`30`), as Spark's `timeStringAsSeconds` reads them; `None` otherwise.
pub fn parse_duration(value: &str) -> Option<Duration> {
    let value = value.trim().to_ascii_lowercase();
    let split = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let n: u64 = number.parse().ok()?;
    let seconds = |factor: u64| n.checked_mul(factor).map(Duration::from_secs);
    match unit.trim() {
        "" | "s" => seconds(1),
        "ms" => Some(Duration::from_millis(n)),
        "m" | "min" => seconds(60),
        "h" => seconds(3600),
        "d" => seconds(86_400),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_durations_parse() {
        assert_eq!(parse_duration("120s"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("5min"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2d"), Some(Duration::from_secs(172_800)));
        assert_eq!(parse_duration(" 30 "), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("5 parsecs"), None);
        assert_eq!(parse_duration("99999999999999999999s"), None);
    }

    /// The README's table says what the declarations say, so the two cannot drift apart.
    #[test]
    fn the_readme_documents_every_kubernetes_key() {
        let readme = include_str!("../../README.md");
        for key in KUBERNETES_KEYS {
            let row = format!("| `{}` | `{}` | {} |", key.name, key.default, key.doc);
            assert!(readme.contains(&row), "README.md lacks the row\n{row}");
        }
    }

    #[test]
    fn keys_read_durations_and_declare_their_defaults() {
        assert_eq!(PENDING_TIMEOUT.duration(Some("30s")), Some(Duration::from_secs(30)));
        assert_eq!(PENDING_TIMEOUT.duration(Some("lots")), None);
        assert_eq!(EXECUTOR_TIMEOUT.default_duration(), Duration::from_secs(300));
        for key in KUBERNETES_KEYS {
            assert!(key.name.starts_with("spark.flint.kubernetes."), "{key:?}");
            assert!(parse_duration(key.default).is_some(), "{key:?}");
        }
    }
}
