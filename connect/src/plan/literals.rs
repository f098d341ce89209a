//! Spark literals (`Expression.Literal`) as DataFusion scalars, and the text Spark uses
//! for a literal in a column name.

use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use spark_connect_proto::expression::literal::LiteralType;
use spark_connect_proto::expression::Literal;

use crate::errors::{ConnectError, Result};
use crate::types::arrow_type;

/// The scalar value of a literal.
pub fn scalar(literal: &Literal) -> Result<ScalarValue> {
    let Some(value) = literal.literal_type.as_ref() else {
        return Err(ConnectError::InvalidPlan { reason: "literal without a value".into() });
    };
    let scalar = match value {
        LiteralType::Null(data_type) => {
            let data_type = arrow_type(data_type).unwrap_or(DataType::Null);
            ScalarValue::try_from(&data_type)?
        }
        LiteralType::Binary(bytes) => ScalarValue::Binary(Some(bytes.to_vec())),
        LiteralType::Boolean(b) => ScalarValue::Boolean(Some(*b)),
        LiteralType::Byte(v) => ScalarValue::Int8(i8::try_from(*v).ok()),
        LiteralType::Short(v) => ScalarValue::Int16(i16::try_from(*v).ok()),
        LiteralType::Integer(v) => ScalarValue::Int32(Some(*v)),
        LiteralType::Long(v) => ScalarValue::Int64(Some(*v)),
        LiteralType::Float(v) => ScalarValue::Float32(Some(*v)),
        LiteralType::Double(v) => ScalarValue::Float64(Some(*v)),
        LiteralType::Decimal(d) => decimal(&d.value, d.precision, d.scale)?,
        LiteralType::String(s) => ScalarValue::Utf8(Some(s.clone())),
        LiteralType::Date(days) => ScalarValue::Date32(Some(*days)),
        LiteralType::Timestamp(micros) => ScalarValue::TimestampMicrosecond(Some(*micros), Some("UTC".into())),
        LiteralType::TimestampNtz(micros) => ScalarValue::TimestampMicrosecond(Some(*micros), None),
        LiteralType::Array(array) => {
            let values = array.elements.iter().map(scalar).collect::<Result<Vec<_>>>()?;
            let element_type = values.first().map(ScalarValue::data_type).unwrap_or(DataType::Null);
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &element_type))
        }
        other => {
            return Err(ConnectError::Unsupported { what: format!("literal {other:?}") });
        }
    };
    Ok(scalar)
}

fn decimal(text: &str, precision: Option<i32>, scale: Option<i32>) -> Result<ScalarValue> {
    let invalid = || ConnectError::InvalidPlan { reason: format!("bad decimal literal '{text}'") };
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text, ""));
    let digits: String = format!("{int_part}{frac_part}");
    let unscaled: i128 = digits.parse().map_err(|_| invalid())?;
    let natural_scale = i8::try_from(frac_part.len()).map_err(|_| invalid())?;
    let scale = scale.and_then(|s| i8::try_from(s).ok()).unwrap_or(natural_scale);
    let unscaled = if scale >= natural_scale {
        unscaled * 10i128.pow(u32::try_from(scale - natural_scale).map_err(|_| invalid())?)
    } else {
        return Err(invalid());
    };
    let digit_count = u8::try_from(digits.trim_start_matches('-').len()).map_err(|_| invalid())?;
    let precision = precision
        .and_then(|p| u8::try_from(p).ok())
        .unwrap_or_else(|| digit_count.max(u8::try_from(scale).unwrap_or(0)).max(1));
    Ok(ScalarValue::Decimal128(Some(unscaled), precision, scale))
}

/// The text Spark prints for a literal inside a column name (`1`, `abc`, `true`, `NULL`).
pub fn name(literal: &Literal) -> String {
    match literal.literal_type.as_ref() {
        None | Some(LiteralType::Null(_)) => "NULL".into(),
        Some(LiteralType::Boolean(b)) => b.to_string(),
        Some(LiteralType::Byte(v) | LiteralType::Short(v) | LiteralType::Integer(v)) => v.to_string(),
        Some(LiteralType::Long(v)) => v.to_string(),
        Some(LiteralType::Float(v)) => flint_engine::spark::format::java_float(*v),
        Some(LiteralType::Double(v)) => flint_engine::spark::format::java_double(*v),
        Some(LiteralType::Decimal(d)) => d.value.clone(),
        Some(LiteralType::String(s)) => s.clone(),
        // Spark's `Literal.sql`: `DATE '2023-01-01'`, `TIMESTAMP '2024-01-31 01:02:03'`
        // (the wall-clock time in UTC, the default session time zone).
        Some(LiteralType::Date(days)) => match arrow::temporal_conversions::date32_to_datetime(*days) {
            Some(date) => format!("DATE '{}'", date.date()),
            None => "literal".into(),
        },
        Some(LiteralType::Timestamp(micros)) => timestamp_name("TIMESTAMP", *micros),
        Some(LiteralType::TimestampNtz(micros)) => timestamp_name("TIMESTAMP_NTZ", *micros),
        Some(LiteralType::Array(a)) => {
            format!("array({})", a.elements.iter().map(name).collect::<Vec<_>>().join(", "))
        }
        Some(_) => "literal".into(),
    }
}

/// `KIND 'yyyy-MM-dd HH:mm:ss[.fraction]'` for a timestamp literal of `micros`.
fn timestamp_name(kind: &str, micros: i64) -> String {
    match arrow::temporal_conversions::timestamp_us_to_datetime(micros) {
        Some(time) => format!("{kind} '{}'", flint_engine::spark::format::trim_fraction(&time.to_string())),
        None => "literal".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_scale() {
        assert_eq!(decimal("12.50", None, None).unwrap(), ScalarValue::Decimal128(Some(1250), 4, 2));
        assert_eq!(decimal("3", Some(10), Some(2)).unwrap(), ScalarValue::Decimal128(Some(300), 10, 2));
    }

    /// Spark's names of date and timestamp literals (its `Literal.sql`).
    #[test]
    fn datetime_literals_named_as_spark_names_them() {
        let named = |literal_type| name(&Literal { literal_type: Some(literal_type), ..Default::default() });
        assert_eq!(named(LiteralType::Date(19358)), "DATE '2023-01-01'");
        assert_eq!(named(LiteralType::Timestamp(1_706_662_923_000_000)), "TIMESTAMP '2024-01-31 01:02:03'");
        assert_eq!(named(LiteralType::TimestampNtz(1_706_662_923_500_000)), "TIMESTAMP_NTZ '2024-01-31 01:02:03.5'");
    }
}
