//! Spark data types (`spark.connect.DataType`) from Arrow types, and the Arrow types
//! Flint sends to clients (PySpark reads only the types Spark itself produces).

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema, TimeUnit};
use spark_connect_proto::data_type::{self as dt, Kind};

/// The Spark type of an Arrow type.
pub fn spark_type(data_type: &DataType) -> spark_connect_proto::DataType {
    let kind = match data_type {
        DataType::Null => Kind::Null(dt::Null::default()),
        DataType::Boolean => Kind::Boolean(dt::Boolean::default()),
        DataType::Int8 => Kind::Byte(dt::Byte::default()),
        DataType::Int16 | DataType::UInt8 => Kind::Short(dt::Short::default()),
        DataType::Int32 | DataType::UInt16 => Kind::Integer(dt::Integer::default()),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => Kind::Long(dt::Long::default()),
        DataType::Float16 | DataType::Float32 => Kind::Float(dt::Float::default()),
        DataType::Float64 => Kind::Double(dt::Double::default()),
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) | DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => {
            Kind::Decimal(dt::Decimal {
                precision: Some(i32::from(*p)),
                scale: Some(i32::from(*s)),
                type_variation_reference: 0,
            })
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Kind::String(dt::String::default()),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            Kind::Binary(dt::Binary::default())
        }
        DataType::Date32 | DataType::Date64 => Kind::Date(dt::Date::default()),
        DataType::Timestamp(_, Some(_)) => Kind::Timestamp(dt::Timestamp::default()),
        DataType::Timestamp(_, None) => Kind::TimestampNtz(dt::TimestampNtz::default()),
        DataType::List(field) | DataType::LargeList(field) | DataType::ListView(field) | DataType::FixedSizeList(field, _) => {
            Kind::Array(Box::new(dt::Array {
                element_type: Some(Box::new(spark_type(field.data_type()))),
                contains_null: field.is_nullable(),
                type_variation_reference: 0,
            }))
        }
        DataType::Struct(fields) => Kind::Struct(spark_struct(fields)),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => Kind::Map(Box::new(dt::Map {
                key_type: Some(Box::new(spark_type(kv[0].data_type()))),
                value_type: Some(Box::new(spark_type(kv[1].data_type()))),
                value_contains_null: kv[1].is_nullable(),
                type_variation_reference: 0,
            })),
            _ => Kind::String(dt::String::default()),
        },
        DataType::Dictionary(_, value) => return spark_type(value),
        _ => Kind::String(dt::String::default()),
    };
    spark_connect_proto::DataType { kind: Some(kind) }
}

/// The Spark struct type of a list of Arrow fields.
pub fn spark_struct(fields: &Fields) -> dt::Struct {
    dt::Struct {
        fields: fields
            .iter()
            .map(|f| dt::StructField {
                name: f.name().clone(),
                data_type: Some(spark_type(f.data_type())),
                nullable: f.is_nullable(),
                metadata: None,
            })
            .collect(),
        type_variation_reference: 0,
    }
}

/// The Spark schema of an Arrow schema, as the struct type `df.schema` returns.
pub fn spark_schema(schema: &Schema) -> spark_connect_proto::DataType {
    spark_connect_proto::DataType { kind: Some(Kind::Struct(spark_struct(schema.fields()))) }
}

/// The Arrow type Flint sends for `data_type`: what Spark itself would send (UTF-8
/// strings, microsecond timestamps, signed integers), so PySpark can convert it.
pub fn wire_type(data_type: &DataType) -> DataType {
    match data_type {
        DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
        DataType::BinaryView | DataType::LargeBinary | DataType::FixedSizeBinary(_) => DataType::Binary,
        DataType::UInt8 => DataType::Int16,
        DataType::UInt16 => DataType::Int32,
        DataType::UInt32 | DataType::UInt64 => DataType::Int64,
        DataType::Float16 => DataType::Float32,
        DataType::Date64 => DataType::Date32,
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) => DataType::Decimal128(*p, *s),
        DataType::Timestamp(_, tz) => DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
        DataType::Dictionary(_, value) => wire_type(value),
        DataType::List(field) | DataType::LargeList(field) | DataType::ListView(field) | DataType::FixedSizeList(field, _) => {
            DataType::List(Arc::new(wire_field(field)))
        }
        DataType::Struct(fields) => DataType::Struct(fields.iter().map(|f| wire_field(f)).collect()),
        DataType::Map(entries, sorted) => DataType::Map(Arc::new(wire_field(entries)), *sorted),
        other => other.clone(),
    }
}

/// A field with its type made [`wire_type`].
pub fn wire_field(field: &Field) -> Field {
    Field::new(field.name(), wire_type(field.data_type()), field.is_nullable())
}

/// The Spark type name `printSchema` prints (`long`, `string`, `decimal(10,2)` …).
pub fn simple_string(data_type: &DataType) -> String {
    flint_engine::spark::type_names::type_name(data_type)
}

/// Spark's `printSchema` text for a schema.
pub fn tree_string(schema: &Schema) -> String {
    let mut out = String::from("root\n");
    for field in schema.fields() {
        tree_field(&mut out, field, 1);
    }
    out
}

fn tree_field(out: &mut String, field: &Field, depth: usize) {
    let prefix = " |   ".repeat(depth - 1);
    out.push_str(&format!(
        "{prefix} |-- {}: {} (nullable = {})\n",
        field.name(),
        simple_string(field.data_type()),
        field.is_nullable()
    ));
    match field.data_type() {
        DataType::Struct(fields) => {
            for child in fields {
                tree_field(out, child, depth + 1);
            }
        }
        DataType::List(element) | DataType::LargeList(element) => {
            let inner = " |   ".repeat(depth);
            out.push_str(&format!(
                "{inner} |-- element: {} (containsNull = {})\n",
                simple_string(element.data_type()),
                element.is_nullable()
            ));
        }
        _ => {}
    }
}

/// The Arrow type of a Spark type name as written in DDL or `cast("…")`
/// (`int`, `bigint`, `string`, `decimal(10,2)`, `array<int>`, `map<string,int>`,
/// `struct<a:int,b:string>` …); `None` when unknown.
pub fn parse_type_name(name: &str) -> Option<DataType> {
    let text = name.trim();
    let lower = text.to_ascii_lowercase();
    let inner = |prefix: &str| {
        (lower.starts_with(prefix) && lower.ends_with('>')).then(|| &text[prefix.len()..text.len() - 1])
    };
    if let Some(element) = inner("array<") {
        return Some(DataType::List(Arc::new(Field::new("element", parse_type_name(element)?, true))));
    }
    if let Some(entries) = inner("map<") {
        let parts = split_top_level(entries);
        let [key, value] = parts.as_slice() else { return None };
        let key = Field::new("key", parse_type_name(key)?, false);
        let value = Field::new("value", parse_type_name(value)?, true);
        let entries = Field::new("entries", DataType::Struct(vec![key, value].into()), false);
        return Some(DataType::Map(Arc::new(entries), false));
    }
    if let Some(fields) = inner("struct<") {
        return Some(DataType::Struct(parse_ddl_fields(fields).ok()?.into()));
    }
    let data_type = match lower.as_str() {
        "boolean" | "bool" => DataType::Boolean,
        "byte" | "tinyint" => DataType::Int8,
        "short" | "smallint" => DataType::Int16,
        "int" | "integer" => DataType::Int32,
        "long" | "bigint" => DataType::Int64,
        "float" | "real" => DataType::Float32,
        "double" => DataType::Float64,
        "string" | "varchar" | "char" => DataType::Utf8,
        "binary" => DataType::Binary,
        "date" => DataType::Date32,
        "timestamp" | "timestamp_ltz" => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        "timestamp_ntz" => DataType::Timestamp(TimeUnit::Microsecond, None),
        "void" | "null" => DataType::Null,
        "decimal" => DataType::Decimal128(10, 0),
        other if (other.starts_with("varchar(") || other.starts_with("char(")) && other.ends_with(')') => DataType::Utf8,
        other => {
            let args = other.strip_prefix("decimal(")?.strip_suffix(')')?;
            let (p, s) = args.split_once(',')?;
            DataType::Decimal128(p.trim().parse().ok()?, s.trim().parse().ok()?)
        }
    };
    Some(data_type)
}

/// The fields of a DDL column list (`a INT, b: STRING NOT NULL, `c d` DOUBLE`), as Spark's
/// `parseTableSchema` reads it; the error names the column it cannot read.
pub fn parse_ddl_fields(text: &str) -> Result<Vec<Field>, String> {
    split_top_level(text).into_iter().map(|column| parse_ddl_column(column).ok_or_else(|| column.trim().to_string())).collect()
}

/// One DDL column: a name (in backticks when it holds blanks), then `:` or blanks, then
/// its type, then optionally `NOT NULL` and a `COMMENT '…'`.
fn parse_ddl_column(column: &str) -> Option<Field> {
    let column = column.trim();
    let (name, rest) = match column.strip_prefix('`') {
        Some(quoted) => {
            let end = quoted.find('`')?;
            (&quoted[..end], &quoted[end + 1..])
        }
        None => column.split_at(column.find(|c: char| c.is_whitespace() || c == ':')?),
    };
    let mut type_name = rest.trim_start().strip_prefix(':').unwrap_or(rest.trim_start()).trim();
    if let Some(at) = type_name.to_ascii_lowercase().find(" comment ") {
        type_name = type_name[..at].trim_end();
    }
    let (type_name, nullable) = match type_name.to_ascii_lowercase().strip_suffix("not null") {
        Some(kept) => (type_name[..kept.len()].trim_end(), false),
        None => (type_name, true),
    };
    Some(Field::new(name, parse_type_name(type_name)?, nullable))
}

/// Splits `text` at the commas outside `(…)` and `<…>`.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (at, c) in text.char_indices() {
        match c {
            '(' | '<' => depth += 1,
            ')' | '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    if !text[start..].trim().is_empty() {
        parts.push(&text[start..]);
    }
    parts
}

/// The Arrow type of a Spark `DataType` message.
pub fn arrow_type(data_type: &spark_connect_proto::DataType) -> Option<DataType> {
    let data_type = match data_type.kind.as_ref()? {
        Kind::Null(_) => DataType::Null,
        Kind::Boolean(_) => DataType::Boolean,
        Kind::Byte(_) => DataType::Int8,
        Kind::Short(_) => DataType::Int16,
        Kind::Integer(_) => DataType::Int32,
        Kind::Long(_) => DataType::Int64,
        Kind::Float(_) => DataType::Float32,
        Kind::Double(_) => DataType::Float64,
        Kind::Decimal(d) => DataType::Decimal128(
            u8::try_from(d.precision.unwrap_or(10)).ok()?,
            i8::try_from(d.scale.unwrap_or(0)).ok()?,
        ),
        Kind::String(_) | Kind::Char(_) | Kind::VarChar(_) => DataType::Utf8,
        Kind::Binary(_) => DataType::Binary,
        Kind::Date(_) => DataType::Date32,
        Kind::Timestamp(_) => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        Kind::TimestampNtz(_) => DataType::Timestamp(TimeUnit::Microsecond, None),
        Kind::Array(a) => DataType::List(Arc::new(Field::new(
            "element",
            arrow_type(a.element_type.as_deref()?)?,
            a.contains_null,
        ))),
        Kind::Struct(s) => DataType::Struct(
            s.fields
                .iter()
                .map(|f| Some(Field::new(&f.name, arrow_type(f.data_type.as_ref()?)?, f.nullable)))
                .collect::<Option<Vec<_>>>()?
                .into(),
        ),
        Kind::Unparsed(u) => parse_type_name(&u.data_type_string)?,
        _ => return None,
    };
    Some(data_type)
}

/// The SQL name Spark prints for a type in `CAST(x AS …)` (`INT`, `BIGINT`, `STRING` …).
pub fn sql_type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int32 => "INT".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::Decimal128(p, s) => format!("DECIMAL({p},{s})"),
        other => simple_string(other).to_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_schema_matches_spark() {
        let schema = Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8View, true),
        ]);
        assert_eq!(
            tree_string(&schema),
            "root\n |-- id: long (nullable = false)\n |-- name: string (nullable = true)\n"
        );
    }

    #[test]
    fn wire_types_are_what_spark_sends() {
        assert_eq!(wire_type(&DataType::Utf8View), DataType::Utf8);
        assert_eq!(
            wire_type(&DataType::Timestamp(TimeUnit::Nanosecond, None)),
            DataType::Timestamp(TimeUnit::Microsecond, None)
        );
        assert_eq!(parse_type_name("decimal(10, 2)"), Some(DataType::Decimal128(10, 2)));
    }
}
