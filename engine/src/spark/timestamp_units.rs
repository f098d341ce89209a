//! Spark's `timestampadd(unit, quantity, ts)` and `timestampdiff(unit, start, end)`:
//! units up to `HOUR` count exact microseconds, `DAY` and longer units count calendar
//! days and months of the wall-clock time in the session time zone (Spark's
//! `DateTimeUtils.timestampAdd` / `timestampDiff`, Java's `ChronoUnit.between`).

use std::sync::Arc;

use arrow::array::timezone::Tz;
use arrow::array::{ArrayRef, AsArray, Int64Array, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Int64Type, TimeUnit, TimestampMicrosecondType};
use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

use super::datetime_patterns::local_instant;

/// A unit of `timestampadd` and `timestampdiff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// A fixed number of microseconds.
    Micros(i64),
    /// A number of calendar days.
    Days(i64),
    /// A number of calendar months.
    Months(i64),
}

impl Unit {
    fn parse(function: &str, unit: &str) -> Result<Self> {
        Ok(match unit.to_ascii_uppercase().as_str() {
            "MICROSECOND" => Unit::Micros(1),
            "MILLISECOND" => Unit::Micros(1_000),
            "SECOND" => Unit::Micros(1_000_000),
            "MINUTE" => Unit::Micros(60_000_000),
            "HOUR" => Unit::Micros(3_600_000_000),
            "DAY" | "DAYOFYEAR" => Unit::Days(1),
            "WEEK" => Unit::Days(7),
            "MONTH" => Unit::Months(1),
            "QUARTER" => Unit::Months(3),
            "YEAR" => Unit::Months(12),
            other => {
                return plan_err!(
                    "[INVALID_PARAMETER_VALUE.DATETIME_UNIT] {function} takes a unit among MICROSECOND, MILLISECOND, SECOND, MINUTE, HOUR, DAY, DAYOFYEAR, WEEK, MONTH, QUARTER, YEAR, not '{other}'"
                );
            }
        })
    }
}

/// Which of the two functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Add,
    Diff,
}

/// `timestampadd` or `timestampdiff` (also `dateadd`/`datediff` with a unit).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TimestampUnits {
    kind: Kind,
    signature: Signature,
}

/// `timestampadd` and `timestampdiff`, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    [Kind::Add, Kind::Diff]
        .into_iter()
        .map(|kind| ScalarUDF::new_from_impl(TimestampUnits { kind, signature: Signature::any(3, Volatility::Immutable) }))
        .collect()
}

/// `data_type` as the timestamp type Spark computes with: `TIMESTAMP_NTZ` stays a wall
/// clock, anything else becomes an instant.
fn timestamp_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Timestamp(_, None) => DataType::Timestamp(TimeUnit::Microsecond, None),
        _ => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
    }
}

impl ScalarUDFImpl for TimestampUnits {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Add => "timestampadd",
            Kind::Diff => "timestampdiff",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match (self.kind, arg_types) {
            (Kind::Add, [_, _, ts]) => Ok(timestamp_type(ts)),
            (Kind::Diff, _) => Ok(DataType::Int64),
            _ => plan_err!("[WRONG_NUM_ARGS] {} takes 3 arguments", self.name()),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let [unit, second, third] = args.args.as_slice() else {
            return exec_err!("[WRONG_NUM_ARGS] {name} takes 3 arguments, not {}", args.args.len());
        };
        let unit = match unit {
            ColumnarValue::Scalar(ScalarValue::Utf8(Some(u)) | ScalarValue::Utf8View(Some(u)) | ScalarValue::LargeUtf8(Some(u))) => {
                Unit::parse(name, u)?
            }
            _ => return exec_err!("{name}: the unit must be a string literal such as 'DAY'"),
        };
        let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = args.number_rows;
        let zone: Tz = args.config_options.execution.time_zone.as_deref().unwrap_or("UTC").parse()?;
        let timestamps = |value: &ColumnarValue, target: &DataType| -> Result<ArrayRef> {
            Ok(arrow::compute::cast(&value.to_array(rows)?, target)?)
        };
        let result: ArrayRef = match self.kind {
            Kind::Add => {
                let target = timestamp_type(&third.data_type());
                let quantities = arrow::compute::cast(&second.to_array(rows)?, &DataType::Int64)?;
                let ts = timestamps(third, &target)?;
                let instants = matches!(target, DataType::Timestamp(_, Some(_)));
                let out = add(unit, quantities.as_primitive::<Int64Type>(), ts.as_primitive(), instants.then_some(&zone))?;
                if instants { Arc::new(out.with_timezone("UTC")) } else { Arc::new(out) }
            }
            Kind::Diff => {
                // Both sides as instants unless both are wall clocks.
                let both_ntz = matches!((second.data_type(), third.data_type()), (DataType::Timestamp(_, None), DataType::Timestamp(_, None)));
                let target = if both_ntz { second.data_type() } else { DataType::Null };
                let target = timestamp_type(&target);
                let (start, end) = (timestamps(second, &target)?, timestamps(third, &target)?);
                let zone = (!both_ntz).then_some(&zone);
                Arc::new(diff(unit, start.as_primitive(), end.as_primitive(), zone))
            }
        };
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?)
        } else {
            ColumnarValue::Array(result)
        })
    }
}

/// The wall-clock time of `micros` in `zone` (`None`: `micros` is already one).
fn local(micros: i64, zone: Option<&Tz>) -> Option<NaiveDateTime> {
    let utc = Utc.timestamp_micros(micros).single()?;
    Some(match zone {
        Some(zone) => utc.with_timezone(zone).naive_local(),
        None => utc.naive_utc(),
    })
}

/// The microseconds of the wall-clock time `local` in `zone`.
fn micros_of(local: &NaiveDateTime, zone: Option<&Tz>) -> Option<i64> {
    match zone {
        Some(zone) => local_instant(local, zone).map(|t| t.timestamp_micros()),
        None => Some(local.and_utc().timestamp_micros()),
    }
}

fn add(
    unit: Unit,
    quantities: &arrow::array::PrimitiveArray<Int64Type>,
    ts: &arrow::array::PrimitiveArray<TimestampMicrosecondType>,
    zone: Option<&Tz>,
) -> Result<TimestampMicrosecondArray> {
    let mut out = Vec::with_capacity(ts.len());
    for (quantity, micros) in quantities.iter().zip(ts.iter()) {
        let (Some(quantity), Some(micros)) = (quantity, micros) else {
            out.push(None);
            continue;
        };
        let shifted = match unit {
            Unit::Micros(per) => quantity.checked_mul(per).and_then(|d| micros.checked_add(d)),
            Unit::Days(per) => local(micros, zone)
                .and_then(|t| t.checked_add_signed(chrono::TimeDelta::try_days(quantity.checked_mul(per)?)?))
                .and_then(|t| micros_of(&t, zone)),
            Unit::Months(per) => local(micros, zone).and_then(|t| {
                let months = quantity.checked_mul(per)?;
                let shifted = if months >= 0 {
                    t.checked_add_months(Months::new(u32::try_from(months).ok()?))
                } else {
                    t.checked_sub_months(Months::new(u32::try_from(months.checked_neg()?).ok()?))
                }?;
                micros_of(&shifted, zone)
            }),
        };
        match shifted {
            Some(value) => out.push(Some(value)),
            None => return exec_err!("[DATETIME_OVERFLOW] timestampadd of {quantity} to {micros} microseconds overflows"),
        }
    }
    Ok(TimestampMicrosecondArray::from(out))
}

fn diff(
    unit: Unit,
    start: &arrow::array::PrimitiveArray<TimestampMicrosecondType>,
    end: &arrow::array::PrimitiveArray<TimestampMicrosecondType>,
    zone: Option<&Tz>,
) -> Int64Array {
    start
        .iter()
        .zip(end.iter())
        .map(|(start, end)| {
            let (start, end) = (start?, end?);
            match unit {
                Unit::Micros(per) => end.checked_sub(start).map(|micros| micros / per),
                Unit::Days(per) => Some(date_units_between(&local(start, zone)?, &local(end, zone)?, |a, b| {
                    i64::from(b.num_days_from_ce() - a.num_days_from_ce())
                }) / per),
                Unit::Months(per) => Some(date_units_between(&local(start, zone)?, &local(end, zone)?, months_between) / per),
            }
        })
        .collect()
}

/// Java's `LocalDateTime.until` for a date-based unit: whole units from `start` to
/// `end`, the end date moved a day toward the start when its time of day has not yet
/// reached the start's.
fn date_units_between(start: &NaiveDateTime, end: &NaiveDateTime, units: fn(NaiveDate, NaiveDate) -> i64) -> i64 {
    let mut end_date = end.date();
    if end_date > start.date() && end.time() < start.time() {
        end_date = end_date.pred_opt().unwrap_or(end_date);
    } else if end_date < start.date() && end.time() > start.time() {
        end_date = end_date.succ_opt().unwrap_or(end_date);
    }
    units(start.date(), end_date)
}

/// Java's `LocalDate.until(end, MONTHS)`: whole months, a month counted once its day
/// of month is reached.
fn months_between(start: NaiveDate, end: NaiveDate) -> i64 {
    let packed = |d: NaiveDate| (i64::from(d.year()) * 12 + i64::from(d.month0())) * 32 + i64::from(d.day());
    (packed(end) - packed(start)) / 32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap_or_else(|e| panic!("{e}"))
    }

    /// The examples of Spark's docs of `timestamp_diff`.
    #[test]
    fn differences_as_java_counts_them() {
        let (a, b) = (at("2016-03-11 09:00:07"), at("2024-04-02 09:00:07"));
        let days = |x: NaiveDate, y: NaiveDate| i64::from(y.num_days_from_ce() - x.num_days_from_ce());
        assert_eq!(date_units_between(&a, &b, months_between) / 12, 8);
        assert_eq!(date_units_between(&a, &b, days) / 7, 420);
        assert_eq!(date_units_between(&b, &a, days), -2944);
        assert_eq!(date_units_between(&at("2024-01-31 10:00:00"), &at("2024-02-29 09:00:00"), months_between), 0);
        assert_eq!(date_units_between(&at("2024-01-31 10:00:00"), &at("2024-03-01 10:00:00"), months_between), 1);
    }
}
