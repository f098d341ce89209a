//! Spark's functions that look into JSON text without a schema:
//! `get_json_object(json, path)` (a JSONPath subset: `$`, `.name`, `['name']`, `[n]`,
//! `[*]`, `.*`), `json_array_length(json)` and `json_object_keys(json)`. Malformed JSON,
//! like a path that finds nothing, gives NULL.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int32Array, ListBuilder, StringArray, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

use crate::spark::json::{self, Json, Syntax};

/// The functions of this module, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    [Kind::GetJsonObject, Kind::ArrayLength, Kind::ObjectKeys]
        .into_iter()
        .map(|kind| ScalarUDF::new_from_impl(JsonPathFunction { kind, signature: Signature::user_defined(Volatility::Immutable) }))
        .collect()
}

#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum Kind {
    GetJsonObject,
    ArrayLength,
    ObjectKeys,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct JsonPathFunction {
    kind: Kind,
    signature: Signature,
}

impl ScalarUDFImpl for JsonPathFunction {
    fn name(&self) -> &str {
        match self.kind {
            Kind::GetJsonObject => "get_json_object",
            Kind::ArrayLength => "json_array_length",
            Kind::ObjectKeys => "json_object_keys",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::GetJsonObject => DataType::Utf8,
            Kind::ArrayLength => DataType::Int32,
            Kind::ObjectKeys => DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
        })
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        let arity = if self.kind == Kind::GetJsonObject { 2 } else { 1 };
        if args.len() != arity {
            return plan_err!("{} takes {arity} string arguments, not {}", self.name(), args.len());
        }
        Ok(vec![DataType::Utf8; arity])
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let texts = cast(&arrays[0], &DataType::Utf8)?;
        let texts = texts.as_string::<i32>();
        let parsed = (0..texts.len()).map(|row| texts.is_valid(row).then(|| json::parse(texts.value(row), Syntax::default())).flatten());
        let array: ArrayRef = match self.kind {
            Kind::GetJsonObject => {
                let paths = cast(&arrays[1], &DataType::Utf8)?;
                let paths = paths.as_string::<i32>();
                let mut compiled: Option<(String, Option<Vec<Step>>)> = None;
                let mut out = Vec::with_capacity(texts.len());
                for (row, value) in parsed.enumerate() {
                    if paths.is_null(row) {
                        out.push(None);
                        continue;
                    }
                    let path = paths.value(row);
                    if compiled.as_ref().is_none_or(|(source, _)| source != path) {
                        compiled = Some((path.to_string(), parse_path(path)));
                    }
                    let steps = compiled.as_ref().and_then(|(_, steps)| steps.as_deref());
                    out.push(value.zip(steps).and_then(|(value, steps)| evaluate(&value, steps)));
                }
                Arc::new(StringArray::from(out))
            }
            Kind::ArrayLength => Arc::new(
                parsed
                    .map(|value| match value {
                        Some(Json::Array(items)) => i32::try_from(items.len()).ok(),
                        _ => None,
                    })
                    .collect::<Int32Array>(),
            ),
            Kind::ObjectKeys => {
                let mut builder = ListBuilder::new(StringBuilder::new());
                for value in parsed {
                    match value {
                        Some(Json::Object(members)) => {
                            for (key, _) in members {
                                builder.values().append_value(key);
                            }
                            builder.append(true);
                        }
                        _ => builder.append_null(),
                    }
                }
                Arc::new(builder.finish())
            }
        };
        Ok(if scalar { ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?) } else { ColumnarValue::Array(array) })
    }
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// `.name` or `['name']`.
    Key(String),
    /// `[n]`.
    Index(usize),
    /// `[*]` or `.*`.
    Wildcard,
}

/// The steps of `path`; `None` when Spark would not read it (it then answers NULL).
fn parse_path(path: &str) -> Option<Vec<Step>> {
    let mut rest = path.strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("[*]").or_else(|| rest.strip_prefix(".*")) {
            steps.push(Step::Wildcard);
            rest = after;
        } else if let Some(after) = rest.strip_prefix("['") {
            let end = after.find("']")?;
            steps.push(Step::Key(after[..end].to_string()));
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            steps.push(Step::Index(after[..end].trim().parse().ok()?));
            rest = &after[end + 1..];
        } else if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return None;
            }
            steps.push(Step::Key(after[..end].to_string()));
            rest = &after[end..];
        } else {
            return None;
        }
    }
    Some(steps)
}

/// What `get_json_object` answers for `steps` in `value`: a string unquoted, other values
/// as compact JSON; with a wildcard, one match as JSON and several as a JSON array.
fn evaluate(value: &Json, steps: &[Step]) -> Option<String> {
    let mut matches = Vec::new();
    collect(value, steps, &mut matches);
    if steps.contains(&Step::Wildcard) {
        return match matches.as_slice() {
            [] => None,
            [one] => Some(one.to_text()),
            _ => Some(Json::Array(matches.into_iter().cloned().collect()).to_text()),
        };
    }
    match matches.first()? {
        Json::Null => None,
        Json::String(text) => Some(text.clone()),
        other => Some(other.to_text()),
    }
}

fn collect<'a>(value: &'a Json, steps: &[Step], out: &mut Vec<&'a Json>) {
    let Some((step, rest)) = steps.split_first() else {
        out.push(value);
        return;
    };
    match (step, value) {
        (Step::Key(key), Json::Object(members)) => {
            if let Some((_, child)) = members.iter().find(|(name, _)| name == key) {
                collect(child, rest, out);
            }
        }
        (Step::Index(index), Json::Array(items)) => {
            if let Some(child) = items.get(*index) {
                collect(child, rest, out);
            }
        }
        (Step::Wildcard, Json::Array(items)) => items.iter().for_each(|child| collect(child, rest, out)),
        (Step::Wildcard, Json::Object(members)) => members.iter().for_each(|(_, child)| collect(child, rest, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(text: &str, path: &str) -> Option<String> {
        evaluate(&json::parse(text, Syntax::default())?, &parse_path(path)?)
    }

    /// Spark 4.2's answers (its `get_json_object` docs and doctests).
    #[test]
    fn paths_answer_as_spark() {
        assert_eq!(get(r#"{"a":"b"}"#, "$.a").as_deref(), Some("b"));
        assert_eq!(get(r#"{"a":{"b":[1, 2]}}"#, "$.a").as_deref(), Some(r#"{"b":[1,2]}"#));
        let array = r#"[{"f1": "value1"},{"f1": "value2"}]"#;
        assert_eq!(get(array, "$[0].f1").as_deref(), Some("value1"));
        assert_eq!(get(array, "$[*].f1").as_deref(), Some(r#"["value1","value2"]"#));
        assert_eq!(get(r#"[{"f1": "value12"},{"f2": "value13"}]"#, "$[*].f2").as_deref(), Some(r#""value13""#));
        assert_eq!(get(array, "$[1].f2"), None);
        assert_eq!(get(r#"{"a b":1}"#, "$['a b']").as_deref(), Some("1"));
        assert_eq!(get("not json", "$.a"), None);
    }
}
