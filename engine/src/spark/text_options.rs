//! What the JSON and CSV functions share: their `options` map (Spark reads its keys
//! case-insensitively), the parse `mode`, and dates and timestamps written with a Java
//! `DateTimeFormatter` pattern (`dateFormat`, `timestampFormat`).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::ColumnarValue;

/// The options a function was called with, keys lower-cased.
#[derive(Debug, Default)]
pub struct Options(HashMap<String, String>);

impl Options {
    /// The options in `arg` (a `MAP<STRING, STRING>`; none when absent), for `function`'s errors.
    pub fn from_arg(arg: Option<&ColumnarValue>, function: &str) -> Result<Self> {
        let array = match arg {
            None => return Ok(Self::default()),
            Some(ColumnarValue::Scalar(ScalarValue::Map(map))) => Arc::clone(map) as arrow::array::ArrayRef,
            Some(ColumnarValue::Array(array)) if matches!(array.data_type(), DataType::Map(..)) => Arc::clone(array),
            Some(other) => {
                return plan_err!("{function}: options must be a map of strings, not {}", other.data_type());
            }
        };
        let mut options = HashMap::new();
        let maps = array.as_map();
        if maps.is_empty() || maps.is_null(0) {
            return Ok(Self(options));
        }
        let entries = maps.value(0);
        let keys = cast(entries.column(0), &DataType::Utf8)?;
        let values = cast(entries.column(1), &DataType::Utf8)?;
        let (keys, values) = (keys.as_string::<i32>(), values.as_string::<i32>());
        for i in 0..keys.len() {
            if values.is_valid(i) {
                options.insert(keys.value(i).to_ascii_lowercase(), values.value(i).to_string());
            }
        }
        Ok(Self(options))
    }

    /// Options from `(key, value)` pairs, for tests.
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self(pairs.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect())
    }

    /// The value of option `key` (any case).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(&key.to_ascii_lowercase()).map(String::as_str)
    }

    /// Boolean option `key` (`true`/`false` in any case), `default` when not given.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
            Some(value) => exec_err!("option '{key}' must be true or false, not '{value}'"),
        }
    }

    /// The `mode` option of a parsing function: whether malformed input fails the query
    /// (`FAILFAST`) rather than reading as NULL (`PERMISSIVE`, the default).
    pub fn fail_fast(&self, function: &str) -> Result<bool> {
        match self.get("mode").map(str::to_ascii_uppercase).as_deref() {
            None | Some("PERMISSIVE") => Ok(false),
            Some("FAILFAST") => Ok(true),
            Some(other) => plan_err!(
                "[PARSE_MODE_UNSUPPORTED] The function `{function}` doesn't support the {other} mode. \
                 Acceptable modes are PERMISSIVE and FAILFAST."
            ),
        }
    }
}

/// Spark's error for a malformed record read in `FAILFAST` mode.
pub fn malformed_record_error<T>(record: &str) -> Result<T> {
    exec_err!(
        "[MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION] Malformed records are detected in record parsing: \
         {record}. Parse Mode: FAILFAST. To process malformed records as null result, try setting the option \
         'mode' as 'PERMISSIVE'."
    )
}

/// Spark's default `dateFormat`.
pub const DEFAULT_DATE_FORMAT: &str = "yyyy-MM-dd";
/// Spark's default `timestampFormat` for writing JSON and CSV.
pub const DEFAULT_TIMESTAMP_FORMAT: &str = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";

/// The chrono format of a Java `DateTimeFormatter` pattern (the letters Spark's docs list
/// for `dateFormat` and `timestampFormat`); an error names a letter it cannot translate.
pub fn chrono_format(pattern: &str) -> Result<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        if c == '\'' {
            let end = chars[i + 1..].iter().position(|&d| d == '\'').map_or(chars.len(), |p| i + 1 + p);
            if end == i + 1 {
                out.push('\'');
            }
            for &d in &chars[i + 1..end] {
                out.push_str(if d == '%' { "%%" } else { "" });
                if d != '%' {
                    out.push(d);
                }
            }
            i = end + 1;
            continue;
        }
        let piece = match (c, run) {
            ('y' | 'u', 2) => "%y",
            ('y' | 'u', _) => "%Y",
            ('M', 1) => "%-m",
            ('M', 2) => "%m",
            ('M', 3) => "%b",
            ('M', _) => "%B",
            ('d', 1) => "%-d",
            ('d', _) => "%d",
            ('H', 1) => "%-H",
            ('H', _) => "%H",
            ('h', 1) => "%-I",
            ('h', _) => "%I",
            ('m', 1) => "%-M",
            ('m', _) => "%M",
            ('s', 1) => "%-S",
            ('s', _) => "%S",
            ('S', 3) => "%3f",
            ('S', 6) => "%6f",
            ('S', 9) => "%9f",
            ('a', _) => "%p",
            ('E', 1..=3) => "%a",
            ('E', _) => "%A",
            ('D', _) => "%j",
            ('X' | 'x', 1) => "%#z",
            ('X' | 'x', 2) => "%z",
            ('X' | 'x', _) => "%:z",
            ('Z', _) => "%z",
            (c, _) if c.is_ascii_alphabetic() => {
                return exec_err!("the datetime pattern '{pattern}' uses '{c}', which Flint cannot format yet");
            }
            ('%', _) => "%%",
            _ => {
                out.extend(std::iter::repeat_n(c, run));
                i += run;
                continue;
            }
        };
        out.push_str(piece);
        i += run;
    }
    Ok(out)
}

/// Row `row` of the date or timestamp `array` formatted with the Java `pattern`.
pub fn format_datetime(array: &dyn Array, row: usize, pattern: &str) -> Result<String> {
    let format = chrono_format(pattern)?;
    let options = match array.data_type() {
        DataType::Date32 | DataType::Date64 => FormatOptions::new().with_date_format(Some(&format)),
        DataType::Timestamp(_, Some(_)) => FormatOptions::new().with_timestamp_tz_format(Some(&format)),
        _ => FormatOptions::new().with_timestamp_format(Some(&format)),
    };
    let text = ArrayFormatter::try_new(array, &options)?.value(row).to_string();
    // Java's `X` writes a zero offset as `Z`.
    let zero_as_z = pattern.contains('X');
    Ok(match text.strip_suffix("+00:00").or_else(|| text.strip_suffix("+0000")) {
        Some(kept) if zero_as_z => format!("{kept}Z"),
        _ => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Date32Array, TimestampMicrosecondArray};

    #[test]
    fn java_patterns_format_like_spark() {
        let dates = Date32Array::from(vec![19045]);
        assert_eq!(format_datetime(&dates, 0, DEFAULT_DATE_FORMAT).unwrap(), "2022-02-22");
        assert_eq!(format_datetime(&dates, 0, "yyyy/MM/dd").unwrap(), "2022/02/22");
        let stamps = TimestampMicrosecondArray::from(vec![1_645_488_000_123_000]).with_timezone("UTC");
        assert_eq!(format_datetime(&stamps, 0, DEFAULT_TIMESTAMP_FORMAT).unwrap(), "2022-02-22T00:00:00.123Z");
        assert!(chrono_format("yyyy G").is_err());
    }
}
