//! `json_tuple(json, 'a', 'b', …)` in a select: Spark's generator gives one column per
//! field, named `c0`, `c1`, …; datafusion-spark's `json_tuple` gives one struct with those
//! fields, which this spreads into columns.

use datafusion::logical_expr::{Expr, lit};
use spark_connect_proto::Expression;
use spark_connect_proto::expression::ExprType;

use crate::errors::Result;
use crate::plan::expressions::ExprConverter;

/// The columns of `expr` when it is a `json_tuple` call, `None` for any other expression.
pub fn columns(c: &ExprConverter<'_>, expr: &Expression) -> Result<Option<Vec<Expr>>> {
    let Some(ExprType::UnresolvedFunction(f)) = expr.expr_type.as_ref() else { return Ok(None) };
    if !f.function_name.eq_ignore_ascii_case("json_tuple") {
        return Ok(None);
    }
    let tuple = c.expr(expr)?;
    let fields = f.arguments.len().saturating_sub(1);
    Ok(Some(
        (0..fields)
            .map(|i| {
                let name = format!("c{i}");
                datafusion::functions::core::get_field().call(vec![tuple.clone(), lit(name.as_str())]).alias(name)
            })
            .collect(),
    ))
}
