//! Spark's names of data types, in its two spellings: `typeName` (what `printSchema`
//! prints: `integer`, `long`, `byte`, `short`, and just `array`, `struct`, `map` for the
//! nested types) and `catalogString` (what `typeof` and DDL write: `int`, `bigint`,
//! `tinyint`, `smallint`, `array<int>`, `struct<a:int>`, `map<string,int>`).

use arrow::datatypes::DataType;

/// The two names of a type without parameters: `(typeName, catalogString)`.
fn atomic(data_type: &DataType) -> Option<(&'static str, &'static str)> {
    Some(match data_type {
        DataType::Null => ("void", "void"),
        DataType::Boolean => ("boolean", "boolean"),
        DataType::Int8 => ("byte", "tinyint"),
        DataType::Int16 | DataType::UInt8 => ("short", "smallint"),
        DataType::Int32 | DataType::UInt16 => ("integer", "int"),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => ("long", "bigint"),
        DataType::Float16 | DataType::Float32 => ("float", "float"),
        DataType::Float64 => ("double", "double"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ("string", "string"),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            ("binary", "binary")
        }
        DataType::Date32 | DataType::Date64 => ("date", "date"),
        DataType::Timestamp(_, Some(_)) => ("timestamp", "timestamp"),
        DataType::Timestamp(_, None) => ("timestamp_ntz", "timestamp_ntz"),
        _ => return None,
    })
}

/// Spark's `typeName` of `data_type`, as `printSchema` prints it.
pub fn type_name(data_type: &DataType) -> String {
    if let Some((name, _)) = atomic(data_type) {
        return name.into();
    }
    match data_type {
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) | DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => {
            format!("decimal({p},{s})")
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) | DataType::ListView(_) => "array".into(),
        DataType::Struct(_) => "struct".into(),
        DataType::Map(..) => "map".into(),
        DataType::Dictionary(_, value) => type_name(value),
        other => other.to_string().to_lowercase(),
    }
}

/// Spark's `catalogString` of `data_type`, as `typeof` and DDL write it.
pub fn catalog_string(data_type: &DataType) -> String {
    if let Some((_, name)) = atomic(data_type) {
        return name.into();
    }
    match data_type {
        DataType::List(element)
        | DataType::LargeList(element)
        | DataType::FixedSizeList(element, _)
        | DataType::ListView(element) => format!("array<{}>", catalog_string(element.data_type())),
        DataType::Struct(fields) => {
            let fields: Vec<String> =
                fields.iter().map(|f| format!("{}:{}", f.name(), catalog_string(f.data_type()))).collect();
            format!("struct<{}>", fields.join(","))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => {
                format!("map<{},{}>", catalog_string(kv[0].data_type()), catalog_string(kv[1].data_type()))
            }
            other => format!("map<{}>", catalog_string(other)),
        },
        DataType::Dictionary(_, value) => catalog_string(value),
        other => type_name(other),
    }
}

/// Spark's `sql` form of `data_type`, as `schema_of_json` and `schema_of_csv` write it:
/// upper-case names, `STRUCT<a: BIGINT, `b c`: STRING>`, `ARRAY<INT>`, `MAP<STRING, INT>`.
pub fn sql_name(data_type: &DataType) -> String {
    match data_type {
        DataType::List(element)
        | DataType::LargeList(element)
        | DataType::FixedSizeList(element, _)
        | DataType::ListView(element) => format!("ARRAY<{}>", sql_name(element.data_type())),
        DataType::Struct(fields) => {
            let fields: Vec<String> =
                fields.iter().map(|f| format!("{}: {}", quote_if_needed(f.name()), sql_name(f.data_type()))).collect();
            format!("STRUCT<{}>", fields.join(", "))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => {
                format!("MAP<{}, {}>", sql_name(kv[0].data_type()), sql_name(kv[1].data_type()))
            }
            other => format!("MAP<{}>", sql_name(other)),
        },
        DataType::Dictionary(_, value) => sql_name(value),
        other => catalog_string(other).to_uppercase(),
    }
}

/// `name` in backticks unless it is a plain identifier (Spark's `quoteIfNeeded`).
fn quote_if_needed(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { name.to_string() } else { format!("`{}`", name.replace('`', "``")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Field;
    use std::sync::Arc;

    fn field(name: &str, data_type: DataType) -> Field {
        Field::new(name, data_type, true)
    }

    /// Spark's names (Spark's docs of `typeof`, of the SQL data types and of `printSchema`).
    #[test]
    fn names_as_spark_writes_them() {
        assert_eq!(catalog_string(&DataType::Int32), "int");
        assert_eq!(type_name(&DataType::Int32), "integer");
        assert_eq!(catalog_string(&DataType::Int64), "bigint");
        assert_eq!(type_name(&DataType::Int64), "long");
        assert_eq!(catalog_string(&DataType::Int8), "tinyint");
        assert_eq!(type_name(&DataType::Int8), "byte");
        assert_eq!(catalog_string(&DataType::Decimal128(10, 2)), "decimal(10,2)");
        let list = DataType::List(Arc::new(field("item", DataType::Int32)));
        assert_eq!(catalog_string(&list), "array<int>");
        assert_eq!(type_name(&list), "array");
        let strukt = DataType::Struct(vec![field("a", DataType::Int32), field("b", DataType::Utf8)].into());
        assert_eq!(catalog_string(&strukt), "struct<a:int,b:string>");
        let entries = DataType::Struct(vec![field("key", DataType::Utf8), field("value", DataType::Int64)].into());
        let map = DataType::Map(Arc::new(Field::new("entries", entries, false)), false);
        assert_eq!(catalog_string(&map), "map<string,bigint>");
        assert_eq!(sql_name(&map), "MAP<STRING, BIGINT>");
        let odd = DataType::Struct(vec![field("a b", list), field("_c0", DataType::Decimal128(10, 2))].into());
        assert_eq!(sql_name(&odd), "STRUCT<`a b`: ARRAY<INT>, _c0: DECIMAL(10,2)>");
    }
}
