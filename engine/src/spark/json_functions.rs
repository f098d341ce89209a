//! Spark's JSON functions on typed values: `from_json(json, schema[, options])` reads JSON
//! text into a struct, array or map; `to_json(value[, options])` writes one as JSON text;
//! `schema_of_json(json[, options])` infers the schema of a JSON literal and writes it as
//! DDL (`STRUCT<a: BIGINT>`).
//!
//! `from_json`'s schema reaches the engine as its second argument's type: Spark takes a
//! DDL or JSON schema string, and Flint's Connect server reads that string and passes a
//! NULL of the type it names (`flint_connect::plan::functions`).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, ListArray, MapArray, NullArray, StringArray,
    StructArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Float32Type, Float64Type};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::spark::format::{format_cell, java_double, java_float};
use crate::spark::json::{self, Json, Syntax};
use crate::spark::text_options::{
    DEFAULT_DATE_FORMAT, DEFAULT_TIMESTAMP_FORMAT, Options, format_datetime, malformed_record_error,
};
use crate::spark::type_names::sql_name;

/// The JSON functions of this module, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(FromJson { signature: Signature::user_defined(Volatility::Immutable) }),
        ScalarUDF::new_from_impl(ToJson { signature: Signature::user_defined(Volatility::Immutable) }),
        ScalarUDF::new_from_impl(SchemaOfJson { signature: Signature::user_defined(Volatility::Immutable) }),
    ]
}

/// The JSON syntax `options` allow.
pub fn syntax(options: &Options) -> Result<Syntax> {
    Ok(Syntax {
        single_quotes: options.flag("allowSingleQuotes", true)?,
        unquoted_field_names: options.flag("allowUnquotedFieldNames", false)?,
    })
}

/// The arguments after the first two (or one) must be one options map.
fn check_arity(function: &str, args: &[DataType], fixed: usize) -> Result<()> {
    if args.len() < fixed || args.len() > fixed + 1 {
        let what = if fixed == 2 { "a JSON string, a schema" } else { "a value" };
        return plan_err!("{function} takes {what} and optional options, not {} arguments", args.len());
    }
    Ok(())
}

/// `data_type` with every field, element and value nullable, as Spark reads JSON into.
pub fn nullable(data_type: &DataType) -> DataType {
    let field = |f: &FieldRef| Arc::new(Field::new(f.name(), nullable(f.data_type()), true));
    match data_type {
        DataType::Struct(fields) => DataType::Struct(fields.iter().map(field).collect()),
        DataType::List(element) => DataType::List(field(element)),
        DataType::Map(entries, sorted) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => {
                let key = Arc::new(Field::new(kv[0].name(), nullable(kv[0].data_type()), false));
                let entries = Field::new(entries.name(), DataType::Struct(vec![key, field(&kv[1])].into()), false);
                DataType::Map(Arc::new(entries), *sorted)
            }
            _ => data_type.clone(),
        },
        other => other.clone(),
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct FromJson {
    signature: Signature,
}

impl ScalarUDFImpl for FromJson {
    fn name(&self) -> &str {
        "from_json"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        plan_err!("from_json: the return type comes from the schema argument, not from {args:?}")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let schema = args.arg_fields.get(1).map(|f| f.data_type());
        match schema {
            Some(data_type @ (DataType::Struct(_) | DataType::List(_) | DataType::Map(..))) => {
                check_readable(data_type)?;
                Ok(Arc::new(Field::new(self.name(), nullable(data_type), true)))
            }
            Some(other) => plan_err!(
                "[DATATYPE_MISMATCH.INVALID_JSON_SCHEMA] from_json: the schema must be a STRUCT, ARRAY or MAP \
                 given as a DDL or JSON schema string, not {other}"
            ),
            None => plan_err!("from_json takes a JSON string and a schema"),
        }
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        check_arity("from_json", args, 2)?;
        let mut types = args.to_vec();
        types[0] = DataType::Utf8;
        Ok(types)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let options = Options::from_arg(args.args.get(2), "from_json")?;
        let (syntax, fail_fast) = (syntax(&options)?, options.fail_fast("from_json")?);
        let target = args.return_field.data_type().clone();
        let scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let texts = args.args[0].to_array(args.number_rows)?;
        let texts = cast(&texts, &DataType::Utf8)?;
        let texts = texts.as_string::<i32>();
        let empty = Json::Object(Vec::new());
        let mut parsed = Vec::with_capacity(texts.len());
        for row in 0..texts.len() {
            parsed.push(if texts.is_null(row) { None } else { json::parse(texts.value(row), syntax) });
        }
        let mut values: Vec<Option<&Json>> = Vec::with_capacity(parsed.len());
        for (row, value) in parsed.iter().enumerate() {
            let shape_fits = matches!(
                (value, &target),
                (Some(Json::Object(_)), DataType::Struct(_) | DataType::Map(..)) | (Some(Json::Array(_)), DataType::List(_))
            );
            let whole = value.as_ref().is_some_and(|value| shape_fits && fits(value, &target));
            values.push(match value {
                _ if texts.is_null(row) => None,
                Some(value) if whole => Some(value),
                _ if fail_fast => return malformed_record_error(texts.value(row)),
                // Spark keeps the fields of a struct that did read (partial results); a
                // malformed record reads as a struct of NULLs, as NULL for other schemas.
                Some(value) if shape_fits && matches!(target, DataType::Struct(_)) => Some(value),
                _ => matches!(target, DataType::Struct(_)).then_some(&empty),
            });
        }
        let array = read(&values, &target)?;
        Ok(if scalar { ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?) } else { ColumnarValue::Array(array) })
    }
}

/// Fails when `from_json` cannot read JSON into `data_type`.
fn check_readable(data_type: &DataType) -> Result<()> {
    match data_type {
        DataType::Struct(fields) => fields.iter().try_for_each(|f| check_readable(f.data_type())),
        DataType::List(element) => check_readable(element.data_type()),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => check_readable(kv[1].data_type()),
            other => plan_err!("from_json: bad map entries {other}"),
        },
        scalar if crate::spark::csv::readable(scalar) => Ok(()),
        other => plan_err!("from_json: Flint cannot read JSON into {other} yet"),
    }
}

/// Whether `value` reads into `data_type` without a mismatch anywhere inside it.
fn fits(value: &Json, data_type: &DataType) -> bool {
    let integer = |text: &str| text.parse::<i64>().ok();
    match (value, data_type) {
        (Json::Null, _) => true,
        (Json::Bool(_), DataType::Boolean) => true,
        (Json::Number(text), DataType::Int8) => integer(text).is_some_and(|n| i8::try_from(n).is_ok()),
        (Json::Number(text), DataType::Int16) => integer(text).is_some_and(|n| i16::try_from(n).is_ok()),
        (Json::Number(text), DataType::Int32) => integer(text).is_some_and(|n| i32::try_from(n).is_ok()),
        (Json::Number(text), DataType::Int64) => integer(text).is_some(),
        (Json::Number(_), DataType::Float32 | DataType::Float64 | DataType::Decimal128(..)) => true,
        (Json::String(text), DataType::Float32 | DataType::Float64) => special_double(text).is_some(),
        (Json::String(_), DataType::Decimal128(..) | DataType::Date32 | DataType::Timestamp(..)) => true,
        (_, DataType::Utf8) => true,
        (Json::Object(members), DataType::Struct(fields)) => fields.iter().all(|field| {
            members.iter().find(|(key, _)| key == field.name()).is_none_or(|(_, v)| fits(v, field.data_type()))
        }),
        (Json::Array(items), DataType::List(element)) => items.iter().all(|item| fits(item, element.data_type())),
        (Json::Object(members), DataType::Map(entries, _)) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => members.iter().all(|(_, v)| fits(v, kv[1].data_type())),
            _ => false,
        },
        _ => false,
    }
}

/// The column of `data_type` that `values` read into (`None`: NULL); a value of another
/// shape reads as NULL.
fn read(values: &[Option<&Json>], data_type: &DataType) -> Result<ArrayRef> {
    let array: ArrayRef = match data_type {
        DataType::Null => Arc::new(NullArray::new(values.len())),
        DataType::Boolean => Arc::new(
            values
                .iter()
                .map(|v| match present(v) {
                    None => None,
                    Some(Json::Bool(b)) => Some(*b),
                    Some(_) => None,
                })
                .collect::<BooleanArray>(),
        ),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            let longs: Int64Array = values
                .iter()
                .map(|v| match present(v) {
                    None => None,
                    Some(Json::Number(text)) if text.parse::<i64>().is_ok() => text.parse().ok(),
                    Some(_) => None,
                })
                .collect();
            cast(&longs, data_type)?
        }
        DataType::Float32 | DataType::Float64 => {
            let doubles: Float64Array = values
                .iter()
                .map(|v| match present(v) {
                    None => None,
                    Some(Json::Number(text)) => text.parse().ok(),
                    Some(Json::String(text)) if special_double(text).is_some() => special_double(text),
                    Some(_) => None,
                })
                .collect();
            cast(&doubles, data_type)?
        }
        DataType::Utf8 => Arc::new(
            values
                .iter()
                .map(|v| match present(v) {
                    None => None,
                    Some(Json::String(text)) => Some(text.clone()),
                    Some(other) => Some(other.to_text()),
                })
                .collect::<StringArray>(),
        ),
        DataType::Decimal128(..) | DataType::Date32 | DataType::Timestamp(..) => {
            let texts: StringArray = values
                .iter()
                .map(|v| match present(v) {
                    None => None,
                    Some(Json::String(text)) => Some(text.clone()),
                    Some(Json::Number(text)) if matches!(data_type, DataType::Decimal128(..)) => Some(text.clone()),
                    Some(_) => None,
                })
                .collect();
            cast(&texts, data_type)?
        }
        DataType::Struct(fields) => read_struct(values, fields)?,
        DataType::List(element) => {
            let mut items = Vec::new();
            let mut lengths = Vec::with_capacity(values.len());
            let mut valid = Vec::with_capacity(values.len());
            for value in values {
                match present(value) {
                    Some(Json::Array(elements)) => {
                        items.extend(elements.iter().map(Some));
                        lengths.push(elements.len());
                        valid.push(true);
                    }
                    _ => {
                        lengths.push(0);
                        valid.push(false);
                    }
                }
            }
            let child = read(&items, element.data_type())?;
            Arc::new(ListArray::try_new(
                Arc::clone(element),
                OffsetBuffer::from_lengths(lengths),
                child,
                Some(NullBuffer::from(valid)),
            )?)
        }
        DataType::Map(entries, sorted) => {
            let DataType::Struct(kv) = entries.data_type() else {
                return plan_err!("from_json: bad map entries {}", entries.data_type());
            };
            let (mut keys, mut items) = (Vec::new(), Vec::new());
            let mut lengths = Vec::with_capacity(values.len());
            let mut valid = Vec::with_capacity(values.len());
            for value in values {
                match present(value) {
                    Some(Json::Object(members)) => {
                        keys.extend(members.iter().map(|(k, _)| k.as_str()));
                        items.extend(members.iter().map(|(_, v)| Some(v)));
                        lengths.push(members.len());
                        valid.push(true);
                    }
                    _ => {
                        lengths.push(0);
                        valid.push(false);
                    }
                }
            }
            let keys = cast(&StringArray::from(keys), kv[0].data_type())?;
            let items = read(&items, kv[1].data_type())?;
            let entries_array = StructArray::try_new(kv.clone(), vec![keys, items], None)?;
            Arc::new(MapArray::try_new(
                Arc::clone(entries),
                OffsetBuffer::from_lengths(lengths),
                entries_array,
                Some(NullBuffer::from(valid)),
                *sorted,
            )?)
        }
        other => return plan_err!("from_json: Flint cannot read JSON into {other} yet"),
    };
    Ok(array)
}

/// `value` unless it is absent or JSON `null`.
fn present<'a>(value: &Option<&'a Json>) -> Option<&'a Json> {
    value.filter(|v| !matches!(v, Json::Null))
}

fn read_struct(values: &[Option<&Json>], fields: &Fields) -> Result<ArrayRef> {
    let mut valid = Vec::with_capacity(values.len());
    let mut members: Vec<Option<&Vec<(String, Json)>>> = Vec::with_capacity(values.len());
    for value in values {
        let object = match value {
            Some(Json::Object(object)) => Some(object),
            _ => None,
        };
        members.push(object);
        valid.push(object.is_some());
    }
    let mut columns = Vec::with_capacity(fields.len());
    for field in fields {
        let column: Vec<Option<&Json>> = members
            .iter()
            .map(|object| object.and_then(|m| m.iter().find(|(key, _)| key == field.name()).map(|(_, v)| v)))
            .collect();
        columns.push(read(&column, field.data_type())?);
    }
    if fields.is_empty() {
        return Ok(Arc::new(StructArray::new_empty_fields(values.len(), Some(NullBuffer::from(valid)))));
    }
    Ok(Arc::new(StructArray::try_new(fields.clone(), columns, Some(NullBuffer::from(valid)))?))
}

/// The doubles Jackson reads from strings (`allowNonNumericNumbers`, on by default).
fn special_double(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" | "INF" | "+INF" => Some(f64::INFINITY),
        "-Infinity" | "-INF" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ToJson {
    signature: Signature,
}

/// How `to_json` writes values (Spark's JSON options for writing).
struct WriteOptions {
    ignore_null_fields: bool,
    date_format: String,
    timestamp_format: String,
}

impl ScalarUDFImpl for ToJson {
    fn name(&self) -> &str {
        "to_json"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        check_arity("to_json", args, 1)?;
        match &args[0] {
            DataType::Struct(_) | DataType::List(_) | DataType::LargeList(_) | DataType::Map(..) => Ok(args.to_vec()),
            other => plan_err!(
                "[DATATYPE_MISMATCH.INVALID_JSON_SCHEMA] to_json takes a STRUCT, ARRAY or MAP, not {other}"
            ),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let options = Options::from_arg(args.args.get(1), "to_json")?;
        let options = WriteOptions {
            ignore_null_fields: options.flag("ignoreNullFields", true)?,
            date_format: options.get("dateFormat").unwrap_or(DEFAULT_DATE_FORMAT).to_string(),
            timestamp_format: options.get("timestampFormat").unwrap_or(DEFAULT_TIMESTAMP_FORMAT).to_string(),
        };
        let scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let values = args.args[0].to_array(args.number_rows)?;
        let mut texts = Vec::with_capacity(values.len());
        for row in 0..values.len() {
            texts.push(if values.is_null(row) {
                None
            } else {
                let mut out = String::new();
                write_json(values.as_ref(), row, &options, &mut out)?;
                Some(out)
            });
        }
        let array: ArrayRef = Arc::new(StringArray::from(texts));
        Ok(if scalar { ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?) } else { ColumnarValue::Array(array) })
    }
}

/// Writes row `row` of `array` as Spark's `JacksonGenerator` does.
fn write_json(array: &dyn Array, row: usize, options: &WriteOptions, out: &mut String) -> Result<()> {
    if array.is_null(row) {
        out.push_str("null");
        return Ok(());
    }
    match array.data_type() {
        DataType::Boolean | DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
            out.push_str(&format_cell(array, row));
        }
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => out.push_str(&format_cell(array, row)),
        DataType::Float64 => write_floating(java_double(array.as_primitive::<Float64Type>().value(row)), out),
        DataType::Float32 => write_floating(java_float(array.as_primitive::<Float32Type>().value(row)), out),
        DataType::Decimal128(..) | DataType::Decimal256(..) => {
            out.push_str(&ArrayFormatter::try_new(array, &FormatOptions::new())?.value(row).to_string());
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = cast(&array.slice(row, 1), &DataType::Utf8)?;
            json::write_string(text.as_string::<i32>().value(0), out);
        }
        DataType::Date32 | DataType::Date64 => json::write_string(&format_datetime(array, row, &options.date_format)?, out),
        DataType::Timestamp(_, Some(_)) => {
            json::write_string(&format_datetime(array, row, &options.timestamp_format)?, out);
        }
        DataType::Timestamp(_, None) => {
            json::write_string(&format_datetime(array, row, "yyyy-MM-dd'T'HH:mm:ss.SSS")?, out);
        }
        DataType::Struct(fields) => {
            let columns = array.as_struct().columns();
            out.push('{');
            let mut first = true;
            for (field, column) in fields.iter().zip(columns) {
                if options.ignore_null_fields && column.is_null(row) {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                json::write_string(field.name(), out);
                out.push(':');
                write_json(column.as_ref(), row, options, out)?;
            }
            out.push('}');
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            let items = match array.data_type() {
                DataType::List(_) => array.as_list::<i32>().value(row),
                DataType::LargeList(_) => array.as_list::<i64>().value(row),
                _ => array.as_fixed_size_list().value(row),
            };
            out.push('[');
            for i in 0..items.len() {
                if i > 0 {
                    out.push(',');
                }
                write_json(items.as_ref(), i, options, out)?;
            }
            out.push(']');
        }
        DataType::Map(..) => {
            let entries = array.as_map().value(row);
            out.push('{');
            for i in 0..entries.len() {
                if i > 0 {
                    out.push(',');
                }
                json::write_string(&format_cell(entries.column(0).as_ref(), i), out);
                out.push(':');
                write_json(entries.column(1).as_ref(), i, options, out)?;
            }
            out.push('}');
        }
        other => return exec_err!("to_json: Flint cannot write {other} as JSON yet"),
    }
    Ok(())
}

/// Jackson quotes the floating values that are not JSON numbers (`NaN`, `Infinity`).
fn write_floating(text: String, out: &mut String) {
    if text.starts_with(|c: char| c.is_ascii_digit() || c == '-') && text != "-Infinity" {
        out.push_str(&text);
    } else {
        json::write_string(&text, out);
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SchemaOfJson {
    signature: Signature,
}

impl ScalarUDFImpl for SchemaOfJson {
    fn name(&self) -> &str {
        "schema_of_json"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        check_arity("schema_of_json", args, 1)?;
        let mut types = args.to_vec();
        types[0] = DataType::Utf8;
        Ok(types)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let options = Options::from_arg(args.args.get(1), "schema_of_json")?;
        let syntax = syntax(&options)?;
        let ColumnarValue::Scalar(json) = &args.args[0] else {
            return plan_err!(
                "[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] schema_of_json takes a JSON string literal, not a column"
            );
        };
        let text = match json.cast_to(&DataType::Utf8)? {
            ScalarValue::Utf8(Some(text)) => text,
            _ => {
                return plan_err!("[DATATYPE_MISMATCH.UNEXPECTED_NULL] schema_of_json takes a JSON string, not NULL");
            }
        };
        let data_type = json::parse(&text, syntax).map_or(DataType::Utf8, |value| strings_for_nulls(&infer(&value)));
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(sql_name(&data_type)))))
    }
}

/// The type Spark's `JsonInferSchema` gives `value`: objects as structs with their fields
/// sorted by name, integers as BIGINT (DECIMAL past it), other numbers as DOUBLE.
pub fn infer(value: &Json) -> DataType {
    match value {
        Json::Null => DataType::Null,
        Json::Bool(_) => DataType::Boolean,
        Json::String(_) => DataType::Utf8,
        Json::Number(text) if text.contains(['.', 'e', 'E']) => DataType::Float64,
        Json::Number(text) if text.parse::<i64>().is_ok() => DataType::Int64,
        Json::Number(text) => match text.trim_start_matches('-').len() {
            digits @ 0..=38 => DataType::Decimal128(digits as u8, 0),
            _ => DataType::Float64,
        },
        Json::Array(items) => {
            let element = items.iter().map(infer).reduce(|a, b| merge(&a, &b)).unwrap_or(DataType::Utf8);
            DataType::List(Arc::new(Field::new_list_field(element, true)))
        }
        Json::Object(members) => {
            let mut fields: Vec<(String, DataType)> = Vec::new();
            for (key, value) in members {
                let data_type = infer(value);
                match fields.iter_mut().find(|(name, _)| name == key) {
                    Some((_, seen)) => *seen = merge(seen, &data_type),
                    None => fields.push((key.clone(), data_type)),
                }
            }
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            DataType::Struct(fields.into_iter().map(|(name, t)| Field::new(name, t, true)).collect())
        }
    }
}

/// The type two inferred types widen to (Spark's `JsonInferSchema.compatibleType`).
fn merge(a: &DataType, b: &DataType) -> DataType {
    match (a, b) {
        _ if a == b => a.clone(),
        (DataType::Null, other) | (other, DataType::Null) => other.clone(),
        (DataType::Float64, DataType::Int64 | DataType::Decimal128(..))
        | (DataType::Int64 | DataType::Decimal128(..), DataType::Float64) => DataType::Float64,
        (DataType::Decimal128(p, s), DataType::Int64) | (DataType::Int64, DataType::Decimal128(p, s)) => {
            DataType::Decimal128((*p).max(20), *s)
        }
        (DataType::Decimal128(p1, s1), DataType::Decimal128(p2, s2)) => {
            let scale = (*s1).max(*s2);
            let integral = (*p1 as i8 - *s1).max(*p2 as i8 - *s2);
            DataType::Decimal128(((integral + scale) as u8).min(38), scale)
        }
        (DataType::Struct(left), DataType::Struct(right)) => {
            let mut fields: Vec<(String, DataType)> =
                left.iter().map(|f| (f.name().clone(), f.data_type().clone())).collect();
            for field in right {
                match fields.iter_mut().find(|(name, _)| name == field.name()) {
                    Some((_, seen)) => *seen = merge(seen, field.data_type()),
                    None => fields.push((field.name().clone(), field.data_type().clone())),
                }
            }
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            DataType::Struct(fields.into_iter().map(|(name, t)| Field::new(name, t, true)).collect())
        }
        (DataType::List(left), DataType::List(right)) => {
            DataType::List(Arc::new(Field::new_list_field(merge(left.data_type(), right.data_type()), true)))
        }
        _ => DataType::Utf8,
    }
}

/// `data_type` with the types of values that were only ever NULL read as STRING, as
/// Spark's `schema_of_json` writes them.
fn strings_for_nulls(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Null => DataType::Utf8,
        DataType::List(element) => {
            DataType::List(Arc::new(Field::new_list_field(strings_for_nulls(element.data_type()), true)))
        }
        DataType::Struct(fields) => DataType::Struct(
            fields.iter().map(|f| Field::new(f.name(), strings_for_nulls(f.data_type()), true)).collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(text: &str) -> String {
        sql_name(&strings_for_nulls(&infer(&json::parse(text, Syntax::default()).unwrap())))
    }

    /// Spark 4.2's `schema_of_json` answers.
    #[test]
    fn inferred_schemas_as_spark_writes_them() {
        assert_eq!(schema(r#"{"a": 0}"#), "STRUCT<a: BIGINT>");
        assert_eq!(schema(r#"[{"col":0}]"#), "ARRAY<STRUCT<col: BIGINT>>");
        assert_eq!(schema(r#"{"b": [1, 2.5], "a": null, "c": {"x": "y"}}"#), "STRUCT<a: STRING, b: ARRAY<DOUBLE>, c: STRUCT<x: STRING>>");
    }
}
