//! Spark's CSV functions on one line of text: `from_csv(csv, schema[, options])` reads a
//! line into a struct, `to_csv(struct[, options])` writes one, and
//! `schema_of_csv(csv[, options])` infers a line's schema as DDL
//! (`STRUCT<_c0: INT, _c1: STRING>`). Options as Spark's CSV source reads them: `sep`
//! (or `delimiter`), `quote`, `escape`, `nullValue`, `ignoreLeadingWhiteSpace`,
//! `ignoreTrailingWhiteSpace`, `dateFormat`, `timestampFormat`, `mode`.
//!
//! `from_csv`'s schema reaches the engine as its second argument's type, as `from_json`'s
//! does (`crate::spark::json_functions`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringArray, StructArray};
use arrow::buffer::NullBuffer;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, TimeUnit};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::spark::format::format_cell;
use crate::spark::json_functions::nullable;
use crate::spark::text_options::{
    DEFAULT_DATE_FORMAT, DEFAULT_TIMESTAMP_FORMAT, Options, format_datetime, malformed_record_error,
};
use crate::spark::type_names::sql_name;

/// The CSV functions of this module, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    [Kind::From, Kind::To, Kind::SchemaOf]
        .into_iter()
        .map(|kind| ScalarUDF::new_from_impl(CsvFunction { kind, signature: Signature::user_defined(Volatility::Immutable) }))
        .collect()
}

#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
enum Kind {
    From,
    To,
    SchemaOf,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CsvFunction {
    kind: Kind,
    signature: Signature,
}

/// How a line splits into fields.
struct Format {
    separator: char,
    quote: Option<char>,
    escape: char,
    null_value: String,
    trim_leading: bool,
    trim_trailing: bool,
}

impl Format {
    /// The format `options` give; `writing` picks Spark's defaults for writing (it trims
    /// blanks around values then, and keeps them when reading).
    fn new(options: &Options, writing: bool) -> Result<Self> {
        let single = |key: &str, default: &str| -> Result<Option<char>> {
            let value = options.get(key).unwrap_or(default);
            let value = if value == "\\t" { "\t" } else { value };
            let mut chars = value.chars();
            match (chars.next(), chars.next()) {
                (None, _) => Ok(None),
                (Some(c), None) => Ok(Some(c)),
                _ => plan_err!("CSV option '{key}' must be one character, not '{value}'"),
            }
        };
        let separator = options.get("sep").map_or_else(|| single("delimiter", ","), |_| single("sep", ","))?;
        Ok(Self {
            separator: separator.unwrap_or(','),
            quote: single("quote", "\"")?,
            escape: single("escape", "\\")?.unwrap_or('\\'),
            null_value: options.get("nullValue").unwrap_or("").to_string(),
            trim_leading: options.flag("ignoreLeadingWhiteSpace", writing)?,
            trim_trailing: options.flag("ignoreTrailingWhiteSpace", writing)?,
        })
    }

    /// The fields of `line`; `None` for a NULL field (unquoted and equal to `nullValue`).
    fn split(&self, line: &str) -> Vec<Option<String>> {
        let mut fields = Vec::new();
        let mut chars = line.chars().peekable();
        loop {
            let (mut text, mut quoted) = (String::new(), false);
            if self.trim_leading {
                while chars.next_if(|c| c.is_whitespace() && *c != self.separator).is_some() {}
            }
            if let Some(quote) = self.quote
                && chars.next_if_eq(&quote).is_some()
            {
                quoted = true;
                while let Some(c) = chars.next() {
                    if c == self.escape && chars.peek().is_some_and(|n| *n == quote || *n == self.escape) {
                        text.extend(chars.next());
                    } else if c == quote {
                        if chars.next_if_eq(&quote).is_some() {
                            text.push(quote);
                        } else {
                            break;
                        }
                    } else {
                        text.push(c);
                    }
                }
            }
            while let Some(c) = chars.next_if(|c| *c != self.separator) {
                text.push(c);
            }
            if self.trim_trailing && !quoted {
                text.truncate(text.trim_end().len());
            }
            fields.push((quoted || text != self.null_value).then_some(text));
            if chars.next().is_none() {
                return fields;
            }
        }
    }

    /// `value` quoted when it holds the separator, a quote, a line break or is empty.
    fn write(&self, value: &str, out: &mut String) {
        let value = match (self.trim_leading, self.trim_trailing) {
            (true, true) => value.trim(),
            (true, false) => value.trim_start(),
            (false, true) => value.trim_end(),
            (false, false) => value,
        };
        let Some(quote) = self.quote else {
            out.push_str(value);
            return;
        };
        if !value.is_empty() && !value.contains([self.separator, quote, '\n', '\r']) {
            out.push_str(value);
            return;
        }
        out.push(quote);
        for c in value.chars() {
            if c == quote || c == self.escape {
                out.push(self.escape);
            }
            out.push(c);
        }
        out.push(quote);
    }
}

impl ScalarUDFImpl for CsvFunction {
    fn name(&self) -> &str {
        match self.kind {
            Kind::From => "from_csv",
            Kind::To => "to_csv",
            Kind::SchemaOf => "schema_of_csv",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        match self.kind {
            Kind::From => plan_err!("from_csv: the return type comes from the schema argument"),
            Kind::To | Kind::SchemaOf => Ok(DataType::Utf8),
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        if self.kind != Kind::From {
            let types: Vec<DataType> = args.arg_fields.iter().map(|f| f.data_type().clone()).collect();
            return Ok(Arc::new(Field::new(self.name(), self.return_type(&types)?, true)));
        }
        match args.arg_fields.get(1).map(|f| f.data_type()) {
            Some(data_type @ DataType::Struct(fields)) => {
                if let Some(field) = fields.iter().find(|f| !readable(f.data_type())) {
                    return plan_err!("from_csv: Flint cannot read CSV into {} (field {}) yet", field.data_type(), field.name());
                }
                Ok(Arc::new(Field::new(self.name(), nullable(data_type), true)))
            }
            other => plan_err!(
                "[DATATYPE_MISMATCH.INVALID_SCHEMA] from_csv: the schema must be a STRUCT given as a DDL string, not {other:?}"
            ),
        }
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        let fixed = if self.kind == Kind::From { 2 } else { 1 };
        if args.len() < fixed || args.len() > fixed + 1 {
            return plan_err!("{} takes {fixed} arguments and optional options, not {}", self.name(), args.len());
        }
        let mut types = args.to_vec();
        match (self.kind, &args[0]) {
            (Kind::To, DataType::Struct(_)) => {}
            (Kind::To, other) => return plan_err!("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] to_csv takes a STRUCT, not {other}"),
            _ => types[0] = DataType::Utf8,
        }
        Ok(types)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let options_at = if self.kind == Kind::From { 2 } else { 1 };
        let options = Options::from_arg(args.args.get(options_at), self.name())?;
        let scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let input = args.args[0].to_array(args.number_rows)?;
        let array = match self.kind {
            Kind::From => from_csv(&input, args.return_field.data_type(), &options)?,
            Kind::To => to_csv(&input, &options)?,
            Kind::SchemaOf => {
                if !scalar {
                    return plan_err!(
                        "[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] schema_of_csv takes a CSV string literal, not a column"
                    );
                }
                schema_of_csv(&input, &options)?
            }
        };
        Ok(if scalar { ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?) } else { ColumnarValue::Array(array) })
    }
}

/// Whether `from_csv` (and `from_json`, for a scalar) reads text into `data_type`.
pub(crate) fn readable(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Null
            | DataType::Boolean
            | DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::Float32
            | DataType::Float64
            | DataType::Utf8
            | DataType::Decimal128(..)
            | DataType::Date32
            | DataType::Timestamp(..)
    )
}

fn from_csv(input: &ArrayRef, target: &DataType, options: &Options) -> Result<ArrayRef> {
    let DataType::Struct(fields) = target else {
        return plan_err!("from_csv: the schema must be a STRUCT, not {target}");
    };
    let (format, fail_fast) = (Format::new(options, false)?, options.fail_fast("from_csv")?);
    let lines = cast(input, &DataType::Utf8)?;
    let lines = lines.as_string::<i32>();
    let rows: Vec<Option<Vec<Option<String>>>> =
        (0..lines.len()).map(|row| lines.is_valid(row).then(|| format.split(lines.value(row)))).collect();
    let mut columns = Vec::with_capacity(fields.len());
    for (at, field) in fields.iter().enumerate() {
        let texts: StringArray =
            rows.iter().map(|fields| fields.as_ref().and_then(|f| f.get(at).cloned().flatten())).collect();
        let column = cast(&texts, field.data_type())?;
        if fail_fast && let Some(row) = (0..texts.len()).find(|&row| texts.is_valid(row) && column.is_null(row)) {
            return malformed_record_error(lines.value(row));
        }
        columns.push(column);
    }
    let valid = NullBuffer::from((0..lines.len()).map(|row| lines.is_valid(row)).collect::<Vec<_>>());
    Ok(Arc::new(StructArray::try_new(fields.clone(), columns, Some(valid))?))
}

fn to_csv(input: &ArrayRef, options: &Options) -> Result<ArrayRef> {
    let format = Format::new(options, true)?;
    let date_format = options.get("dateFormat").unwrap_or(DEFAULT_DATE_FORMAT);
    let timestamp_format = options.get("timestampFormat").unwrap_or(DEFAULT_TIMESTAMP_FORMAT);
    let structs = input.as_struct();
    let mut lines = Vec::with_capacity(structs.len());
    for row in 0..structs.len() {
        if structs.is_null(row) {
            lines.push(None);
            continue;
        }
        let mut line = String::new();
        for (i, column) in structs.columns().iter().enumerate() {
            if i > 0 {
                line.push(format.separator);
            }
            if column.is_null(row) {
                line.push_str(&format.null_value);
                continue;
            }
            let text = match column.data_type() {
                DataType::Date32 | DataType::Date64 => format_datetime(column.as_ref(), row, date_format)?,
                DataType::Timestamp(_, Some(_)) => format_datetime(column.as_ref(), row, timestamp_format)?,
                DataType::Timestamp(_, None) => format_datetime(column.as_ref(), row, "yyyy-MM-dd'T'HH:mm:ss.SSS")?,
                _ => format_cell(column.as_ref(), row),
            };
            format.write(&text, &mut line);
        }
        lines.push(Some(line));
    }
    Ok(Arc::new(StringArray::from(lines)))
}

fn schema_of_csv(input: &ArrayRef, options: &Options) -> Result<ArrayRef> {
    let format = Format::new(options, false)?;
    let lines = cast(input, &DataType::Utf8)?;
    let lines = lines.as_string::<i32>();
    let schemas: Vec<Option<String>> = (0..lines.len())
        .map(|row| {
            lines.is_valid(row).then(|| {
                let fields: Vec<Field> = format
                    .split(lines.value(row))
                    .iter()
                    .enumerate()
                    .map(|(i, text)| Field::new(format!("_c{i}"), text.as_deref().map_or(DataType::Utf8, infer), true))
                    .collect();
                sql_name(&DataType::Struct(fields.into()))
            })
        })
        .collect();
    Ok(Arc::new(StringArray::from(schemas)))
}

/// The type Spark's `CSVInferSchema` gives one field: INT, BIGINT, DOUBLE, DATE,
/// TIMESTAMP, BOOLEAN, else STRING.
fn infer(text: &str) -> DataType {
    if text.parse::<i32>().is_ok() {
        DataType::Int32
    } else if text.parse::<i64>().is_ok() {
        DataType::Int64
    } else if java_double(text) {
        DataType::Float64
    } else if is_date(text) {
        DataType::Date32
    } else if parses_as(text, &DataType::Timestamp(TimeUnit::Microsecond, None)) {
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    } else if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") {
        DataType::Boolean
    } else {
        DataType::Utf8
    }
}

/// Whether Java's `Double.parseDouble` reads `text` (it allows blanks around the number
/// and a `d`/`f` suffix, and spells the specials `NaN` and `Infinity`).
fn java_double(text: &str) -> bool {
    let text = text.trim();
    let unsigned = text.trim_start_matches(['+', '-']);
    if matches!(unsigned, "NaN" | "Infinity") {
        return true;
    }
    let number = text.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(text);
    !number.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') && number.parse::<f64>().is_ok()
}

/// Whether `text` is a date in Spark's default `yyyy-MM-dd` form.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len()))
        && parses_as(text, &DataType::Date32)
}

fn parses_as(text: &str, data_type: &DataType) -> bool {
    cast(&StringArray::from(vec![text]), data_type).is_ok_and(|array| array.is_valid(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str, options: &[(&str, &str)]) -> Vec<Option<String>> {
        let options = Options::from_pairs(options);
        Format::new(&options, false).unwrap().split(line)
    }

    #[test]
    fn lines_split_as_spark_reads_them() {
        let text = |s: &str| Some(s.to_string());
        assert_eq!(split("1,2,", &[]), vec![text("1"), text("2"), None]);
        assert_eq!(split(r#""1","a,b","x""y""#, &[]), vec![text("1"), text("a,b"), text("x\"y")]);
        assert_eq!(split("1|a|true", &[("sep", "|")]), vec![text("1"), text("a"), text("true")]);
        assert_eq!(split("   abc", &[("ignoreLeadingWhiteSpace", "True")]), vec![text("abc")]);
    }

    #[test]
    fn fields_infer_as_spark_infers_them() {
        assert_eq!(infer("1"), DataType::Int32);
        assert_eq!(infer("3000000000"), DataType::Int64);
        assert_eq!(infer("1.5"), DataType::Float64);
        assert_eq!(infer("inf"), DataType::Utf8);
        assert_eq!(infer("true"), DataType::Boolean);
        assert_eq!(infer("2022-02-22"), DataType::Date32);
        assert_eq!(infer("a"), DataType::Utf8);
    }

    #[test]
    fn values_are_quoted_when_they_must_be() {
        let format = Format::new(&Options::default(), true).unwrap();
        let mut out = String::new();
        for (i, value) in ["2", " Alice ", "[100, 200]", "", "a\"b"].iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            format.write(value, &mut out);
        }
        assert_eq!(out, r#"2,Alice,"[100, 200]","","a\"b""#);
    }
}
