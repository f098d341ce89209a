//! Spark's `months_between(end, start[, roundOff])`: whole months between the days of
//! the two wall-clock times in the session time zone, plus the rest as a fraction of a
//! 31-day month; rounded to 8 digits unless `roundOff` is false (Spark's
//! `DateTimeUtils.monthsBetween`).

use std::sync::Arc;

use arrow::array::timezone::Tz;
use arrow::array::{ArrayRef, AsArray, Float64Array};
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use chrono::{Datelike, NaiveDateTime, TimeZone, Timelike, Utc};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

/// `months_between`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MonthsBetween {
    signature: Signature,
}

/// `months_between`, ready to register.
pub fn months_between() -> ScalarUDF {
    let signature = Signature::one_of(vec![TypeSignature::Any(2), TypeSignature::Any(3)], Volatility::Immutable);
    ScalarUDF::new_from_impl(MonthsBetween { signature })
}

impl ScalarUDFImpl for MonthsBetween {
    fn name(&self) -> &str {
        "months_between"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = args.number_rows;
        let round_off = match args.args.get(2) {
            None => true,
            Some(ColumnarValue::Scalar(ScalarValue::Boolean(Some(round_off)))) => *round_off,
            Some(_) => return exec_err!("months_between: roundOff must be a literal true or false"),
        };
        let zone: Tz = args.config_options.execution.time_zone.as_deref().unwrap_or("UTC").parse()?;
        let instants = |value: &ColumnarValue| -> Result<ArrayRef> {
            let to = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
            Ok(arrow::compute::cast(&value.to_array(rows)?, &to)?)
        };
        let (ends, starts) = match args.args.as_slice() {
            [end, start, ..] => (instants(end)?, instants(start)?),
            _ => return exec_err!("[WRONG_NUM_ARGS] months_between takes 2 or 3 arguments"),
        };
        let local = |micros: i64| Utc.timestamp_micros(micros).single().map(|t| t.with_timezone(&zone).naive_local());
        let (ends, starts) = (ends.as_primitive::<TimestampMicrosecondType>(), starts.as_primitive::<TimestampMicrosecondType>());
        let result: Float64Array = ends
            .iter()
            .zip(starts.iter())
            .map(|(end, start)| Some(months(&local(end?)?, &local(start?)?, round_off)))
            .collect();
        let result: ArrayRef = Arc::new(result);
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?)
        } else {
            ColumnarValue::Array(result)
        })
    }
}

/// Spark's months from `start` to `end`.
fn months(end: &NaiveDateTime, start: &NaiveDateTime, round_off: bool) -> f64 {
    let (d1, d2) = (end.date(), start.date());
    let months = (d1.year() - d2.year()) * 12 + d1.month() as i32 - d2.month() as i32;
    let last_day = |d: chrono::NaiveDate| d.succ_opt().is_none_or(|next| next.month() != d.month());
    if d1.day() == d2.day() || (last_day(d1) && last_day(d2)) {
        return f64::from(months);
    }
    let seconds = |t: &NaiveDateTime| i64::from(t.num_seconds_from_midnight());
    let seconds_diff = (i64::from(d1.day()) - i64::from(d2.day())) * 86_400 + seconds(end) - seconds(start);
    let diff = f64::from(months) + seconds_diff as f64 / (31.0 * 86_400.0);
    if round_off { (diff * 1e8 + 0.5).floor() / 1e8 } else { diff }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of Spark's docs of `months_between`.
    #[test]
    fn months_as_spark_counts_them() {
        let at = |t: &str| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").unwrap_or_else(|e| panic!("{e}"));
        let (a, b) = (at("1997-02-28 10:30:00"), at("1996-10-30 00:00:00"));
        assert_eq!(months(&a, &b, true), 3.94959677);
        assert_eq!(months(&b, &a, true), -3.94959677);
        assert!((months(&a, &b, false) - 3.949_596_774_193_548).abs() < 1e-12);
        assert_eq!(months(&at("2024-02-29 00:00:00"), &at("2024-01-31 12:00:00"), true), 1.0);
    }
}
