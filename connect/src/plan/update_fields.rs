//! `Column.withField` and `Column.dropFields` (Connect `UpdateFields`): the struct rebuilt
//! with one field added, replaced or dropped, as Spark's `UpdateFields` does.

use arrow::datatypes::DataType;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::functions::core::expr_fn::{get_field, named_struct};
use datafusion::logical_expr::{Expr, ExprSchemable, lit, when};
use spark_connect_proto::expression::UpdateFields;

use crate::errors::{ConnectError, Result};
use crate::plan::expressions::ExprConverter;
use crate::plan::identifiers::parse_identifier;

/// The struct of `update` with its field set (`withField`) or dropped (`dropFields`).
pub(crate) fn convert(converter: &ExprConverter<'_>, update: &UpdateFields) -> Result<Expr> {
    let base = update.struct_expression.as_deref().ok_or_else(|| ConnectError::InvalidPlan {
        reason: "UpdateFields without a struct expression".into(),
    })?;
    let base = converter.expr(base)?;
    let value = update.value_expression.as_deref().map(|v| converter.expr(v)).transpose()?;
    let path = parse_identifier(&update.field_name);
    rebuild(converter.schema, base, &path, value.as_ref())
}

/// `base` with the field at `path` set to `value`, or dropped when `value` is `None`.
/// Names match case-insensitively; a replaced field takes the name as given and keeps its
/// place, a new one goes last. Dropping a field that is not there changes nothing.
fn rebuild(schema: &DFSchema, base: Expr, path: &[String], value: Option<&Expr>) -> Result<Expr> {
    let (_, field) = base.to_field(schema)?;
    let nullable = field.is_nullable();
    let DataType::Struct(fields) = field.data_type().clone() else {
        return Err(DataFusionError::Plan(format!(
            "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] withField/dropFields needs a struct, but {base} is {}",
            field.data_type()
        ))
        .into());
    };
    let Some((name, rest)) = path.split_first() else {
        return Err(ConnectError::InvalidPlan { reason: "UpdateFields without a field name".into() });
    };
    let mut out: Vec<(String, Expr)> = Vec::with_capacity(fields.len() + 1);
    let mut found = false;
    for field in fields.iter() {
        let child = get_field(base.clone(), field.name().as_str());
        if !field.name().eq_ignore_ascii_case(name) {
            out.push((field.name().clone(), child));
            continue;
        }
        found = true;
        match (rest.is_empty(), value) {
            (true, Some(value)) => out.push((name.clone(), value.clone())),
            (true, None) => {}
            (false, _) => out.push((field.name().clone(), rebuild(schema, child, rest, value)?)),
        }
    }
    if !found {
        match (rest.is_empty(), value) {
            (true, Some(value)) => out.push((name.clone(), value.clone())),
            (true, None) => {}
            (false, _) => {
                return Err(
                    DataFusionError::Plan(format!("[FIELD_NOT_FOUND] No such struct field `{name}` in {base}")).into()
                );
            }
        }
    }
    if out.is_empty() {
        return Err(DataFusionError::Plan(
            "[DATATYPE_MISMATCH.CANNOT_DROP_ALL_FIELDS] Cannot drop all fields in struct".into(),
        )
        .into());
    }
    let built = named_struct(out.into_iter().flat_map(|(name, expr)| [lit(name), expr]).collect());
    if !nullable {
        return Ok(built);
    }
    // A null struct stays null, as in Spark.
    Ok(when(base.is_null(), lit(ScalarValue::Null)).otherwise(built)?)
}
