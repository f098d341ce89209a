//! Output column names as Spark prints them: `count(1)`, `sum(x)`, `(a + b)`,
//! `CAST(a AS INT)`, computed from the unresolved Connect expression.

use spark_connect_proto::Expression;
use spark_connect_proto::expression::ExprType;
use spark_connect_proto::expression::cast::CastToType;

use crate::plan::identifiers::parse_identifier;
use crate::plan::literals;
use crate::types::{arrow_type, parse_type_name, sql_type_name};

/// Spark's name for the column an expression produces.
pub fn spark_name(expr: &Expression) -> String {
    match expr.expr_type.as_ref() {
        Some(ExprType::Literal(literal)) => literals::name(literal),
        Some(ExprType::UnresolvedAttribute(attr)) => {
            parse_identifier(&attr.unparsed_identifier).last().cloned().unwrap_or_default()
        }
        Some(ExprType::UnresolvedFunction(f)) => {
            let args: Vec<String> = f.arguments.iter().map(spark_name).collect();
            function_name(&f.function_name, &args, f.is_distinct)
        }
        Some(ExprType::Alias(alias)) => alias.name.join("."),
        Some(ExprType::Cast(cast)) => {
            let child = cast.expr.as_deref().map(spark_name).unwrap_or_default();
            let type_name = match &cast.cast_to_type {
                Some(CastToType::Type(t)) => arrow_type(t).map(|t| sql_type_name(&t)),
                Some(CastToType::TypeStr(s)) => parse_type_name(s).map(|t| sql_type_name(&t)),
                None => None,
            }
            .unwrap_or_else(|| "?".into());
            format!("CAST({child} AS {type_name})")
        }
        Some(ExprType::ExpressionString(s)) => s.expression.clone(),
        Some(ExprType::UnresolvedStar(_)) => "*".into(),
        Some(ExprType::SortOrder(order)) => order.child.as_deref().map(spark_name).unwrap_or_default(),
        Some(ExprType::Window(w)) => {
            let function = w.window_function.as_deref().map(spark_name).unwrap_or_default();
            format!("{function} OVER ({})", window_spec_name(w))
        }
        Some(ExprType::UnresolvedExtractValue(e)) => {
            let child = e.child.as_deref().map(spark_name).unwrap_or_default();
            let field = e.extraction.as_deref().map(spark_name).unwrap_or_default();
            format!("{child}.{field}")
        }
        Some(ExprType::CommonInlineUserDefinedFunction(f)) => {
            let args: Vec<String> = f.arguments.iter().map(spark_name).collect();
            format!("{}({})", f.function_name, args.join(", "))
        }
        Some(ExprType::CallFunction(f)) => {
            let args: Vec<String> = f.arguments.iter().map(spark_name).collect();
            function_name(&f.function_name, &args, false)
        }
        _ => "expr".into(),
    }
}

fn window_spec_name(w: &spark_connect_proto::expression::Window) -> String {
    let mut parts = Vec::new();
    if !w.partition_spec.is_empty() {
        let keys: Vec<String> = w.partition_spec.iter().map(spark_name).collect();
        parts.push(format!("PARTITION BY {}", keys.join(", ")));
    }
    if !w.order_spec.is_empty() {
        let keys: Vec<String> = w
            .order_spec
            .iter()
            .map(|o| {
                let child = o.child.as_deref().map(spark_name).unwrap_or_default();
                let desc = o.direction == 2;
                let nulls_first = match o.null_ordering {
                    1 => true,
                    2 => false,
                    _ => !desc,
                };
                format!(
                    "{child} {} NULLS {}",
                    if desc { "DESC" } else { "ASC" },
                    if nulls_first { "FIRST" } else { "LAST" }
                )
            })
            .collect();
        parts.push(format!("ORDER BY {}", keys.join(", ")));
    }
    let frame = if w.order_spec.is_empty() {
        "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
    } else {
        "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    };
    parts.push(frame.to_string());
    parts.join(" ")
}

/// Functions whose column names Spark prints in capitals.
const UPPERCASE_NAMES: &[&str] = &[
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "cos", "cosh", "cot", "csc", "degrees", "exp",
    "expm1", "hypot", "log10", "log1p", "log2", "pi", "power", "radians", "regexp", "regexp_like", "sec", "signum",
    "sin", "sinh", "spark_partition_id", "sqrt", "tan", "tanh",
];

/// Spark's name for a function call over arguments already named.
pub fn function_name(name: &str, args: &[String], distinct: bool) -> String {
    let binary = |op: &str| format!("({} {op} {})", args[0], args[1]);
    let lower = name.to_ascii_lowercase();
    match (lower.as_str(), args.len()) {
        ("+" | "-" | "*" | "/" | "%" | "<" | "<=" | ">" | ">=" | "<=>" | "&" | "|" | "^", 2) => binary(name),
        ("==", 2) => binary("="),
        ("!=", 2) => format!("(NOT ({} = {}))", args[0], args[1]),
        ("and", 2) => binary("AND"),
        ("or", 2) => binary("OR"),
        ("not", 1) => format!("(NOT {})", args[0]),
        // `-col` reaches Spark Connect as the function `negative`, which Spark names as
        // such; only SQL's `-a` prints as `(- a)`.
        ("negative", 1) => format!("negative({})", args[0]),
        ("isnull", 1) => format!("({} IS NULL)", args[0]),
        ("isnotnull", 1) => format!("({} IS NOT NULL)", args[0]),
        ("like", 2) => format!("{} LIKE {}", args[0], args[1]),
        ("ilike", 2) => format!("ilike({}, {})", args[0], args[1]),
        ("rlike", 2) => format!("RLIKE({}, {})", args[0], args[1]),
        ("in", n) if n >= 1 => format!("({} IN ({}))", args[0], args[1..].join(", ")),
        ("when", n) if n >= 2 => {
            let mut text = String::from("CASE");
            for pair in args.chunks(2) {
                match pair {
                    [cond, value] => text.push_str(&format!(" WHEN {cond} THEN {value}")),
                    [otherwise] => text.push_str(&format!(" ELSE {otherwise}")),
                    _ => {}
                }
            }
            text.push_str(" END");
            text
        }
        ("count", 1) if args[0] == "*" => "count(1)".into(),
        // first(x, ignorenulls) is named first(x) whether it ignores nulls or not.
        ("first" | "last" | "first_value" | "last_value", 2) => format!("{lower}({})", args[0]),
        // Spark's trim functions print as the SQL TRIM forms when given a trim string
        // (the client sends it first).
        ("ltrim", 2) => format!("TRIM(LEADING {} FROM {})", args[0], args[1]),
        ("rtrim", 2) => format!("TRIM(TRAILING {} FROM {})", args[0], args[1]),
        ("trim", 2) => format!("TRIM(BOTH {} FROM {})", args[0], args[1]),
        // Spark's math expressions print their names in capitals (`ACOS(x)`), `ceil` and
        // `floor` only without a scale, `log` with a base; `log(x)` is `ln(x)`.
        (math, _) if UPPERCASE_NAMES.contains(&math) => format!("{}({})", lower.to_ascii_uppercase(), args.join(", ")),
        ("ceil" | "floor", 1) => format!("{}({})", lower.to_ascii_uppercase(), args[0]),
        ("log", 2) => format!("LOG({}, {})", args[0], args[1]),
        ("log", 1) => format!("ln({})", args[0]),
        ("e", 0) => "E()".into(),
        // Spark prints the default scale of `round` and `bround`.
        ("round" | "bround", 1) => format!("{lower}({}, 0)", args[0]),
        ("locate" | "position", 2) => format!("{lower}({}, {}, 1)", args[0], args[1]),
        ("current_database", 0) => "current_schema()".into(),
        // Spark names the default message assert_true fails with.
        ("assert_true", 1) => format!("assert_true({0}, '{0}' is not true!)", args[0]),
        ("positive", 1) => format!("(+ {})", args[0]),
        ("~", 1) => format!("~{}", args[0]),
        ("mean", _) => format!("avg({})", args.join(", ")),
        // Spark names the pattern these functions take by default.
        ("unix_timestamp" | "to_unix_timestamp", 1) => format!("{lower}({}, yyyy-MM-dd HH:mm:ss)", args[0]),
        ("dateadd", _) => format!("date_add({})", args.join(", ")),
        // Spark leaves the time zone out of this name.
        ("try_make_timestamp", 7) => format!("try_make_timestamp({})", args[..6].join(", ")),
        // The schema and options of the JSON and CSV functions are not children of Spark's
        // expression, so its name shows the input alone.
        ("from_json" | "from_csv" | "to_json" | "to_csv" | "schema_of_json" | "schema_of_csv", n) if n >= 1 => {
            format!("{lower}({})", args[0])
        }
        _ => {
            let distinct = if distinct { "DISTINCT " } else { "" };
            format!("{name}({distinct}{})", args.join(", "))
        }
    }
}

/// Spark's name for a column DataFusion's SQL planner named: `count(*)` is `count(1)`,
/// columns lose their table qualifier (`sum(t.x)` is `sum(x)`, `sum(range().id)` is
/// `sum(id)`) and typed literals lose
/// their type (`Int64(1)` is `1`, `Decimal128(1.5,2,1)` is `1.5`). Aliased names pass
/// through unchanged.
pub fn spark_sql_name(name: &str) -> String {
    static QUALIFIER: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\b[A-Za-z_][A-Za-z0-9_]*(?:\(\))?\.([A-Za-z_][A-Za-z0-9_]*)").ok());
    static LITERAL: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(concat!(
            r#"\b(?:Int8|Int16|Int32|Int64|UInt8|UInt16|UInt32|UInt64|Float32|Float64|Boolean)\(([^()]*)\)"#,
            r#"|Utf8(?:View)?\("([^"]*)"\)|\bDecimal128\(([^(),]*),\d+,\d+\)"#
        ))
        .ok()
    });
    if !name.contains('(') {
        return name.to_string();
    }
    let mut out = name.replace("count(*)", "count(1)");
    if let Some(re) = QUALIFIER.as_ref() {
        out = re.replace_all(&out, "$1").into_owned();
    }
    if let Some(re) = LITERAL.as_ref() {
        out = re.replace_all(&out, "$1$2$3").into_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_names_print_like_spark() {
        assert_eq!(spark_sql_name("count(*)"), "count(1)");
        assert_eq!(spark_sql_name("sum(range().id)"), "sum(id)");
        assert_eq!(spark_sql_name("sum(people.age)"), "sum(age)");
        assert_eq!(spark_sql_name("upper(t.name)"), "upper(name)");
        assert_eq!(spark_sql_name("round(t.x, Int64(2))"), "round(x, 2)");
        assert_eq!(spark_sql_name("answer"), "answer");
        assert_eq!(spark_sql_name("Decimal128(1.5,2,1) + Int64(1)"), "1.5 + 1");
    }

    #[test]
    fn operators_print_like_spark() {
        assert_eq!(function_name("+", &["a".into(), "b".into()], false), "(a + b)");
        assert_eq!(function_name("count", &["x".into()], true), "count(DISTINCT x)");
        assert_eq!(function_name("count", &["*".into()], false), "count(1)");
        assert_eq!(function_name("negative", &["a".into()], false), "negative(a)");
        // Spark's doctests of pyspark.sql.functions.
        assert_eq!(function_name("acos", &["value".into()], false), "ACOS(value)");
        assert_eq!(function_name("ceil", &["-0.1".into()], false), "CEIL(-0.1)");
        assert_eq!(function_name("ceil", &["-0.1".into(), "1".into()], false), "ceil(-0.1, 1)");
        assert_eq!(function_name("log", &["2.0".into(), "value".into()], false), "LOG(2.0, value)");
        assert_eq!(function_name("log", &["id".into()], false), "ln(id)");
        assert_eq!(function_name("bround", &["2.5".into()], false), "bround(2.5, 0)");
        assert_eq!(function_name("current_database", &[], false), "current_schema()");
        assert_eq!(function_name("positive", &["value".into()], false), "(+ value)");
        assert_eq!(function_name("~", &["value".into()], false), "~value");
    }
}
