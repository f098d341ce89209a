//! Spark's functions that read texts as datetimes: `to_timestamp`, `to_timestamp_ltz`,
//! `to_timestamp_ntz`, `to_date`, `unix_timestamp`, `to_unix_timestamp` and their `try_`
//! forms. Flint runs with `spark.sql.ansi.enabled=false`, so a text that does not match
//! is NULL in both forms. Texts without a zone are local times in the session time zone.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::timezone::Tz;
use arrow::array::{Array, ArrayRef, AsArray, Date32Array, Int64Array, TimestampMicrosecondArray};
use arrow::compute::kernels::cast_utils::string_to_datetime;
use arrow::datatypes::{DataType, TimeUnit};
use chrono::{DateTime, NaiveDateTime, Utc};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

use super::datetime_patterns::Pattern;

/// What a parsing function returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    /// `TIMESTAMP` (with local time zone): an instant.
    Timestamp,
    /// `TIMESTAMP_NTZ`: a wall-clock time.
    TimestampNtz,
    /// `DATE`: the day of the wall-clock time.
    Date,
    /// `BIGINT`: seconds since the epoch of the instant.
    UnixSeconds,
}

impl Target {
    fn data_type(self) -> DataType {
        match self {
            Target::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Target::TimestampNtz => DataType::Timestamp(TimeUnit::Microsecond, None),
            Target::Date => DataType::Date32,
            Target::UnixSeconds => DataType::Int64,
        }
    }
}

/// One of Spark's `(text[, pattern])` parsing functions.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ParseDatetime {
    name: &'static str,
    target: Target,
    /// The pattern used when the call gives none; `None` reads texts as `CAST` does.
    default_pattern: Option<&'static str>,
    signature: Signature,
}

impl ParseDatetime {
    fn new(name: &'static str, target: Target, default_pattern: Option<&'static str>) -> Self {
        let signature = Signature::one_of(
            vec![
                datafusion::logical_expr::TypeSignature::Any(1),
                datafusion::logical_expr::TypeSignature::Any(2),
            ],
            Volatility::Immutable,
        );
        Self { name, target, default_pattern, signature }
    }
}

/// Every parsing function, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    let seconds = Some("yyyy-MM-dd HH:mm:ss");
    [
        ParseDatetime::new("to_timestamp", Target::Timestamp, None),
        ParseDatetime::new("to_timestamp_ltz", Target::Timestamp, None),
        ParseDatetime::new("try_to_timestamp", Target::Timestamp, None),
        ParseDatetime::new("to_timestamp_ntz", Target::TimestampNtz, None),
        ParseDatetime::new("to_date", Target::Date, None),
        ParseDatetime::new("try_to_date", Target::Date, None),
        ParseDatetime::new("unix_timestamp", Target::UnixSeconds, seconds),
        ParseDatetime::new("to_unix_timestamp", Target::UnixSeconds, seconds),
    ]
    .into_iter()
    .map(ScalarUDF::new_from_impl)
    .collect()
}

impl ScalarUDFImpl for ParseDatetime {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.target.data_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let patterns = match args.args.get(1) {
            None => match self.default_pattern {
                Some(pattern) => Patterns::Fixed(Pattern::new(pattern)?),
                None => Patterns::Cast,
            },
            Some(ColumnarValue::Scalar(value)) if value.is_null() => {
                return Ok(ColumnarValue::Scalar(ScalarValue::try_from(self.target.data_type())?));
            }
            Some(ColumnarValue::Scalar(value)) => Patterns::Fixed(Pattern::new(&value.to_string())?),
            Some(ColumnarValue::Array(patterns)) => Patterns::per_row(patterns)?,
        };
        let Some(value) = args.args.first() else {
            return exec_err!("{} takes a value to read", self.name);
        };
        let values = value.to_array(args.number_rows)?;
        let zone_name = args.config_options.execution.time_zone.clone().unwrap_or_else(|| "UTC".to_string());
        let zone: Tz = zone_name.parse()?;
        let result = match values.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                let texts = arrow::compute::cast(&values, &DataType::Utf8)?;
                parse_texts(texts.as_string::<i32>(), &patterns, &zone, self.target)
            }
            _ => convert(&values, self.target)?,
        };
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?)
        } else {
            ColumnarValue::Array(result)
        })
    }
}

/// The pattern of each row.
enum Patterns {
    /// No pattern: texts are read as `CAST` reads them.
    Cast,
    /// One pattern for every row.
    Fixed(Pattern),
    /// A pattern per row; `None` (a NULL pattern) makes the row NULL.
    PerRow(Vec<Option<Arc<Pattern>>>),
}

impl Patterns {
    /// The patterns of a column, each distinct one compiled once.
    fn per_row(patterns: &ArrayRef) -> Result<Self> {
        let patterns = arrow::compute::cast(patterns, &DataType::Utf8)?;
        let mut compiled: HashMap<&str, Arc<Pattern>> = HashMap::new();
        let mut rows = Vec::with_capacity(patterns.len());
        for pattern in patterns.as_string::<i32>().iter() {
            rows.push(match pattern {
                Some(pattern) => match compiled.get(pattern) {
                    Some(known) => Some(Arc::clone(known)),
                    None => {
                        let new = Arc::new(Pattern::new(pattern)?);
                        compiled.insert(pattern, Arc::clone(&new));
                        Some(new)
                    }
                },
                None => None,
            });
        }
        Ok(Patterns::PerRow(rows))
    }

    /// The pattern of `row`: `Some(None)` to read it as `CAST` does, `None` for NULL.
    fn at(&self, row: usize) -> Option<Option<&Pattern>> {
        match self {
            Patterns::Cast => Some(None),
            Patterns::Fixed(pattern) => Some(Some(pattern)),
            Patterns::PerRow(patterns) => patterns.get(row)?.as_deref().map(Some),
        }
    }
}

/// Each text read with its pattern (or as `CAST` reads it) into `target`.
fn parse_texts(texts: &arrow::array::StringArray, patterns: &Patterns, zone: &Tz, target: Target) -> ArrayRef {
    let instant = |row: usize, text: &str| -> Option<DateTime<Tz>> {
        match patterns.at(row)? {
            Some(pattern) => pattern.parse_instant(text, zone),
            None => string_to_datetime(zone, text.trim()).ok(),
        }
    };
    let local = |row: usize, text: &str| -> Option<NaiveDateTime> {
        match patterns.at(row)? {
            Some(pattern) => pattern.parse_local(text),
            None => string_to_datetime(&Utc, text.trim()).ok().map(|t| t.naive_utc()),
        }
    };
    let rows = texts.iter().enumerate();
    match target {
        Target::Timestamp => Arc::new(
            rows.map(|(row, t)| instant(row, t?).map(|t| t.timestamp_micros()))
                .collect::<TimestampMicrosecondArray>()
                .with_timezone("UTC"),
        ),
        Target::TimestampNtz => Arc::new(
            rows.map(|(row, t)| local(row, t?).map(|t| t.and_utc().timestamp_micros()))
                .collect::<TimestampMicrosecondArray>(),
        ),
        Target::Date => {
            Arc::new(rows.map(|(row, t)| local(row, t?).map(|t| days_since_epoch(&t))).collect::<Date32Array>())
        }
        Target::UnixSeconds => {
            Arc::new(rows.map(|(row, t)| instant(row, t?).map(|t| t.timestamp())).collect::<Int64Array>())
        }
    }
}

/// Days from 1970-01-01 to the day of `local`.
fn days_since_epoch(local: &NaiveDateTime) -> i32 {
    // Any chrono date is within ±262,143 years, whose day count fits an i32.
    local.and_utc().timestamp().div_euclid(86_400) as i32
}

/// A date or timestamp as `target`, as Spark casts it.
fn convert(values: &ArrayRef, target: Target) -> Result<ArrayRef> {
    Ok(match target {
        Target::UnixSeconds => {
            let seconds = arrow::compute::cast(values, &DataType::Timestamp(TimeUnit::Second, Some("UTC".into())))?;
            arrow::compute::cast(&seconds, &DataType::Int64)?
        }
        other => arrow::compute::cast(values, &other.data_type())?,
    })
}
