//! Spark's datetime functions that are expressions over DataFusion's: `date_format` and
//! `from_unixtime` (Spark patterns, session time zone), `timestamp_seconds`,
//! `timestamp_millis`, `timestamp_micros`, `date_from_unix_date`, `current_timezone`.

use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::functions::expr_fn::to_char;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{Expr, ExprSchemable, ScalarUDF, Signature, TypeSignature, Volatility, cast, lit};

use super::datetime_patterns::to_strftime;
use super::rewrites::{Rewrite, arguments};

/// Spark's pattern when `from_unixtime` is given none.
const DEFAULT_PATTERN: &str = "yyyy-MM-dd HH:mm:ss";

/// Every rewritten datetime function, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    let timestamp = |_: &[DataType]| -> Result<DataType> { Ok(DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))) };
    let one = || Signature::any(1, Volatility::Immutable);
    let one_or_two = || Signature::one_of(vec![TypeSignature::Any(1), TypeSignature::Any(2)], Volatility::Immutable);
    [
        Rewrite::new("date_format", Signature::any(2, Volatility::Immutable), |_| Ok(DataType::Utf8), date_format),
        Rewrite::new("from_unixtime", one_or_two(), |_| Ok(DataType::Utf8), from_unixtime),
        Rewrite::new("timestamp_seconds", one(), timestamp, |args, info| {
            let [seconds] = arguments("timestamp_seconds", args)?;
            let micros = match seconds.get_type(info.schema())? {
                t if t.is_integer() => cast(seconds, DataType::Int64) * lit(1_000_000_i64),
                _ => cast(cast(seconds, DataType::Float64) * lit(1_000_000_f64), DataType::Int64),
            };
            Ok(micros_to_timestamp(micros))
        }),
        Rewrite::new("timestamp_millis", one(), timestamp, |args, _| {
            let [millis] = arguments("timestamp_millis", args)?;
            Ok(micros_to_timestamp(cast(millis, DataType::Int64) * lit(1_000_i64)))
        }),
        Rewrite::new("timestamp_micros", one(), timestamp, |args, _| {
            let [micros] = arguments("timestamp_micros", args)?;
            Ok(micros_to_timestamp(cast(micros, DataType::Int64)))
        }),
        Rewrite::new("date_from_unix_date", one(), |_| Ok(DataType::Date32), |args, _| {
            let [days] = arguments("date_from_unix_date", args)?;
            Ok(cast(cast(days, DataType::Int32), DataType::Date32))
        }),
        Rewrite::new("current_timezone", Signature::nullary(Volatility::Stable), |_| Ok(DataType::Utf8), |args, info| {
            let [] = arguments("current_timezone", args)?;
            Ok(lit(session_time_zone(info)))
        }),
    ]
    .into_iter()
    .map(ScalarUDF::new_from_impl)
    .collect()
}

/// `micros` since the epoch as Flint's `TIMESTAMP`.
fn micros_to_timestamp(micros: Expr) -> Expr {
    cast(micros, DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())))
}

/// The session time zone (`spark.sql.session.timeZone`).
fn session_time_zone(info: &SimplifyContext) -> String {
    info.config_options().execution.time_zone.clone().unwrap_or_else(|| "UTC".to_string())
}

/// `date_format(value, pattern)`: a date, timestamp or text written with Spark's
/// `pattern`; instants as wall-clock times of the session time zone.
fn date_format(args: Vec<Expr>, info: &SimplifyContext) -> Result<Expr> {
    let [value, pattern] = arguments("date_format", args)?;
    let value = match value.get_type(info.schema())? {
        DataType::Timestamp(_, Some(_)) => {
            cast(value, DataType::Timestamp(TimeUnit::Microsecond, Some(session_time_zone(info).into())))
        }
        _ => cast(value, DataType::Timestamp(TimeUnit::Microsecond, None)),
    };
    Ok(to_char(value, lit(strftime_of("date_format", &pattern)?)))
}

/// `from_unixtime(seconds[, pattern])`: seconds since the epoch written with Spark's
/// `pattern` as a wall-clock time of the session time zone.
fn from_unixtime(mut args: Vec<Expr>, info: &SimplifyContext) -> Result<Expr> {
    let pattern = if args.len() == 2 { strftime_of("from_unixtime", &args.remove(1))? } else { to_strftime(DEFAULT_PATTERN)? };
    let [seconds] = arguments("from_unixtime", args)?;
    let zone = session_time_zone(info);
    let instant = cast(cast(seconds, DataType::Int64), DataType::Timestamp(TimeUnit::Second, Some(zone.into())));
    Ok(to_char(instant, lit(pattern)))
}

/// The `strftime` form of the Spark pattern literal `pattern` given to `function`.
fn strftime_of(function: &str, pattern: &Expr) -> Result<String> {
    match pattern {
        Expr::Literal(ScalarValue::Utf8(Some(p)) | ScalarValue::Utf8View(Some(p)) | ScalarValue::LargeUtf8(Some(p)), _) => {
            to_strftime(p)
        }
        _ => plan_err!("{function}: the datetime pattern must be a string literal"),
    }
}
