//! Spark's null-handling functions: `equal_null(a, b)` is `a <=> b`, `nullifzero(x)` is
//! NULL where `x` is zero, `zeroifnull(x)` is zero where `x` is NULL.

use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ExprSchemable, Operator, ScalarUDF, Signature, Volatility, binary_expr, cast, lit, when,
};
use datafusion::functions::expr_fn::coalesce;

use crate::spark::rewrites::{Rewrite, arguments};

/// Every null-handling function, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    let rewrites = [
        Rewrite::new("equal_null", Signature::comparable(2, Volatility::Immutable), |_| Ok(DataType::Boolean), |args, _| {
            let [left, right] = arguments("equal_null", args)?;
            Ok(binary_expr(left, Operator::IsNotDistinctFrom, right))
        }),
        Rewrite::new("nullifzero", Signature::numeric(1, Volatility::Immutable), same_type, |args, info| {
            let [value] = arguments("nullifzero", args)?;
            let data_type = value.get_type(info.schema())?;
            let null = ScalarValue::try_from(&data_type)?;
            when(value.clone().eq(cast(lit(0), data_type)), lit(null)).otherwise(value)
        }),
        Rewrite::new("zeroifnull", Signature::numeric(1, Volatility::Immutable), same_type, |args, info| {
            let [value] = arguments("zeroifnull", args)?;
            let zero = cast(lit(0), value.get_type(info.schema())?);
            Ok(coalesce(vec![value, zero]))
        }),
    ];
    rewrites.into_iter().map(ScalarUDF::new_from_impl).collect()
}

/// The type of the first argument, which these functions return.
fn same_type(types: &[DataType]) -> Result<DataType> {
    Ok(types.first().cloned().unwrap_or(DataType::Null))
}
