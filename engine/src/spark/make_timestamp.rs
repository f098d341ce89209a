//! Spark's `make_timestamp(year, month, day, hour, min, sec[, timezone])` and its
//! `_ltz`, `_ntz` and `try_` forms: a wall-clock time from its fields, as an instant in
//! `timezone` (the session time zone by default) or as a `TIMESTAMP_NTZ`. Fields out of
//! range give NULL (Flint runs with `spark.sql.ansi.enabled=false`); `sec` may be 60 with
//! no fraction, meaning the next minute.

use std::sync::Arc;

use arrow::array::timezone::Tz;
use arrow::array::{Array, ArrayRef, AsArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Decimal128Type, Int32Type, TimeUnit};
use chrono::{NaiveDate, NaiveDateTime};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

use super::datetime_patterns::local_instant;

/// One of the `make_timestamp` functions.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MakeTimestamp {
    name: &'static str,
    /// `TIMESTAMP_NTZ` rather than an instant.
    ntz: bool,
    signature: Signature,
}

/// Every `make_timestamp` function, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    let make = |name, ntz: bool| {
        let arities = if ntz { vec![TypeSignature::Any(6)] } else { vec![TypeSignature::Any(6), TypeSignature::Any(7)] };
        MakeTimestamp { name, ntz, signature: Signature::one_of(arities, Volatility::Immutable) }
    };
    [
        make("make_timestamp", false),
        make("make_timestamp_ltz", false),
        make("try_make_timestamp", false),
        make("try_make_timestamp_ltz", false),
        make("make_timestamp_ntz", true),
        make("try_make_timestamp_ntz", true),
    ]
    .into_iter()
    .map(ScalarUDF::new_from_impl)
    .collect()
}

impl MakeTimestamp {
    fn data_type(&self) -> DataType {
        let zone = (!self.ntz).then(|| "UTC".into());
        DataType::Timestamp(TimeUnit::Microsecond, zone)
    }
}

impl ScalarUDFImpl for MakeTimestamp {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.len() {
            6 | 7 => Ok(self.data_type()),
            n => plan_err!("[WRONG_NUM_ARGS] {} takes 6 or 7 arguments, not {n}", self.name),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = args.number_rows;
        let cast = |value: &ColumnarValue, to: &DataType| -> Result<ArrayRef> {
            Ok(arrow::compute::cast(&value.to_array(rows)?, to)?)
        };
        let [year, month, day, hour, minute, second, zones @ ..] = args.args.as_slice() else {
            return exec_err!("[WRONG_NUM_ARGS] {} takes 6 or 7 arguments", self.name);
        };
        let fields = [year, month, day, hour, minute].map(|f| cast(f, &DataType::Int32));
        let [year, month, day, hour, minute] = fields;
        let (year, month, day, hour, minute) = (year?, month?, day?, hour?, minute?);
        let seconds = cast(second, &DataType::Decimal128(16, 6))?;
        let session: Tz = args.config_options.execution.time_zone.as_deref().unwrap_or("UTC").parse()?;
        let zones = zones.first().map(|z| cast(z, &DataType::Utf8)).transpose()?;
        let int = |a: &ArrayRef, row| a.as_primitive::<Int32Type>().is_valid(row).then(|| a.as_primitive::<Int32Type>().value(row));
        let seconds = seconds.as_primitive::<Decimal128Type>();
        let local_at = |row| -> Option<NaiveDateTime> {
            let micros = seconds.is_valid(row).then(|| seconds.value(row))?;
            wall_clock(int(&year, row)?, int(&month, row)?, int(&day, row)?, int(&hour, row)?, int(&minute, row)?, micros)
        };
        let mut out = Vec::with_capacity(rows);
        for row in 0..rows {
            let value = match (local_at(row), self.ntz, &zones) {
                (None, _, _) => None,
                (Some(local), true, _) => Some(local.and_utc().timestamp_micros()),
                (Some(local), false, None) => local_instant(&local, &session).map(|t| t.timestamp_micros()),
                (Some(local), false, Some(zones)) => {
                    let zones = zones.as_string::<i32>();
                    if zones.is_null(row) {
                        None
                    } else {
                        let zone: Tz = zones.value(row).parse()?;
                        local_instant(&local, &zone).map(|t| t.timestamp_micros())
                    }
                }
            };
            out.push(value);
        }
        let result = TimestampMicrosecondArray::from(out);
        let result: ArrayRef = if self.ntz { Arc::new(result) } else { Arc::new(result.with_timezone("UTC")) };
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?)
        } else {
            ColumnarValue::Array(result)
        })
    }
}

/// The wall-clock time of the fields, `None` when one is out of range; `second_micros`
/// is the seconds in microseconds, 60 s (no fraction) being the next minute.
fn wall_clock(year: i32, month: i32, day: i32, hour: i32, minute: i32, second_micros: i128) -> Option<NaiveDateTime> {
    let (second, fraction) = (second_micros / 1_000_000, second_micros % 1_000_000);
    let leap = second == 60 && fraction == 0;
    if !(0..60).contains(&second) && !leap {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)?;
    let second = if leap { 0 } else { u32::try_from(second).ok()? };
    let time = date.and_hms_micro_opt(u32::try_from(hour).ok()?, u32::try_from(minute).ok()?, second, u32::try_from(fraction).ok()?)?;
    if leap { time.checked_add_signed(chrono::TimeDelta::minutes(1)) } else { Some(time) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_as_spark_reads_them() {
        let at = |t: Option<NaiveDateTime>| t.map(|t| t.to_string());
        assert_eq!(at(wall_clock(2014, 12, 28, 6, 30, 45_887_000)).as_deref(), Some("2014-12-28 06:30:45.887"));
        assert_eq!(at(wall_clock(2019, 7, 1, 23, 59, 60_000_000)).as_deref(), Some("2019-07-02 00:00:00"));
        assert_eq!(wall_clock(2019, 7, 1, 23, 59, 60_500_000), None);
        assert_eq!(wall_clock(2019, 2, 30, 0, 0, 0), None);
        assert_eq!(wall_clock(2019, 13, 1, 0, 0, 0), None);
    }
}
