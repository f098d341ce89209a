//! Spark functions whose arguments the Connect client sends in another order than the
//! DataFusion function of the same meaning takes them: `ltrim(col, trim)` arrives as
//! `ltrim(trim, col)` (Spark's `StringTrimLeft(trimStr, srcStr)`), DataFusion's `ltrim`
//! takes `(str, trim)`.

use datafusion::logical_expr::Expr;

/// The DataFusion function name and arguments for Spark function `name` (lower case)
/// called on `args` as the client sent them.
pub fn to_datafusion(name: &str, mut args: Vec<Expr>) -> (&str, Vec<Expr>) {
    let target = match name {
        "ltrim" | "rtrim" => name,
        "trim" => "btrim",
        _ => return (name, args),
    };
    if args.len() == 2 {
        args.swap(0, 1);
        return (target, args);
    }
    (name, args)
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::{col, lit};

    use super::*;

    #[test]
    fn a_trim_string_comes_first_from_spark_and_second_to_datafusion() {
        let (name, args) = to_datafusion("trim", vec![lit("x"), col("s")]);
        assert_eq!((name, args), ("btrim", vec![col("s"), lit("x")]));
        let (name, args) = to_datafusion("ltrim", vec![col("s")]);
        assert_eq!((name, args), ("ltrim", vec![col("s")]));
    }
}
