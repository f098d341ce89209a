//! The arguments of the JSON and CSV functions that Spark requires to be constants: the
//! schema of `from_json` / `from_csv` (a DDL string such as `a INT` or `MAP<STRING,INT>`,
//! the JSON of a `DataType`, or a constant expression such as `schema_of_csv('1,2')`)
//! and the `options` map that PySpark sends as `create_map(lit(k), lit(v), …)`.
//!
//! The engine's functions take the schema as the type of their second argument, so the
//! schema string becomes a NULL of the type it names; the options become one map literal.

use std::sync::Arc;

use arrow::array::{MapBuilder, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::optimizer::simplify_expressions::ExprSimplifier;

use crate::errors::{ConnectError, Result};
use crate::plan::local_relation::{json_type, parse_schema};
use crate::types::parse_type_name;

/// `args` of Spark function `name` (lower case) with its schema and options arguments
/// made the constants the engine reads; other functions' arguments unchanged.
pub fn prepare(name: &str, mut args: Vec<Expr>) -> Result<Vec<Expr>> {
    let options_at = match name {
        "from_json" | "from_csv" => {
            if let Some(schema) = args.get_mut(1) {
                *schema = schema_argument(name, schema.clone())?;
            }
            2
        }
        "to_json" | "to_csv" | "schema_of_json" | "schema_of_csv" => 1,
        _ => return Ok(args),
    };
    if let Some(options) = args.get_mut(options_at) {
        *options = options_argument(name, options.clone())?;
    }
    Ok(args)
}

/// A NULL of the type the schema argument names.
fn schema_argument(function: &str, schema: Expr) -> Result<Expr> {
    let folded = ExprSimplifier::new(SimplifyContext::default()).simplify(schema)?;
    let text = match &folded {
        Expr::Literal(ScalarValue::Utf8(Some(text)) | ScalarValue::Utf8View(Some(text)) | ScalarValue::LargeUtf8(Some(text)), _) => {
            text.clone()
        }
        other => {
            return Err(ConnectError::InvalidPlan {
                reason: format!(
                    "[INVALID_SCHEMA.NON_STRING_LITERAL] {function}: the schema must be a string literal, not {other}"
                ),
            });
        }
    };
    let data_type = schema_type(&text)?;
    Ok(Expr::Literal(ScalarValue::try_new_null(&data_type)?, None))
}

/// The type a schema string names: Spark's JSON form of a type, a type (`MAP<STRING,INT>`,
/// `ARRAY<INT>`, `STRUCT<a: INT>`) or a DDL column list (`a INT, b STRING`).
pub fn schema_type(text: &str) -> Result<DataType> {
    let text = text.trim();
    if text.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ConnectError::InvalidPlan { reason: format!("[INVALID_SCHEMA.PARSE_ERROR] bad JSON schema: {e}") })?;
        return json_type(&value)
            .ok_or_else(|| ConnectError::Unsupported { what: format!("schema {text}") });
    }
    if let Some(data_type) = parse_type_name(text) {
        return Ok(data_type);
    }
    Ok(DataType::Struct(parse_schema(text)?.fields().clone()))
}

/// A map literal for `create_map('k1', 'v1', …)` of constants; anything else unchanged.
fn options_argument(function: &str, options: Expr) -> Result<Expr> {
    let Expr::ScalarFunction(call) = &options else { return Ok(options) };
    if !matches!(call.func.name(), "map" | "create_map") || call.args.len() % 2 != 0 {
        return Ok(options);
    }
    let mut texts = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        let Expr::Literal(value, _) = arg else { return Ok(options) };
        match value.cast_to(&DataType::Utf8)? {
            ScalarValue::Utf8(Some(text)) => texts.push(text),
            _ => {
                return Err(ConnectError::InvalidPlan { reason: format!("{function}: an option key or value is NULL") });
            }
        }
    }
    let mut builder = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    for pair in texts.chunks(2) {
        builder.keys().append_value(&pair[0]);
        builder.values().append_value(&pair[1]);
    }
    builder.append(true)?;
    Ok(Expr::Literal(ScalarValue::Map(Arc::new(builder.finish())), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_strings_name_types() {
        assert!(matches!(schema_type("a INT").unwrap(), DataType::Struct(f) if f.len() == 1));
        assert!(matches!(schema_type("MAP<STRING,INT>").unwrap(), DataType::Map(..)));
        assert!(matches!(schema_type("STRUCT<a: INT, b: INT>").unwrap(), DataType::Struct(f) if f.len() == 2));
        let array = r#"{"type":"array","elementType":{"type":"struct","fields":[{"name":"a","type":"integer","nullable":true,"metadata":{}}]},"containsNull":true}"#;
        assert!(matches!(schema_type(array).unwrap(), DataType::List(_)));
    }
}
