//! Spark's logarithms: `ln`, `log`, `log10` and `log2` are NULL for an argument (or a
//! base) that is zero or negative, where DataFusion's give `-inf` or `NaN`; `log(x)` with
//! one argument is the natural logarithm (DataFusion's is base 10). `log1p`, which
//! DataFusion lacks, is NULL where the argument is -1 or less.

use std::sync::Arc;

use arrow::array::{AsArray, Float64Array};
use arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::functions::math::expr_fn::{ln, log10};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility, cast, lit,
    when,
};

use crate::spark::rewrites::{Rewrite, arguments};

/// Every function of this module, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    let one = || Signature::any(1, Volatility::Immutable);
    let rewrites = vec![
        Rewrite::new("ln", one(), double, |args, _| {
            let [x] = arguments("ln", args)?;
            positive_only(std::slice::from_ref(&x), ln(as_double(x.clone())))
        }),
        Rewrite::new("log10", one(), double, |args, _| {
            let [x] = arguments("log10", args)?;
            positive_only(std::slice::from_ref(&x), log10(as_double(x.clone())))
        }),
        Rewrite::new("log2", one(), double, |args, _| {
            let [x] = arguments("log2", args)?;
            // Spark's Log2 is ln(x) / ln(2), which rounds differently from a native log2.
            positive_only(std::slice::from_ref(&x), ln(as_double(x.clone())) / ln(lit(2.0)))
        }),
        Rewrite::new(
            "log",
            Signature::one_of(vec![TypeSignature::Any(1), TypeSignature::Any(2)], Volatility::Immutable),
            double,
            |args, _| match <[Expr; 2]>::try_from(args) {
                // Spark's Logarithm: ln(x) / ln(base), so log(1, x) is infinite.
                Ok([base, x]) => positive_only(&[base.clone(), x.clone()], ln(as_double(x)) / ln(as_double(base))),
                Err(args) => match <[Expr; 1]>::try_from(args) {
                    Ok([x]) => positive_only(std::slice::from_ref(&x), ln(as_double(x.clone()))),
                    Err(args) => plan_err!("[WRONG_NUM_ARGS] log takes 1 or 2 arguments, not {}", args.len()),
                },
            },
        ),
    ];
    let log1p = ScalarUDF::new_from_impl(Log1p {
        signature: Signature::uniform(1, vec![DataType::Float64], Volatility::Immutable),
    });
    rewrites.into_iter().map(ScalarUDF::new_from_impl).chain([log1p]).collect()
}

/// Spark's `log1p(x)`: `ln(1 + x)` without rounding `1 + x` first, NULL where `x <= -1`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Log1p {
    signature: Signature,
}

impl ScalarUDFImpl for Log1p {
    fn name(&self) -> &str {
        "log1p"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [x] = args.args.as_slice() else { return exec_err!("log1p takes one argument") };
        let x = x.to_array(args.number_rows)?;
        let Some(x) = x.as_primitive_opt::<Float64Type>() else { return exec_err!("log1p takes a DOUBLE") };
        let logs: Float64Array = x.iter().map(|v| v.filter(|v| v.is_nan() || *v > -1.0).map(f64::ln_1p)).collect();
        Ok(ColumnarValue::Array(Arc::new(logs)))
    }
}

/// Spark's logarithms are DOUBLE.
fn double(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Float64)
}

/// `value` where every one of `inputs` is greater than zero, NULL elsewhere.
fn positive_only(inputs: &[Expr], value: Expr) -> Result<Expr> {
    let positive = inputs.iter().map(|x| as_double(x.clone()).gt(lit(0.0))).reduce(Expr::and);
    match positive {
        Some(positive) => when(positive, value).otherwise(lit(ScalarValue::Float64(None))),
        None => plan_err!("a logarithm takes at least one argument"),
    }
}

/// `x` as Spark's logarithms take it, a DOUBLE.
fn as_double(x: Expr) -> Expr {
    cast(x, DataType::Float64)
}
