//! Values as Spark prints them in `show()`: `NULL`, Java's float notation, `[a, b]`,
//! `{k -> v}`, `{a, b}` for structs, `yyyy-MM-dd HH:mm:ss` timestamps, and intervals
//! as Spark's `CalendarInterval.toString` and ANSI interval literals.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, DurationMicrosecondType, Float32Type, Float64Type, IntervalMonthDayNanoType, IntervalUnit,
    IntervalYearMonthType, TimeUnit,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// Formats row `row` of `array` as Spark's `show()` does.
pub fn format_cell(array: &dyn Array, row: usize) -> String {
    if array.is_null(row) {
        return "NULL".to_string();
    }
    match array.data_type() {
        DataType::Float64 => java_double(array.as_primitive::<Float64Type>().value(row)),
        DataType::Float32 => java_float(array.as_primitive::<Float32Type>().value(row)),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let bytes = binary_value(array, row);
            let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
            format!("[{}]", hex.join(" "))
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _) => {
            let values = list_value(array, row);
            let items: Vec<String> = (0..values.len()).map(|i| format_cell(values.as_ref(), i)).collect();
            format!("[{}]", items.join(", "))
        }
        DataType::Struct(_) => {
            let fields = array.as_struct();
            let items: Vec<String> = fields.columns().iter().map(|c| format_cell(c.as_ref(), row)).collect();
            format!("{{{}}}", items.join(", "))
        }
        DataType::Map(_, _) => {
            let entries = array.as_map().value(row);
            let (keys, values) = (entries.column(0), entries.column(1));
            let items: Vec<String> = (0..entries.len())
                .map(|i| format!("{} -> {}", format_cell(keys.as_ref(), i), format_cell(values.as_ref(), i)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        DataType::Timestamp(_, _) => {
            let text = formatted_by_arrow(array, row);
            trim_fraction(&text)
        }
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let value = array.as_primitive::<IntervalMonthDayNanoType>().value(row);
            calendar_interval(value.months, value.days, value.nanoseconds / 1_000)
        }
        DataType::Interval(IntervalUnit::YearMonth) => {
            year_month_interval(array.as_primitive::<IntervalYearMonthType>().value(row))
        }
        DataType::Duration(TimeUnit::Microsecond) => {
            day_time_interval(array.as_primitive::<DurationMicrosecondType>().value(row))
        }
        _ => formatted_by_arrow(array, row),
    }
}

const MICROS_PER_MINUTE: i64 = 60 * 1_000_000;
const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;
const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// An interval as Spark's `CalendarInterval.toString` writes it:
/// `1 years 2 months 3 days 4 hours 5 minutes 6.5 seconds`, `0 seconds` when empty.
pub fn calendar_interval(months: i32, days: i32, micros: i64) -> String {
    if months == 0 && days == 0 && micros == 0 {
        return "0 seconds".to_string();
    }
    let mut parts = Vec::new();
    let mut unit = |value: i64, name: &str| {
        if value != 0 {
            parts.push(format!("{value} {name}"));
        }
    };
    unit(i64::from(months / 12), "years");
    unit(i64::from(months % 12), "months");
    unit(i64::from(days), "days");
    unit(micros / MICROS_PER_HOUR, "hours");
    unit(micros % MICROS_PER_HOUR / MICROS_PER_MINUTE, "minutes");
    let seconds = micros % MICROS_PER_MINUTE;
    if seconds != 0 {
        parts.push(format!("{} seconds", plain_micros(seconds)));
    }
    parts.join(" ")
}

/// A `YEAR TO MONTH` interval as Spark prints it: `INTERVAL '2015-0' YEAR TO MONTH`.
pub fn year_month_interval(months: i32) -> String {
    let sign = if months < 0 { "-" } else { "" };
    let months = i64::from(months).abs();
    format!("INTERVAL '{sign}{}-{}' YEAR TO MONTH", months / 12, months % 12)
}

/// A `DAY TO SECOND` interval as Spark prints it: `INTERVAL '1 12:30:01.001001' DAY TO SECOND`.
pub fn day_time_interval(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let rest = i128::from(micros).abs();
    let (day, hour) = (i128::from(MICROS_PER_DAY), i128::from(MICROS_PER_HOUR));
    let (days, rest) = (rest / day, rest % day);
    let (hours, rest) = (rest / hour, rest % hour);
    let minute = i128::from(MICROS_PER_MINUTE);
    let (minutes, seconds) = (rest / minute, rest % minute);
    let lead = if seconds < 10_000_000 { "0" } else { "" };
    // seconds < one minute, so it fits an i64.
    let seconds = plain_micros(seconds as i64);
    format!("INTERVAL '{sign}{days} {hours:02}:{minutes:02}:{lead}{seconds}' DAY TO SECOND")
}

/// Microseconds as seconds in Java's `BigDecimal.stripTrailingZeros().toPlainString()`: `1.5`, `-2`, `0.000001`.
fn plain_micros(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let (whole, fraction) = (micros.unsigned_abs() / 1_000_000, micros.unsigned_abs() % 1_000_000);
    if fraction == 0 {
        return format!("{sign}{whole}");
    }
    let fraction = format!("{fraction:06}");
    format!("{sign}{whole}.{}", fraction.trim_end_matches('0'))
}

fn binary_value(array: &dyn Array, row: usize) -> Vec<u8> {
    match array.data_type() {
        DataType::LargeBinary => array.as_binary::<i64>().value(row).to_vec(),
        DataType::BinaryView => array.as_binary_view().value(row).to_vec(),
        _ => array.as_binary::<i32>().value(row).to_vec(),
    }
}

fn list_value(array: &dyn Array, row: usize) -> arrow::array::ArrayRef {
    match array.data_type() {
        DataType::LargeList(_) => array.as_list::<i64>().value(row),
        DataType::FixedSizeList(_, _) => array.as_fixed_size_list().value(row),
        _ => array.as_list::<i32>().value(row),
    }
}

/// Arrow's rendering with Spark's date and timestamp patterns.
fn formatted_by_arrow(array: &dyn Array, row: usize) -> String {
    let options = FormatOptions::new()
        .with_null("NULL")
        .with_date_format(Some("%Y-%m-%d"))
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"))
        .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S%.f"));
    match ArrayFormatter::try_new(array, &options) {
        Ok(formatter) => formatter.value(row).to_string(),
        Err(_) => format!("<{}>", array.data_type()),
    }
}

/// Drops trailing zeros of a fractional second: `10:00:00.500` → `10:00:00.5`.
pub fn trim_fraction(text: &str) -> String {
    match text.rfind('.') {
        Some(dot) if text[dot + 1..].chars().all(|c| c.is_ascii_digit()) => {
            let trimmed = text.trim_end_matches('0');
            trimmed.trim_end_matches('.').to_string()
        }
        _ => text.to_string(),
    }
}

/// A double as Java's `Double.toString` writes it: `1.0`, `0.001`, `1.0E7`, `1.5E-4`.
pub fn java_double(value: f64) -> String {
    java_floating(value, value.abs(), format!("{value}"), format!("{value:e}"))
}

/// A float as Java's `Float.toString` writes it.
pub fn java_float(value: f32) -> String {
    java_floating(f64::from(value), f64::from(value.abs()), format!("{value}"), format!("{value:e}"))
}

/// Java's choice between plain and scientific notation, from Rust's shortest
/// round-trip renderings of the same number.
fn java_floating(value: f64, magnitude: f64, plain: String, scientific: String) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if magnitude == 0.0 || (1e-3..1e7).contains(&magnitude) {
        return if plain.contains('.') { plain } else { format!("{plain}.0") };
    }
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let mantissa = if mantissa.contains('.') { mantissa.to_string() } else { format!("{mantissa}.0") };
    format!("{mantissa}E{exponent}")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        BinaryArray, Date32Array, Decimal128Array, Int32Array, ListArray, StringArray, StructArray,
        TimestampMicrosecondArray,
    };
    use arrow::datatypes::{Field, Int32Type};

    use super::*;

    #[test]
    fn doubles_follow_java() {
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(0.1), "0.1");
        assert_eq!(java_double(-2.5), "-2.5");
        assert_eq!(java_double(1234567.0), "1234567.0");
        assert_eq!(java_double(12345678.0), "1.2345678E7");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(0.0001), "1.0E-4");
        assert_eq!(java_double(0.001), "0.001");
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(f64::NAN), "NaN");
        assert_eq!(java_double(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(java_float(0.1), "0.1");
    }

    #[test]
    fn scalars_and_nulls() {
        let ints = Int32Array::from(vec![Some(7), None]);
        assert_eq!(format_cell(&ints, 0), "7");
        assert_eq!(format_cell(&ints, 1), "NULL");
        let strings = StringArray::from(vec!["héllo"]);
        assert_eq!(format_cell(&strings, 0), "héllo");
        let decimals = Decimal128Array::from(vec![12345]).with_precision_and_scale(10, 2);
        assert_eq!(decimals.map(|d| format_cell(&d, 0)).ok().as_deref(), Some("123.45"));
        let dates = Date32Array::from(vec![19723]);
        assert_eq!(format_cell(&dates, 0), "2024-01-01");
        let binary = BinaryArray::from(vec![&b"\x01\xab"[..]]);
        assert_eq!(format_cell(&binary, 0), "[01 AB]");
    }

    #[test]
    fn timestamps_drop_zero_fractions() {
        let micros = TimestampMicrosecondArray::from(vec![1_704_103_200_000_000, 1_704_103_200_500_000]);
        assert_eq!(format_cell(&micros, 0), "2024-01-01 10:00:00");
        assert_eq!(format_cell(&micros, 1), "2024-01-01 10:00:00.5");
    }

    /// Spark's renderings, from the docs of `make_interval`, `make_dt_interval` and `make_ym_interval`.
    #[test]
    fn intervals_as_spark_prints_them() {
        assert_eq!(
            calendar_interval(1211, 8, 45_001_001_001),
            "100 years 11 months 8 days 12 hours 30 minutes 1.001001 seconds"
        );
        assert_eq!(calendar_interval(1211, 7, 0), "100 years 11 months 7 days");
        assert_eq!(calendar_interval(0, 0, 0), "0 seconds");
        assert_eq!(calendar_interval(-1, 0, -1_500_000), "-1 months -1.5 seconds");
        assert_eq!(day_time_interval(131_401_001_001), "INTERVAL '1 12:30:01.001001' DAY TO SECOND");
        assert_eq!(day_time_interval(0), "INTERVAL '0 00:00:00' DAY TO SECOND");
        assert_eq!(day_time_interval(-90_000_000), "INTERVAL '-0 00:01:30' DAY TO SECOND");
        assert_eq!(year_month_interval(24_180), "INTERVAL '2015-0' YEAR TO MONTH");
        assert_eq!(year_month_interval(-14), "INTERVAL '-1-2' YEAR TO MONTH");
    }

    #[test]
    fn nested_values() {
        let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1), None, Some(3)])]);
        assert_eq!(format_cell(&list, 0), "[1, NULL, 3]");
        let structs = StructArray::from(vec![
            (Arc::new(Field::new("a", DataType::Int32, true)), Arc::new(Int32Array::from(vec![1])) as _),
            (Arc::new(Field::new("b", DataType::Utf8, true)), Arc::new(StringArray::from(vec!["x"])) as _),
        ]);
        assert_eq!(format_cell(&structs, 0), "{1, x}");
    }
}
