//! Spark's answers with `spark.sql.ansi.enabled=false` (Flint's fixed mode) where
//! DataFusion's differ: `/` and `%` by zero give NULL (DataFusion gave Infinity or an
//! error), and a string that is not a number or a boolean casts to NULL (DataFusion
//! failed the query), parsed as Spark parses it: `CAST(' 1.9 ' AS INT)` is 1,
//! `CAST('1.5d' AS DOUBLE)` is 1.5, `CAST('yes' AS BOOLEAN)` is true.
//!
//! Strings cast to decimals, dates and timestamps keep DataFusion's cast, which fails on
//! what it cannot read (its readers accept less than Spark's, so NULL there could be a
//! wrong answer).

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BooleanArray, PrimitiveArray};
use arrow::compute::cast as cast_array;
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result, ScalarValue, exec_err};
use datafusion::logical_expr::expr::Cast;
use datafusion::logical_expr::expr_rewriter::FunctionRewrite;
use datafusion::logical_expr::{
    BinaryExpr, ColumnarValue, Expr, ExprSchemable, Operator, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility, cast, lit, when,
};

use crate::spark::null_rows::{columnar, rows_of};

/// Rewrites `/` and `%` over numbers, and casts of strings to numbers and booleans, to
/// Spark's non-ANSI forms. Runs before type coercion, on every plan (SQL and Connect).
#[derive(Debug, Default)]
pub struct NonAnsiSemantics;

impl FunctionRewrite for NonAnsiSemantics {
    fn name(&self) -> &str {
        "spark_non_ansi_semantics"
    }

    fn rewrite(&self, expr: Expr, schema: &DFSchema, _config: &ConfigOptions) -> Result<Transformed<Expr>> {
        match expr {
            Expr::BinaryExpr(BinaryExpr { left, op: op @ (Operator::Divide | Operator::Modulo), right }) => {
                let numeric = |e: &Expr| e.get_type(schema).is_ok_and(|t| t.is_numeric());
                if !(numeric(&left) && numeric(&right)) {
                    return Ok(Transformed::no(Expr::BinaryExpr(BinaryExpr { left, op, right })));
                }
                Ok(Transformed::yes(null_for_zero_divisor(*left, op, *right, schema)?))
            }
            Expr::Cast(Cast { expr: value, field }) => {
                let from = value.get_type(schema).ok();
                match from.and_then(|from| string_cast(&from, field.data_type())) {
                    Some(udf) => Ok(Transformed::yes(udf.call(vec![*value]))),
                    None => Ok(Transformed::no(Expr::Cast(Cast { expr: value, field }))),
                }
            }
            other => Ok(Transformed::no(other)),
        }
    }
}

/// `CAST(value AS to)` with Spark's non-ANSI reading of strings, for the cast functions
/// (`int(x)`, …) that become casts after the rewrites ran.
pub fn spark_cast(value: Expr, from: &DataType, to: DataType) -> Expr {
    match string_cast(from, &to) {
        Some(udf) => udf.call(vec![value]),
        None => cast(value, to),
    }
}

/// `left op right`, NULL where `right` is zero (for floats, `-0.0` too: Spark compares
/// with `==`, Arrow with the total order).
fn null_for_zero_divisor(left: Expr, op: Operator, right: Expr, schema: &DFSchema) -> Result<Expr> {
    let divisor_type = right.get_type(schema)?;
    let zero = ScalarValue::new_zero(&divisor_type).unwrap_or(ScalarValue::Int32(Some(0)));
    let is_zero = if divisor_type.is_floating() {
        datafusion::functions::math::expr_fn::abs(right.clone()).eq(lit(zero))
    } else {
        right.clone().eq(lit(zero))
    };
    let operation = Expr::BinaryExpr(BinaryExpr::new(Box::new(left), op, Box::new(right)));
    when(is_zero, lit(ScalarValue::Null)).otherwise(operation)
}

/// The function that casts a `from` string to `to` as Spark does, if Flint has one.
fn string_cast(from: &DataType, to: &DataType) -> Option<ScalarUDF> {
    let string = matches!(from, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    let target = StringTarget::of(to)?;
    string.then(|| ScalarUDF::new_from_impl(CastString::new(target)))
}

/// What [`CastString`] reads a string as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum StringTarget {
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    Boolean,
    Date,
}

impl StringTarget {
    const ALL: [StringTarget; 8] = [
        StringTarget::TinyInt,
        StringTarget::SmallInt,
        StringTarget::Int,
        StringTarget::BigInt,
        StringTarget::Float,
        StringTarget::Double,
        StringTarget::Boolean,
        StringTarget::Date,
    ];

    fn of(data_type: &DataType) -> Option<Self> {
        Self::ALL.into_iter().find(|target| target.data_type() == *data_type)
    }

    fn data_type(self) -> DataType {
        match self {
            StringTarget::TinyInt => DataType::Int8,
            StringTarget::SmallInt => DataType::Int16,
            StringTarget::Int => DataType::Int32,
            StringTarget::BigInt => DataType::Int64,
            StringTarget::Float => DataType::Float32,
            StringTarget::Double => DataType::Float64,
            StringTarget::Boolean => DataType::Boolean,
            StringTarget::Date => DataType::Date32,
        }
    }
}

/// Every string cast function, ready to register (executors resolve them by name).
pub fn all() -> Vec<ScalarUDF> {
    StringTarget::ALL.into_iter().map(|target| ScalarUDF::new_from_impl(CastString::new(target))).collect()
}

/// `CAST(string AS …)` as Spark reads the string with ANSI off: NULL where it cannot.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CastString {
    target: StringTarget,
    name: String,
    signature: Signature,
}

impl CastString {
    fn new(target: StringTarget) -> Self {
        let name = format!("cast_string_as_{}", format!("{target:?}").to_ascii_lowercase());
        Self { target, name, signature: Signature::any(1, Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for CastString {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.target.data_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (_, all_scalars) = rows_of(&args.args, args.number_rows);
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [text] = arrays.as_slice() else { return exec_err!("{} takes 1 argument", self.name) };
        let text = cast_array(text, &DataType::Utf8)?;
        let text = text.as_string::<i32>();
        let result: ArrayRef = match self.target {
            StringTarget::TinyInt => integral::<Int8Type>(text),
            StringTarget::SmallInt => integral::<Int16Type>(text),
            StringTarget::Int => integral::<Int32Type>(text),
            StringTarget::BigInt => integral::<Int64Type>(text),
            StringTarget::Float => {
                Arc::new(text.iter().map(|s| s.and_then(floating)).collect::<PrimitiveArray<Float32Type>>())
            }
            StringTarget::Double => {
                Arc::new(text.iter().map(|s| s.and_then(floating)).collect::<PrimitiveArray<Float64Type>>())
            }
            StringTarget::Boolean => Arc::new(text.iter().map(|s| s.and_then(boolean)).collect::<BooleanArray>()),
            StringTarget::Date => Arc::new(text.iter().map(|s| s.and_then(date)).collect::<arrow::array::Date32Array>()),
        };
        columnar(result, all_scalars)
    }
}

/// Each string of `text` read as an integer of `T`, NULL where Spark's reading fails or
/// the value does not fit.
fn integral<T: ArrowPrimitiveType>(text: &arrow::array::StringArray) -> ArrayRef
where
    T::Native: TryFrom<i64>,
{
    let values = text.iter().map(|s| s.and_then(long).and_then(|v| T::Native::try_from(v).ok()));
    Arc::new(values.collect::<PrimitiveArray<T>>())
}

/// `text` read as Spark's `stringToDate` reads it, as days since 1970-01-01: after
/// trimming, `[+-]yyyy*[-[m]m[-[d]d]]` (a year of 4 to 7 digits, month and day of 1 or 2,
/// 1 where left out), then nothing, or a space or `T` and anything; `None` otherwise or
/// for a day that does not exist.
fn date(text: &str) -> Option<i32> {
    let text = trim_all(text);
    let (sign, rest) = match text.as_bytes().first()? {
        b'-' => (-1, &text[1..]),
        b'+' => (1, &text[1..]),
        _ => (1, text),
    };
    let end = rest.find([' ', 'T']).unwrap_or(rest.len());
    let (day_part, after) = rest.split_at(end);
    // Only the day itself may end with a space or `T`.
    if !after.is_empty() && day_part.matches('-').count() != 2 {
        return None;
    }
    let segments: Vec<&str> = day_part.split('-').collect();
    if segments.len() > 3 || segments.iter().any(|s| s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let digits_ok = segments.iter().enumerate().all(|(i, s)| if i == 0 { (4..=7).contains(&s.len()) } else { s.len() <= 2 });
    if !digits_ok {
        return None;
    }
    let year = sign * segments[0].parse::<i32>().ok()?;
    let month = segments.get(1).map_or(Some(1), |s| s.parse().ok())?;
    let day = segments.get(2).map_or(Some(1), |s| s.parse().ok())?;
    let date = chrono::NaiveDate::from_ymd_opt(year, month, day)?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from(date.signed_duration_since(epoch).num_days()).ok()
}

/// `text` without the whitespace and control characters around it (Spark's `trimAll`).
fn trim_all(text: &str) -> &str {
    text.trim_matches(|c: char| c <= ' ' || c == '\u{7f}')
}

/// `text` read as Spark's `UTF8String.toLong` reads it: an optional sign, digits, and an
/// optional fraction of digits that is dropped (`'1.9'` is 1, `'.5'` is 0).
fn long(text: &str) -> Option<i64> {
    let text = trim_all(text);
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if unsigned.is_empty() {
        return None;
    }
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Accumulated below zero, as Spark does, so that i64::MIN reads.
    let mut value: i64 = 0;
    for b in whole.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
    }
    if negative { Some(value) } else { value.checked_neg() }
}

/// `text` read as Java's `Double.parseDouble` and Spark's special literals read it: a
/// number with an optional exponent and `d`/`f` suffix, `inf`, `infinity` or `nan` in
/// any case. (Java's hexadecimal forms are not read.)
fn floating<F: std::str::FromStr>(text: &str) -> Option<F> {
    let text = trim_all(text);
    let number = text.strip_suffix(['d', 'D', 'f', 'F']).filter(|n| n.ends_with(|c: char| c.is_ascii_digit() || c == '.'));
    number.unwrap_or(text).parse().ok()
}

/// `text` read as Spark reads a boolean: `t`, `true`, `y`, `yes`, `1` or `f`, `false`,
/// `n`, `no`, `0` in any case.
fn boolean(text: &str) -> Option<bool> {
    match trim_all(text).to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "1" => Some(true),
        "f" | "false" | "n" | "no" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_as_spark_reads_them() {
        let cases = [
            ("7", Some(7)),
            (" 7 ", Some(7)),
            ("\t-7\n", Some(-7)),
            ("+7", Some(7)),
            ("1.9", Some(1)),
            ("-1.9", Some(-1)),
            (".5", Some(0)),
            ("5.", Some(5)),
            ("1.x", None),
            ("1e3", None),
            ("x", None),
            ("", None),
            ("-", None),
            ("1 2", None),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
        ];
        for (text, expected) in cases {
            assert_eq!(long(text), expected, "{text:?}");
        }
    }

    #[test]
    fn dates_read_as_spark_reads_them() {
        let day = |y, m, d| {
            let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            date.signed_duration_since(chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
        };
        // The forms of Spark's DateTimeUtils.stringToDate documentation.
        assert_eq!(date("2015"), Some(day(2015, 1, 1)));
        assert_eq!(date("2015-03"), Some(day(2015, 3, 1)));
        assert_eq!(date(" 2015-3-8 "), Some(day(2015, 3, 8)));
        assert_eq!(date("2015-03-18 12:03:17"), Some(day(2015, 3, 18)));
        assert_eq!(date("2015-03-18T12:03:17"), Some(day(2015, 3, 18)));
        assert_eq!(date("2015-03-18 anything"), Some(day(2015, 3, 18)));
        for bad in ["2015-02-29", "2015-13-01", "15-01-01", "2015-03-18X", "2015-03 01", "2015--01", "x", "", "2015-001-01"] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }

    #[test]
    fn floats_and_booleans_read_as_spark_reads_them() {
        assert_eq!(floating::<f64>(" 1.5 "), Some(1.5));
        assert_eq!(floating::<f64>("1.5d"), Some(1.5));
        assert_eq!(floating::<f64>("1e3"), Some(1000.0));
        assert_eq!(floating::<f64>("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(floating::<f64>("NaN").is_some_and(f64::is_nan));
        assert_eq!(floating::<f64>("x"), None);
        assert_eq!(floating::<f64>("d"), None);
        assert_eq!(boolean(" YES "), Some(true));
        assert_eq!(boolean("0"), Some(false));
        assert_eq!(boolean("on"), None, "Spark does not read on/off");
    }
}
