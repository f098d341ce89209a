//! `LocalRelation`: rows the client sends as an Arrow IPC stream (`createDataFrame`),
//! and the schema strings (DDL or JSON) that come with them and with readers.

use std::io::Cursor;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema};
use arrow::ipc::reader::StreamReader;
use datafusion::datasource::MemTable;
use flint_engine::{DataFrame, FlintSession};

use crate::errors::{ConnectError, Result};
use crate::types::{parse_ddl_fields, parse_type_name};

/// The DataFrame of a local relation.
pub fn read(session: &FlintSession, local: &spark_connect_proto::LocalRelation) -> Result<DataFrame> {
    let (schema, batches) = match local.data.as_ref().filter(|d| !d.is_empty()) {
        Some(data) => {
            let reader = StreamReader::try_new(Cursor::new(data.to_vec()), None)?;
            let schema = reader.schema();
            let batches = reader.collect::<std::result::Result<Vec<_>, _>>()?;
            (schema, batches)
        }
        None => {
            let schema = match local.schema.as_deref() {
                Some(text) => parse_schema(text)?,
                None => Schema::empty(),
            };
            (Arc::new(schema), vec![])
        }
    };
    let table = MemTable::try_new(schema, vec![batches])?;
    Ok(DataFrame::new(session.clone(), session.context().read_table(Arc::new(table))?))
}

/// The DataFrame of a cached local relation: Arrow IPC streams uploaded as artifacts,
/// with the schema string for when there are no rows.
pub fn read_chunks(session: &FlintSession, chunks: &[bytes::Bytes], schema: Option<&str>) -> Result<DataFrame> {
    let mut arrow_schema = None;
    let mut batches = Vec::new();
    for chunk in chunks.iter().filter(|c| !c.is_empty()) {
        let reader = StreamReader::try_new(Cursor::new(chunk.to_vec()), None)?;
        arrow_schema.get_or_insert_with(|| reader.schema());
        for batch in reader {
            batches.push(batch?);
        }
    }
    let schema = match (arrow_schema, schema) {
        (Some(found), _) => found,
        (None, Some(text)) => Arc::new(parse_schema(text)?),
        (None, None) => Arc::new(Schema::empty()),
    };
    let table = MemTable::try_new(schema, vec![batches])?;
    Ok(DataFrame::new(session.clone(), session.context().read_table(Arc::new(table))?))
}

/// A schema from Spark's JSON form (`{"type":"struct","fields":[…]}`) or a DDL string
/// (`a INT, b STRING`).
pub fn parse_schema(text: &str) -> Result<Schema> {
    let text = text.trim();
    if text.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ConnectError::InvalidPlan { reason: format!("bad JSON schema: {e}") })?;
        return match json_type(&value) {
            Some(DataType::Struct(fields)) => Ok(Schema::new(fields)),
            _ => Err(ConnectError::Unsupported { what: format!("schema {text}") }),
        };
    }
    if text.to_ascii_lowercase().starts_with("struct<") {
        return match parse_type_name(text) {
            Some(DataType::Struct(fields)) => Ok(Schema::new(fields)),
            _ => Err(ConnectError::InvalidPlan { reason: format!("bad DDL schema '{text}'") }),
        };
    }
    let fields = parse_ddl_fields(text).map_err(|column| match parse_ddl_type(&column) {
        Some(type_name) => ConnectError::Unsupported { what: format!("DDL type '{type_name}'") },
        None => ConnectError::InvalidPlan { reason: format!("bad DDL column '{column}'") },
    })?;
    Ok(Schema::new(fields))
}

/// The type part of a DDL column that did not parse, to name it in the error.
fn parse_ddl_type(column: &str) -> Option<&str> {
    let at = column.find(|c: char| c.is_whitespace() || c == ':')?;
    let rest = column[at..].trim_start();
    Some(rest.strip_prefix(':').unwrap_or(rest).trim())
}

/// The type a Spark JSON type (`"integer"`, `{"type":"struct",…}`, arrays, maps) names.
pub fn json_type(value: &serde_json::Value) -> Option<DataType> {
    match value {
        serde_json::Value::String(name) => parse_type_name(name),
        serde_json::Value::Object(map) => match map.get("type")?.as_str()? {
            "struct" => {
                let fields = map
                    .get("fields")?
                    .as_array()?
                    .iter()
                    .map(|f| {
                        let name = f.get("name")?.as_str()?;
                        let data_type = json_type(f.get("type")?)?;
                        let nullable = f.get("nullable").and_then(|n| n.as_bool()).unwrap_or(true);
                        Some(Field::new(name, data_type, nullable))
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some(DataType::Struct(fields.into()))
            }
            "array" => {
                let element = json_type(map.get("elementType")?)?;
                let nullable = map.get("containsNull").and_then(|n| n.as_bool()).unwrap_or(true);
                Some(DataType::List(Arc::new(Field::new("element", element, nullable))))
            }
            "map" => {
                let key = Field::new("key", json_type(map.get("keyType")?)?, false);
                let nullable = map.get("valueContainsNull").and_then(|n| n.as_bool()).unwrap_or(true);
                let value = Field::new("value", json_type(map.get("valueType")?)?, nullable);
                let entries = Field::new("entries", DataType::Struct(vec![key, value].into()), false);
                Some(DataType::Map(Arc::new(entries), false))
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_and_json_schemas() {
        let ddl = parse_schema("a INT, b STRING, c DECIMAL(10, 2)").unwrap();
        assert_eq!(ddl.field(2).data_type(), &DataType::Decimal128(10, 2));
        // Spark's own example (SparkSession.createDataFrame): `name: type` columns.
        let colons = parse_schema("name: string, age: int").unwrap();
        assert_eq!(colons.field(0).name(), "name");
        assert_eq!(colons.field(1).data_type(), &DataType::Int32);
        assert_eq!(parse_schema("a:int").unwrap().field(0).name(), "a");
        // More of Spark's examples: a struct<…> schema, backticks, nested types, NOT NULL.
        let wrapped = parse_schema("struct<dt:string,a:int>").unwrap();
        assert_eq!((wrapped.field(0).name().as_str(), wrapped.field(1).data_type()), ("dt", &DataType::Int32));
        let quoted = parse_schema("id long, `(v1 + v2) / 2` double NOT NULL").unwrap();
        assert_eq!(quoted.field(1).name(), "(v1 + v2) / 2");
        assert!(!quoted.field(1).is_nullable());
        let nested = parse_schema("m map<string, array<int>>, s struct<Name: string>").unwrap();
        assert!(matches!(nested.field(0).data_type(), DataType::Map(..)));
        assert!(matches!(nested.field(1).data_type(), DataType::Struct(f) if f[0].name() == "Name"));
        assert!(parse_schema("a blob").is_err());
        let json = parse_schema(r#"{"type":"struct","fields":[{"name":"x","type":"long","nullable":false,"metadata":{}}]}"#).unwrap();
        assert_eq!(json.field(0).data_type(), &DataType::Int64);
    }
}
