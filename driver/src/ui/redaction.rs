//! Hides secrets in the configuration the UI and the event log show, as Spark's
//! `Utils.redact` does with `spark.redaction.regex`: a pair whose key or value matches
//! shows its value as `*********(redacted)`.

use super::conf::REDACTION_REGEX;
use flint_engine::config::SparkConf;
use regex::Regex;

/// What a redacted value shows (Spark's text).
pub const REDACTED: &str = "*********(redacted)";

/// `spark.redaction.regex` does not compile.
#[derive(Debug, thiserror::Error)]
#[error("spark.redaction.regex {pattern:?} is not a valid regular expression: {source}")]
pub struct BadRedactionRegex {
    /// The pattern.
    pub pattern: String,
    /// Why.
    pub source: regex::Error,
}

/// Redacts with `conf`'s `spark.redaction.regex`.
pub fn redactor(conf: &SparkConf) -> Result<Regex, BadRedactionRegex> {
    let pattern = conf.get_or_default(&REDACTION_REGEX).unwrap_or_default();
    Regex::new(pattern).map_err(|source| BadRedactionRegex { pattern: pattern.to_string(), source })
}

/// `pairs`, with the value of each pair whose key or value matches `regex` hidden.
pub fn redact(regex: &Regex, pairs: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(key, value)| {
            if regex.is_match(&key) || regex.is_match(&value) { (key, REDACTED.to_string()) } else { (key, value) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// The cases of Spark's `UtilsSuite` "redact sensitive information" and the default
    /// regex from Spark's configuration docs.
    #[test]
    fn keys_or_values_matching_the_default_regex_are_redacted() {
        let regex = redactor(&SparkConf::new()).unwrap();
        let redacted = redact(
            &regex,
            pairs(&[
                ("spark.my.password", "12345"),
                ("spark.my.sECreT", "12345"),
                ("spark.authenticate.secret", "s3cr3t"),
                ("spark.hadoop.fs.s3a.access.key", "AKIA"),
                ("spark.hadoop.fs.s3a.accesskey", "AKIA"),
                ("spark.executorEnv.HADOOP_CREDSTORE_PASSWORD", "x"),
                ("spark.regular.property", "regular_value"),
                ("spark.sensitive.property", "has_secret_in_value"),
                ("spark.app.name", "tokenizer"),
            ]),
        );
        let shown: Vec<&str> = redacted.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(shown, vec![REDACTED, REDACTED, REDACTED, REDACTED, REDACTED, REDACTED, "regular_value", REDACTED, REDACTED]);
    }

    #[test]
    fn a_custom_regex_applies_and_a_bad_one_is_refused() {
        let mut conf = SparkConf::new();
        conf.set("spark.redaction.regex", "(?i)mykey");
        let regex = redactor(&conf).unwrap();
        assert_eq!(redact(&regex, pairs(&[("a.MYKEY", "1"), ("a.password", "2")])), pairs(&[("a.MYKEY", REDACTED), ("a.password", "2")]));
        conf.set("spark.redaction.regex", "(");
        assert!(redactor(&conf).unwrap_err().to_string().contains("spark.redaction.regex \"(\" is not a valid regular expression"));
    }
}
