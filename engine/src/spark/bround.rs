//! Spark's `bround(x[, scale])`: `x` rounded to `scale` decimal places (0 by default) with
//! HALF_EVEN ("banker's") rounding, as `java.math.BigDecimal.setScale` rounds.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Decimal128Type, Field, FieldRef, Float32Type, Float64Type, Int8Type, Int16Type,
    Int32Type, Int64Type,
};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

/// The `bround` function, ready to register.
pub fn spark_bround() -> ScalarUDF {
    ScalarUDF::new_from_impl(BRound {
        signature: Signature::one_of(vec![TypeSignature::Any(1), TypeSignature::Any(2)], Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct BRound {
    signature: Signature,
}

/// The largest precision of a DECIMAL.
const MAX_PRECISION: u8 = 38;

impl ScalarUDFImpl for BRound {
    fn name(&self) -> &str {
        "bround"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        datafusion::common::internal_err!("bround's type is computed from its arguments' fields")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let scale = match args.scalar_arguments.get(1) {
            None => Some(0),
            Some(Some(value)) => literal_scale(value)?,
            Some(None) => return plan_err!("[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] bround's scale must be a constant"),
        };
        let data_type = match args.arg_fields[0].data_type() {
            DataType::Decimal128(precision, from) => {
                let scale = scale.unwrap_or(0);
                Spark::decimal_type(*precision, *from, scale)
            }
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => args.arg_fields[0].data_type().clone(),
            DataType::Float32 | DataType::Float64 => args.arg_fields[0].data_type().clone(),
            DataType::Null => DataType::Float64,
            DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => DataType::Float64,
            other => return plan_err!("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] bround takes a number, not {other}"),
        };
        Ok(Arc::new(Field::new(self.name(), data_type, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scale = match args.args.get(1) {
            None => Some(0),
            Some(ColumnarValue::Scalar(value)) => literal_scale(value)?,
            Some(ColumnarValue::Array(_)) => return exec_err!("bround's scale must be a constant"),
        };
        let target = args.return_field.data_type().clone();
        let input = args.args[0].to_array(args.number_rows)?;
        let Some(scale) = scale else {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from(&target)?));
        };
        let rounded: ArrayRef = match input.data_type() {
            DataType::Float64 => map::<Float64Type>(&input, |v| Some(round_f64(v, scale))),
            DataType::Float32 => map::<Float32Type>(&input, |v| Some(round_f64(f64::from(v), scale) as f32)),
            DataType::Int8 => map::<Int8Type>(&input, |v| Some(round_integer(v.into(), scale) as i8)),
            DataType::Int16 => map::<Int16Type>(&input, |v| Some(round_integer(v.into(), scale) as i16)),
            DataType::Int32 => map::<Int32Type>(&input, |v| Some(round_integer(v.into(), scale) as i32)),
            DataType::Int64 => map::<Int64Type>(&input, |v| Some(round_integer(v.into(), scale) as i64)),
            DataType::Decimal128(_, from) => {
                let DataType::Decimal128(precision, to) = target.clone() else {
                    return exec_err!("bround of a decimal returns a decimal, not {target}");
                };
                let (from, to) = (i32::from(*from), i32::from(to));
                let limit = 10i128.pow(u32::from(precision));
                let rounded = map::<Decimal128Type>(&input, |v| {
                    let v = round_integer(v, scale - from) / 10i128.pow((from - to) as u32);
                    (v.abs() < limit).then_some(v)
                });
                let typed = rounded.as_primitive::<Decimal128Type>().clone().with_precision_and_scale(precision, to as i8)?;
                Arc::new(typed)
            }
            DataType::Null => return Ok(ColumnarValue::Scalar(ScalarValue::Float64(None))),
            _ => {
                let doubles = arrow::compute::cast(&input, &DataType::Float64)?;
                map::<Float64Type>(&doubles, |v| Some(round_f64(v, scale)))
            }
        };
        Ok(ColumnarValue::Array(rounded))
    }
}

/// Spark's rules for the types of rounded values.
struct Spark;

impl Spark {
    /// `RoundBase.dataType` for `DECIMAL(precision, scale)` rounded to `to` places: one more
    /// integral digit, and the smaller scale.
    fn decimal_type(precision: u8, scale: i8, to: i32) -> DataType {
        let integral = i32::from(precision) - i32::from(scale) + 1;
        let max = i32::from(MAX_PRECISION);
        if to < 0 {
            DataType::Decimal128(integral.max(1 - to).min(max) as u8, 0)
        } else {
            let scale = i32::from(scale).min(to);
            DataType::Decimal128((integral + scale).min(max) as u8, scale as i8)
        }
    }
}

/// The scale a literal gives: `None` for NULL.
fn literal_scale(value: &ScalarValue) -> Result<Option<i32>> {
    match value.cast_to(&DataType::Int32)? {
        ScalarValue::Int32(scale) => Ok(scale),
        other => exec_err!("bround's scale must be an integer, not {other}"),
    }
}

/// `f` over the non-null values of `input`, an array of `T`; `None` makes a NULL.
fn map<T: ArrowPrimitiveType>(input: &ArrayRef, f: impl Fn(T::Native) -> Option<T::Native>) -> ArrayRef {
    let values: PrimitiveArray<T> = input.as_primitive::<T>().iter().map(|v| v.and_then(&f)).collect();
    Arc::new(values)
}

/// `value` rounded HALF_EVEN to the nearest multiple of `10^-scale` (for a negative
/// `scale`; a positive one leaves an integer as it is).
fn round_integer(value: i128, scale: i32) -> i128 {
    if scale >= 0 {
        return value;
    }
    let Some(unit) = 10i128.checked_pow(scale.unsigned_abs()) else {
        return 0;
    };
    let (quotient, remainder) = (value / unit, value % unit);
    let twice = remainder.unsigned_abs() * 2;
    let away = twice > unit.unsigned_abs() || (twice == unit.unsigned_abs() && quotient % 2 != 0);
    let quotient = if away { quotient + value.signum() } else { quotient };
    quotient.saturating_mul(unit)
}

/// `value` rounded HALF_EVEN to `scale` decimal places of its shortest decimal form, as
/// Spark rounds `BigDecimal(value)`: `bround(2.5)` is 2.0, `bround(0.125, 2)` 0.12.
fn round_f64(value: f64, scale: i32) -> f64 {
    if !value.is_finite() {
        return value;
    }
    // `{:e}` prints the shortest digits that read back as `value`: "-2.1267e0".
    let text = format!("{value:e}");
    let Some((mantissa, exponent)) = text.split_once('e') else {
        return value;
    };
    let (Ok(exponent), Ok(digits)) = (
        exponent.parse::<i32>(),
        mantissa.chars().filter(char::is_ascii_digit).collect::<String>().parse::<i128>(),
    ) else {
        return value;
    };
    let length = mantissa.chars().filter(char::is_ascii_digit).count() as i32;
    // `value` is `digits * 10^last`.
    let last = exponent - (length - 1);
    if digits == 0 || last >= -scale {
        // BigDecimal has no negative zero.
        return if digits == 0 { 0.0 } else { value };
    }
    let kept = rounded_digits(digits, last + scale);
    if kept == 0 {
        return 0.0;
    }
    let sign = if value < 0.0 { "-" } else { "" };
    format!("{sign}{kept}e{}", -scale).parse().unwrap_or(value)
}

/// `digits` with its last `-shift` digits rounded away HALF_EVEN (`shift` is negative).
fn rounded_digits(digits: i128, shift: i32) -> i128 {
    let Some(unit) = 10i128.checked_pow(shift.unsigned_abs()) else {
        return 0;
    };
    round_integer(digits, shift) / unit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_round_half_even_on_their_decimal_digits() {
        assert_eq!(round_f64(2.5, 0), 2.0);
        assert_eq!(round_f64(3.5, 0), 4.0);
        assert_eq!(round_f64(-2.5, 0), -2.0);
        assert_eq!(round_f64(2.1267, 2), 2.13);
        assert_eq!(round_f64(0.125, 2), 0.12);
        assert_eq!(round_f64(1.0e-20, 2), 0.0);
        assert_eq!(round_f64(125.0, -1), 120.0);
        assert_eq!(round_f64(135.0, -1), 140.0);
        assert_eq!(round_f64(1.5, 3), 1.5);
        assert!(round_f64(f64::NAN, 0).is_nan());
    }

    #[test]
    fn integers_round_only_with_negative_scales() {
        assert_eq!(round_integer(25, 0), 25);
        assert_eq!(round_integer(25, -1), 20);
        assert_eq!(round_integer(35, -1), 40);
        assert_eq!(round_integer(-35, -1), -40);
        assert_eq!(round_integer(-36, -1), -40);
    }

    #[test]
    fn decimals_gain_an_integral_digit() {
        assert_eq!(Spark::decimal_type(5, 3, 0), DataType::Decimal128(3, 0));
        assert_eq!(Spark::decimal_type(5, 3, 2), DataType::Decimal128(5, 2));
        assert_eq!(Spark::decimal_type(5, 3, 5), DataType::Decimal128(6, 3));
        assert_eq!(Spark::decimal_type(3, 0, -4), DataType::Decimal128(5, 0));
    }
}
