//! Spark SQL's two-argument `ltrim(trimStr, str)`, `rtrim(trimStr, str)` and
//! `trim(trimStr, str)`, which take the trim string first, read as the `TRIM(LEADING
//! trimStr FROM str)` forms DataFusion plans (its `ltrim(str, trimStr)` takes it second).
//! `trim` is a keyword to sqlparser, whose `TRIM(a, b)` (with the Spark dialect's
//! comma-separated trim) arrives here as an `Expr::Trim` with `trim_characters`.

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
    // `trim(trimStr, str)`, parsed as `Trim { expr: trimStr, trim_characters: [str] }`.
    if let Expr::Trim { expr: trim_string, trim_where: None, trim_what: None, trim_characters: Some(text) } = expr {
        let [text] = text.as_slice() else { return None };
        return Some(Expr::Trim {
            trim_where: Some(TrimWhereField::Both),
            trim_what: Some(trim_string.clone()),
            expr: Box::new(text.clone()),
            trim_characters: None,
        });
    }
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
        let sql = "SELECT ltrim('xy', s), trim('x', s), ltrim(s), trim(s), trim(LEADING 'y' FROM s) FROM t";
        let text = crate::sql::parse_statements(sql).unwrap().pop_front().unwrap().to_string();
        let spark = "SELECT TRIM(LEADING 'xy' FROM s), TRIM(BOTH 'x' FROM s), ltrim(s), TRIM(s), TRIM(LEADING 'y' FROM s) FROM t";
        assert_eq!(text, spark);
    }
}
