//! Spark's `regexp_extract(str, regexp[, idx])` (group `idx` of the first match, `''`
//! when none), `regexp_extract_all(str, regexp[, idx])` (group `idx` of every match)
//! and `regexp_substr(str, regexp)` (the first match, null when none).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array, ListBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use regex::Regex;

/// The three functions, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    [Kind::Extract, Kind::ExtractAll, Kind::Substr]
        .into_iter()
        .map(|kind| {
            let arities = if kind == Kind::Substr { vec![2] } else { vec![2, 3] };
            let signature = Signature::one_of(
                arities
                    .into_iter()
                    .map(|n| {
                        let mut types = vec![DataType::Utf8, DataType::Utf8];
                        if n == 3 {
                            types.push(DataType::Int64);
                        }
                        TypeSignature::Exact(types)
                    })
                    .collect(),
                Volatility::Immutable,
            );
            ScalarUDF::new_from_impl(SparkRegexp { kind, signature })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Extract,
    ExtractAll,
    Substr,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SparkRegexp {
    kind: Kind,
    signature: Signature,
}

impl SparkRegexp {
    /// The answer for one row, or `None` for null.
    fn row(&self, text: &str, pattern: &Regex, group: usize) -> Result<Row> {
        if self.kind != Kind::Substr && group >= pattern.captures_len() {
            return exec_err!(
                "[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` in `{}` is invalid: \
                 Expects group index between 0 and {}, but got {group}.",
                self.name(),
                pattern.captures_len() - 1
            );
        }
        Ok(match self.kind {
            Kind::Extract => Row::One(Some(
                pattern.captures(text).and_then(|c| c.get(group)).map_or(String::new(), |m| m.as_str().to_string()),
            )),
            Kind::Substr => Row::One(pattern.find(text).map(|m| m.as_str().to_string())),
            Kind::ExtractAll => Row::Many(
                pattern
                    .captures_iter(text)
                    .map(|c| c.get(group).map_or(String::new(), |m| m.as_str().to_string()))
                    .collect(),
            ),
        })
    }
}

enum Row {
    One(Option<String>),
    Many(Vec<String>),
}

impl ScalarUDFImpl for SparkRegexp {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Extract => "regexp_extract",
            Kind::ExtractAll => "regexp_extract_all",
            Kind::Substr => "regexp_substr",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::ExtractAll => DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let text = arrays[0].as_string::<i32>();
        let patterns = arrays[1].as_string::<i32>();
        let groups = match arrays.get(2) {
            Some(groups) => groups.as_primitive::<arrow::datatypes::Int64Type>().clone(),
            None => Int64Array::from(vec![1; rows]),
        };
        let mut compiled: Option<(String, Regex)> = None;
        let mut one = StringBuilder::new();
        let mut many = ListBuilder::new(StringBuilder::new());
        for i in 0..rows {
            let null = text.is_null(i) || patterns.is_null(i) || groups.is_null(i);
            let row = if null {
                None
            } else {
                let pattern = patterns.value(i);
                if compiled.as_ref().is_none_or(|(p, _)| p != pattern) {
                    let regex = Regex::new(pattern).map_err(|e| {
                        datafusion::error::DataFusionError::Execution(format!(
                            "[INVALID_PARAMETER_VALUE.PATTERN] The value of parameter(s) `regexp` in `{}` is invalid: {e}",
                            self.name()
                        ))
                    })?;
                    compiled = Some((pattern.to_string(), regex));
                }
                let Some((_, regex)) = compiled.as_ref() else {
                    return exec_err!("{}: no compiled pattern", self.name());
                };
                let group = usize::try_from(groups.value(i)).map_err(|_| {
                    datafusion::error::DataFusionError::Execution(format!(
                        "[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] The value of parameter(s) `idx` in `{}` is invalid: \
                         Expects group index between 0 and {}, but got {}.",
                        self.name(),
                        regex.captures_len() - 1,
                        groups.value(i)
                    ))
                })?;
                Some(self.row(text.value(i), regex, group)?)
            };
            match row {
                Some(Row::One(value)) => one.append_option(value),
                Some(Row::Many(values)) => many.append_value(values.into_iter().map(Some)),
                None if self.kind == Kind::ExtractAll => many.append_null(),
                None => one.append_null(),
            }
        }
        let result: ArrayRef = if self.kind == Kind::ExtractAll {
            Arc::new(many.finish())
        } else {
            Arc::new(one.finish())
        };
        Ok(ColumnarValue::Array(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spark's documented answers: regexp_extract('100-200', '(\d+)-(\d+)', 1) is '100',
    /// regexp_extract_all('100-200, 300-400', '(\d+)-(\d+)', 1) is ['100', '300'].
    #[test]
    fn extracts_groups_as_spark_documents() -> Result<()> {
        let pattern = Regex::new(r"(\d+)-(\d+)").map_err(|e| datafusion::error::DataFusionError::External(e.into()))?;
        let extract = SparkRegexp { kind: Kind::Extract, signature: Signature::any(2, Volatility::Immutable) };
        assert!(matches!(extract.row("100-200", &pattern, 1)?, Row::One(Some(s)) if s == "100"));
        assert!(matches!(extract.row("foo", &pattern, 1)?, Row::One(Some(s)) if s.is_empty()));
        assert!(extract.row("100-200", &pattern, 3).is_err());
        let all = SparkRegexp { kind: Kind::ExtractAll, signature: Signature::any(2, Volatility::Immutable) };
        assert!(matches!(all.row("100-200, 300-400", &pattern, 1)?, Row::Many(v) if v == ["100", "300"]));
        Ok(())
    }
}
