//! `LocalRelation`: rows the client sends as an Arrow IPC stream (`createDataFrame`),
//! and the schema strings (DDL or JSON) that come with them and with readers.

use std::io::Cursor;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema};
use arrow::ipc::reader::StreamReader;
use datafusion::datasource::MemTable;
use flint_engine::{DataFrame, FlintSession};

use crate::errors::{ConnectError, Result};
use crate::types::parse_type_name;

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
    let mut fields = Vec::new();
    for column in split_top_level(text) {
        let column = column.trim();
        let (name, type_name) = column
            .split_once(char::is_whitespace)
            .or_else(|| column.split_once(':'))
            .ok_or_else(|| ConnectError::InvalidPlan { reason: format!("bad DDL column '{column}'") })?;
        let type_name = type_name.trim().trim_start_matches(':').trim();
        let data_type = parse_type_name(type_name)
            .ok_or_else(|| ConnectError::Unsupported { what: format!("DDL type '{type_name}'") })?;
        fields.push(Field::new(name.trim_matches('`'), data_type, true));
    }
    Ok(Schema::new(fields))
}

fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' | '<' => depth += 1,
            ')' | '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    parts
}

fn json_type(value: &serde_json::Value) -> Option<DataType> {
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
        let json = parse_schema(r#"{"type":"struct","fields":[{"name":"x","type":"long","nullable":false,"metadata":{}}]}"#).unwrap();
        assert_eq!(json.field(0).data_type(), &DataType::Int64);
    }
}
