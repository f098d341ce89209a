//! Spark's `expr[key]` and `expr.field` (Connect's `UnresolvedExtractValue`): a struct's
//! field by name (matched case-insensitively), an array's element by 0-based index, a
//! map's value by key. Which one is chosen from the argument's type during
//! optimisation, so that it works on lambda variables, whose type is known only then.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, internal_err, plan_err};
use datafusion::functions::core::get_field;
use datafusion::functions_nested::expr_fn::array_element;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility, cast, lit,
};

/// The `extract_value(base, key)` function.
pub fn spark_extract_value() -> ScalarUDF {
    ScalarUDF::new_from_impl(ExtractValue { signature: Signature::any(2, Volatility::Immutable) })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ExtractValue {
    signature: Signature,
}

/// The struct field `name` names, matched exactly first, then ignoring case.
fn struct_field<'a>(fields: &'a [FieldRef], name: &str) -> Result<&'a FieldRef> {
    let found = fields.iter().find(|f| f.name() == name).or_else(|| fields.iter().find(|f| f.name().eq_ignore_ascii_case(name)));
    match found {
        Some(field) => Ok(field),
        None => {
            let names: Vec<String> = fields.iter().map(|f| format!("`{}`", f.name())).collect();
            plan_err!("[FIELD_NOT_FOUND] No such struct field `{name}` in {}.", names.join(", "))
        }
    }
}

fn base_type_error(data_type: &DataType) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::Plan(format!(
        "[INVALID_EXTRACT_BASE_FIELD_TYPE] Can't extract a value from a value of type {data_type}. \
         Need a complex type [STRUCT, ARRAY, MAP]."
    ))
}

impl ScalarUDFImpl for ExtractValue {
    fn name(&self) -> &str {
        "extract_value"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        internal_err!("extract_value's type comes from return_field_from_args")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let base = &args.arg_fields[0];
        let field = match base.data_type() {
            DataType::Struct(fields) => {
                let Some(Some(ScalarValue::Utf8(Some(name)) | ScalarValue::Utf8View(Some(name)))) =
                    args.scalar_arguments.get(1)
                else {
                    return plan_err!("[INVALID_EXTRACT_FIELD_TYPE] a struct field is named by a string literal");
                };
                let field = struct_field(fields, name)?;
                field.as_ref().clone().with_nullable(field.is_nullable() || base.is_nullable())
            }
            DataType::List(element) | DataType::LargeList(element) | DataType::FixedSizeList(element, _) => {
                element.as_ref().clone().with_nullable(true)
            }
            DataType::Map(entries, _) => match entries.data_type() {
                DataType::Struct(fields) if fields.len() == 2 => fields[1].as_ref().clone().with_nullable(true),
                other => return internal_err!("map entries of type {other}"),
            },
            other => return Err(base_type_error(other)),
        };
        Ok(Arc::new(Field::new(self.name(), field.data_type().clone(), field.is_nullable())))
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let [base, key] = <[Expr; 2]>::try_from(args)
            .map_err(|_| datafusion::error::DataFusionError::Plan("extract_value takes 2 arguments".into()))?;
        let rewritten = match base.get_type(info.schema())? {
            DataType::Struct(fields) => {
                let Expr::Literal(ScalarValue::Utf8(Some(name)) | ScalarValue::Utf8View(Some(name)), _) = &key else {
                    return plan_err!("[INVALID_EXTRACT_FIELD_TYPE] a struct field is named by a string literal");
                };
                let name = struct_field(&fields, name)?.name().clone();
                get_field().call(vec![base, lit(name)])
            }
            DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
                array_element(base, cast(key, DataType::Int64) + lit(1i64))
            }
            DataType::Map(..) => crate::spark::collections::map_value(base, key),
            other => return Err(base_type_error(&other)),
        };
        Ok(ExprSimplifyResult::Simplified(rewritten))
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        internal_err!("extract_value is rewritten during optimisation and never invoked")
    }
}
