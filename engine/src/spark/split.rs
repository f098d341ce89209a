//! Spark's `split(str, regex[, limit])`: splits around matches of a regular expression, as
//! Java's `String.split(regex, limit)` does (Spark reads a limit of 0 as -1, so trailing
//! empty strings stay), and into characters for an empty pattern. DataFusion's
//! `string_to_array` splits around a literal delimiter, which answered `split(s, '[0-9]+')`
//! with the whole string.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int32Array, ListBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use regex::Regex;

/// The `split` function, ready to register.
pub fn spark_split() -> ScalarUDF {
    ScalarUDF::new_from_impl(SparkSplit { signature: Signature::user_defined(Volatility::Immutable) })
}

/// See the module documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SparkSplit {
    signature: Signature,
}

impl ScalarUDFImpl for SparkSplit {
    fn name(&self) -> &str {
        "split"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))))
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        match args.len() {
            2 => Ok(vec![DataType::Utf8, DataType::Utf8]),
            3 => Ok(vec![DataType::Utf8, DataType::Utf8, DataType::Int32]),
            n => plan_err!("split takes a string, a pattern and an optional limit, not {n} arguments"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let texts = arrays[0].as_string::<i32>();
        let patterns = arrays[1].as_string::<i32>();
        let limits = arrays.get(2).map(|a| a.as_primitive::<arrow::datatypes::Int32Type>());
        let mut builder = ListBuilder::new(StringBuilder::new());
        let mut compiled: Option<(String, Regex)> = None;
        for row in 0..texts.len() {
            let limit = limit_at(limits, row);
            if texts.is_null(row) || patterns.is_null(row) || limit.is_none() {
                builder.append_null();
                continue;
            }
            let pattern = patterns.value(row);
            if compiled.as_ref().is_none_or(|(source, _)| source != pattern) {
                compiled = Some((pattern.to_string(), compile(pattern)?));
            }
            let regex = compiled.as_ref().map(|(_, regex)| regex).ok_or_else(|| {
                datafusion::error::DataFusionError::Internal("split: no compiled pattern".to_string())
            })?;
            for part in split(texts.value(row), pattern.is_empty(), regex, limit.unwrap_or(-1)) {
                builder.values().append_value(part);
            }
            builder.append(true);
        }
        let array: ArrayRef = Arc::new(builder.finish());
        Ok(if args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
            ColumnarValue::Scalar(datafusion::common::ScalarValue::try_from_array(&array, 0)?)
        } else {
            ColumnarValue::Array(array)
        })
    }
}

/// The limit of `row` (-1 when none is given); `None` when it is NULL.
fn limit_at(limits: Option<&Int32Array>, row: usize) -> Option<i32> {
    match limits {
        None => Some(-1),
        Some(limits) if limits.is_null(row) => None,
        Some(limits) => Some(limits.value(row)),
    }
}

fn compile(pattern: &str) -> Result<Regex> {
    match Regex::new(pattern) {
        Ok(regex) => Ok(regex),
        Err(error) => exec_err!(
            "split: the pattern '{pattern}' is not a regular expression Flint can run ({error}); \
             Java-only constructs such as look-around and back-references are not supported"
        ),
    }
}

/// `text` split as Spark splits it: Java's `Pattern.split(text, limit)` with a limit of 0
/// read as -1, and an empty pattern splitting into characters (at most `limit` parts).
fn split<'a>(text: &'a str, empty_pattern: bool, regex: &Regex, limit: i32) -> Vec<&'a str> {
    if empty_pattern && !text.is_empty() {
        return split_chars(text, limit);
    }
    let limited = limit > 0;
    let most = if limited { limit as usize } else { usize::MAX };
    let mut parts = Vec::new();
    let mut index = 0;
    for found in regex.find_iter(text) {
        if parts.len() + 1 == most {
            break;
        }
        // A zero-width match at the start makes no leading empty string (Java 8+).
        if index == 0 && found.start() == 0 && found.end() == 0 {
            continue;
        }
        parts.push(&text[index..found.start()]);
        index = found.end();
    }
    if index == 0 {
        return vec![text];
    }
    parts.push(&text[index..]);
    parts
}

/// Spark's split with an empty pattern: each character apart, the last part holding the
/// rest once `limit` parts are reached.
fn split_chars(text: &str, limit: i32) -> Vec<&str> {
    let chars = text.chars().count();
    let parts = if limit <= 0 || limit as usize > chars { chars } else { limit as usize };
    let mut bounds = text.char_indices().map(|(i, _)| i).take(parts).collect::<Vec<_>>();
    bounds.push(text.len());
    bounds.windows(2).map(|w| &text[w[0]..w[1]]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn java(text: &str, pattern: &str, limit: i32) -> Vec<String> {
        let regex = compile(pattern).unwrap_or_else(|e| panic!("{e}"));
        split(text, pattern.is_empty(), &regex, limit).into_iter().map(str::to_string).collect()
    }

    /// Expected values are what Java 17's `String.split(regex, limit)` returns (Spark's
    /// `UTF8String.split`), and Spark's documented examples.
    #[test]
    fn splits_as_java_string_split() {
        // Spark's documentation: split('oneAtwoBthreeC', '[ABC]') and with limits 2 and -1.
        assert_eq!(java("oneAtwoBthreeC", "[ABC]", -1), ["one", "two", "three", ""]);
        assert_eq!(java("oneAtwoBthreeC", "[ABC]", 2), ["one", "twoBthreeC"]);
        assert_eq!(java("a1b22c333d", "[0-9]+", -1), ["a", "b", "c", "d"]);
        assert_eq!(java("a,b,,c,,", ",", -1), ["a", "b", "", "c", "", ""]);
        assert_eq!(java("a.b.c", "\\.", -1), ["a", "b", "c"]);
        assert_eq!(java("a.b", ".", -1), ["", "", "", ""]);
        assert_eq!(java("abc", "x", -1), ["abc"]);
        assert_eq!(java("", ",", -1), [""]);
        assert_eq!(java(",a", ",", -1), ["", "a"]);
        assert_eq!(java("a,b,c", ",", 1), ["a,b,c"]);
        assert_eq!(java("a,b,c", ",", 5), ["a", "b", "c"]);
    }

    #[test]
    fn an_empty_pattern_splits_into_characters() {
        assert_eq!(java("abc", "", -1), ["a", "b", "c"]);
        assert_eq!(java("abc", "", 2), ["a", "bc"]);
        assert_eq!(java("héé", "", 0), ["h", "é", "é"]);
        assert_eq!(java("", "", -1), [""]);
    }

    #[test]
    fn a_pattern_rust_cannot_run_gets_a_clear_error() {
        let error = compile("(a)\\1").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("split: the pattern '(a)\\1'"), "{error}");
    }
}
