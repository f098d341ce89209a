//! Spark SQL's two-argument `ltrim(trimStr, str)`, `rtrim(trimStr, str)` and
//! `trim(trimStr, str)`, which take the trim string first, read as the `TRIM(LEADING
//! trimStr FROM str)` forms DataFusion plans (its `ltrim(str, trimStr)` takes it second).

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, TrimWhereField, visit_expressions_mut,
};

/// Rewrites the two-argument trim calls of `statement` into `TRIM(… FROM …)`.
pub fn spark_trim_arguments(statement: &mut Statement) {
    let Statement::Statement(statement) = statement else { return };
    let _: ControlFlow<()> = visit_expressions_mut(statement.as_mut(), |expr| {
        if let Some(trim) = as_trim(expr) {
            *expr = trim;
        }
        ControlFlow::Continue(())
    });
}

/// The `TRIM(… FROM …)` form of `expr` when it is a two-argument trim call.
fn as_trim(expr: &Expr) -> Option<Expr> {
    let Expr::Function(function) = expr else { return None };
    let [name] = function.name.0.as_slice() else { return None };
    let trim_where = match name.as_ident()?.value.to_ascii_lowercase().as_str() {
        "ltrim" => TrimWhereField::Leading,
        "rtrim" => TrimWhereField::Trailing,
        "trim" => TrimWhereField::Both,
        _ => return None,
    };
    let FunctionArguments::List(list) = &function.args else { return None };
    let unnamed = |arg: &FunctionArg| match arg {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
        _ => None,
    };
    let [trim_string, text] = list.args.as_slice() else { return None };
    Some(Expr::Trim {
        trim_where: Some(trim_where),
        trim_what: Some(Box::new(unnamed(trim_string)?)),
        expr: Box::new(unnamed(text)?),
        trim_characters: None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn the_trim_string_comes_first() {
        let mut statements = crate::sql::parse_statements("SELECT ltrim('xy', s), trim('x', s), ltrim(s) FROM t").unwrap();
        let text = statements.pop_front().unwrap().to_string();
        assert_eq!(text, "SELECT TRIM(LEADING 'xy' FROM s), TRIM(BOTH 'x' FROM s), ltrim(s) FROM t");
    }
}
