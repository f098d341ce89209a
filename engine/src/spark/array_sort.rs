//! Spark's array sorts over DataFusion's `array_sort`, with Spark's null order:
//! `array_sort(a)` puts nulls last; `sort_array(a[, asc])` puts them first ascending and
//! last descending.

use datafusion::common::{ScalarValue, plan_err};
use datafusion::functions_nested::expr_fn::array_sort;
use datafusion::logical_expr::{Expr, ScalarUDF, Signature, TypeSignature, Volatility, lit};

use crate::spark::rewrites::{Rewrite, arguments};

/// Every function of this module, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    let one_or_two = || Signature::one_of(vec![TypeSignature::Any(1), TypeSignature::Any(2)], Volatility::Immutable);
    let rewrites = vec![
        Rewrite::new("array_sort", Signature::any(1, Volatility::Immutable), |types| Ok(types[0].clone()), |args, _| {
            let [array] = arguments("array_sort", args)?;
            Ok(array_sort(array, lit("ASC"), lit("NULLS LAST")))
        }),
        Rewrite::new("sort_array", one_or_two(), |types| Ok(types[0].clone()), |mut args, _| {
            let ascending = match args.len() {
                1 => true,
                2 => match args.pop() {
                    Some(Expr::Literal(ScalarValue::Boolean(Some(ascending)), _)) => ascending,
                    _ => {
                        return plan_err!(
                            "[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] sort_array takes a literal true or false as its \
                             second argument (ascending order)"
                        );
                    }
                },
                n => return plan_err!("[WRONG_NUM_ARGS] sort_array takes 1 or 2 arguments, not {n}"),
            };
            let [array] = arguments("sort_array", args)?;
            let (order, nulls) = if ascending { ("ASC", "NULLS FIRST") } else { ("DESC", "NULLS LAST") };
            Ok(array_sort(array, lit(order), lit(nulls)))
        }),
    ];
    rewrites.into_iter().map(ScalarUDF::new_from_impl).collect()
}
