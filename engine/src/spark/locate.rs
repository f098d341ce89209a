//! Spark's `locate(substr, str[, pos])`: the 1-based position of the first `substr` in
//! `str` at or after `pos`, 0 when there is none.

use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::functions::expr_fn::{strpos, substr};
use datafusion::logical_expr::{Expr, ScalarUDF, Signature, TypeSignature, Volatility, cast, lit, when};

use crate::spark::rewrites::Rewrite;

/// `locate`, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    let signature = Signature::one_of(vec![TypeSignature::Any(2), TypeSignature::Any(3)], Volatility::Immutable);
    vec![ScalarUDF::new_from_impl(Rewrite::new("locate", signature, |_| Ok(DataType::Int32), |args, _| locate(args)))]
}

/// Spark's `StringLocate`: a NULL `pos` gives 0 (as Hive does), a NULL `substr` or `str`
/// NULL, a `pos` below 1 gives 0, and an empty `substr` is found at 1.
fn locate(args: Vec<Expr>) -> Result<Expr> {
    let mut args = args.into_iter();
    let (Some(needle), Some(haystack)) = (args.next(), args.next()) else {
        return plan_err!("[WRONG_NUM_ARGS] locate takes 2 or 3 arguments");
    };
    let pos = cast(args.next().unwrap_or(lit(1)), DataType::Int32);
    let needle = cast(needle, DataType::Utf8);
    let haystack = cast(haystack, DataType::Utf8);
    let found = strpos(substr(haystack.clone(), cast(pos.clone(), DataType::Int64)), needle.clone());
    let null = lit(ScalarValue::Int32(None));
    when(pos.clone().is_null(), lit(0))
        .when(needle.clone().is_null().or(haystack.is_null()), null)
        .when(pos.clone().lt(lit(1)), lit(0))
        .when(needle.eq(lit("")), lit(1))
        .when(found.clone().eq(lit(0)), lit(0))
        .otherwise(cast(found, DataType::Int32) + pos - lit(1))
}
