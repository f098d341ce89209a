//! Spark built-in functions by name, found among the session's scalar, aggregate and
//! window functions (DataFusion's and datafusion-spark's), with Spark's aliases.

use datafusion::common::DFSchema;
use datafusion::execution::SessionState;
use std::sync::Arc;

use datafusion::logical_expr::expr::{HigherOrderFunction, NullTreatment, ScalarFunction};
use datafusion::logical_expr::{Expr, ExprFunctionExt, WindowFunctionDefinition};

use crate::errors::{ConnectError, Result};

/// Spark function names whose DataFusion function has another name.
const ALIASES: &[(&str, &str)] = &[
    ("mean", "avg"),
    ("std", "stddev"),
    ("stddev_samp", "stddev"),
    ("variance", "var_samp"),
    ("collect_list", "array_agg"),
    ("first", "first_value"),
    ("last", "last_value"),
    ("startswith", "starts_with"),
    ("endswith", "ends_with"),
    ("ifnull", "coalesce"),
    ("nvl", "coalesce"),
    ("isnan", "isnan"),
    ("array", "make_array"),
    ("approx_count_distinct", "approx_distinct"),
    ("countDistinct", "count"),
    ("count_distinct", "count"),
    ("sumDistinct", "sum"),
    ("char_length", "character_length"),
    ("length", "character_length"),
    ("substring", "substr"),
    ("power", "power"),
    ("pow", "power"),
    ("ln", "ln"),
    ("log10", "log10"),
    ("ceiling", "ceil"),
    ("sign", "signum"),
    ("to_date", "to_date"),
    ("lcase", "lower"),
    ("ucase", "upper"),
    ("~", "bitwise_not"),
    // Flint runs with spark.sql.ansi.enabled=false: make_interval is NULL on overflow.
    ("try_make_interval", "make_interval"),
    ("extract", "date_part"),
];

/// Functions that Spark treats as DISTINCT aggregates by name.
const DISTINCT_BY_NAME: &[&str] = &["countDistinct", "count_distinct", "sumDistinct", "collect_set"];

/// Calls Spark function `name` on `args`.
pub fn call(state: &SessionState, name: &str, args: Vec<Expr>, distinct: bool, _schema: &DFSchema) -> Result<Expr> {
    let lower = name.to_ascii_lowercase();
    let distinct = distinct || DISTINCT_BY_NAME.contains(&name);
    let mut args = crate::plan::format_arguments::prepare(&lower, args)?;
    // first(col, ignorenulls) / last(col, ignorenulls): DataFusion takes the column and
    // IGNORE NULLS.
    if matches!(lower.as_str(), "first" | "last" | "first_value" | "last_value") && args.len() == 2 {
        let ignore_nulls = match args.pop() {
            Some(Expr::Literal(datafusion::common::ScalarValue::Boolean(Some(ignore)), _)) => ignore,
            _ => {
                return Err(ConnectError::InvalidPlan {
                    reason: format!("{name}: ignorenulls must be a literal true or false"),
                });
            }
        };
        let target = if lower.starts_with("first") { "first_value" } else { "last_value" };
        let Some(udaf) = state.aggregate_functions().get(target) else {
            return Err(ConnectError::UnresolvedRoutine { name: name.to_string() });
        };
        let treatment = if ignore_nulls { NullTreatment::IgnoreNulls } else { NullTreatment::RespectNulls };
        return Ok(udaf.call(args).null_treatment(treatment).build()?);
    }
    let (target, mut args) = crate::plan::argument_order::to_datafusion(&lower, args);
    let lower = target.to_string();
    // map(k1, v1, k2, v2, …) → DataFusion's map(make_array(k…), make_array(v…)).
    if lower == "map" && !args.is_empty() && args.len().is_multiple_of(2) {
        let (keys, values): (Vec<_>, Vec<_>) = args.chunks(2).map(|kv| (kv[0].clone(), kv[1].clone())).unzip();
        use datafusion::functions_nested::expr_fn::make_array;
        args = vec![make_array(keys), make_array(values)];
    }
    if lower == "collect_set" {
        return aggregate(state, "array_agg", args, true, name);
    }
    // transform(arr, x -> …) and the other functions that take lambdas.
    if args.iter().any(|a| matches!(a, Expr::Lambda(_)))
        && let Some(function) = state.higher_order_functions().get(&lower)
    {
        return Ok(Expr::HigherOrderFunction(HigherOrderFunction::new(Arc::clone(function), args)));
    }
    // Spark-specific implementations first (datafusion-spark registers them under the
    // Spark name), then DataFusion's under Spark's alias.
    if let Some(udf) = state.scalar_functions().get(&lower) {
        return Ok(Expr::ScalarFunction(ScalarFunction::new_udf(udf.clone(), args)));
    }
    if state.aggregate_functions().contains_key(&lower) {
        return aggregate(state, &lower, args, distinct, name);
    }
    let target = ALIASES.iter().find(|(spark, _)| *spark == name || *spark == lower).map(|(_, df)| *df);
    if let Some(target) = target {
        if let Some(udf) = state.scalar_functions().get(target) {
            return Ok(Expr::ScalarFunction(ScalarFunction::new_udf(udf.clone(), args)));
        }
        if state.aggregate_functions().contains_key(target) {
            return aggregate(state, target, args, distinct, name);
        }
    }
    if let Some(udwf) = state.window_functions().get(&lower) {
        return Ok(Expr::from(datafusion::logical_expr::expr::WindowFunction::new(
            WindowFunctionDefinition::WindowUDF(udwf.clone()),
            args,
        )));
    }
    Err(ConnectError::UnresolvedRoutine { name: name.to_string() })
}

fn aggregate(state: &SessionState, df_name: &str, args: Vec<Expr>, distinct: bool, spark: &str) -> Result<Expr> {
    let Some(udaf) = state.aggregate_functions().get(df_name) else {
        return Err(ConnectError::UnresolvedRoutine { name: spark.to_string() });
    };
    let call = udaf.call(args);
    Ok(if distinct { call.distinct().build()? } else { call })
}

/// The window function definition for `name`: a window function (`row_number`, `rank`,
/// `lag` …) or an aggregate used over a window.
pub fn window_definition(state: &SessionState, name: &str) -> Result<WindowFunctionDefinition> {
    let lower = name.to_ascii_lowercase();
    let target = ALIASES.iter().find(|(spark, _)| *spark == lower).map(|(_, df)| *df).unwrap_or(&lower);
    if let Some(udwf) = state.window_functions().get(&lower).or_else(|| state.window_functions().get(target)) {
        return Ok(WindowFunctionDefinition::WindowUDF(udwf.clone()));
    }
    if let Some(udaf) = state.aggregate_functions().get(&lower).or_else(|| state.aggregate_functions().get(target)) {
        return Ok(WindowFunctionDefinition::AggregateUDF(udaf.clone()));
    }
    Err(ConnectError::UnresolvedRoutine { name: name.to_string() })
}
