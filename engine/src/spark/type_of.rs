//! Spark's `typeof(expr)`: the name of the argument's type, as Spark's `catalogString`
//! writes it (`int`, `bigint`, `decimal(10,2)`, `array<string>`, `map<string,int>`,
//! `struct<a:int,b:string>` …). DataFusion's `arrow_typeof` gives Arrow's names instead.

use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

/// The `typeof` function, ready to register.
pub fn spark_typeof() -> ScalarUDF {
    ScalarUDF::new_from_impl(SparkTypeOf { signature: Signature::any(1, Volatility::Immutable) })
}

/// Spark's name of `data_type`, as `typeof` and DDL write it.
pub fn catalog_string(data_type: &DataType) -> String {
    match data_type {
        DataType::Null => "void".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Int8 => "tinyint".into(),
        DataType::Int16 | DataType::UInt8 => "smallint".into(),
        DataType::Int32 | DataType::UInt16 => "int".into(),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => "bigint".into(),
        DataType::Float16 | DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) | DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => {
            format!("decimal({p},{s})")
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => "binary".into(),
        DataType::Date32 | DataType::Date64 => "date".into(),
        DataType::Timestamp(_, Some(_)) => "timestamp".into(),
        DataType::Timestamp(_, None) => "timestamp_ntz".into(),
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
        other => other.to_string().to_lowercase(),
    }
}

/// See the module documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SparkTypeOf {
    signature: Signature,
}

impl ScalarUDFImpl for SparkTypeOf {
    fn name(&self) -> &str {
        "typeof"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.arg_fields.as_slice() else {
            return plan_err!("typeof takes one argument, not {}", args.arg_fields.len());
        };
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(catalog_string(arg.data_type())))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Field;
    use std::sync::Arc;

    fn field(name: &str, data_type: DataType) -> Field {
        Field::new(name, data_type, true)
    }

    /// Spark's names (Spark's docs of `typeof` and of the SQL data types).
    #[test]
    fn names_as_spark_writes_them() {
        assert_eq!(catalog_string(&DataType::Int32), "int");
        assert_eq!(catalog_string(&DataType::Int64), "bigint");
        assert_eq!(catalog_string(&DataType::Int8), "tinyint");
        assert_eq!(catalog_string(&DataType::Decimal128(10, 2)), "decimal(10,2)");
        let list = DataType::List(Arc::new(field("item", DataType::Int32)));
        assert_eq!(catalog_string(&list), "array<int>");
        let strukt = DataType::Struct(vec![field("a", DataType::Int32), field("b", DataType::Utf8)].into());
        assert_eq!(catalog_string(&strukt), "struct<a:int,b:string>");
        let entries = DataType::Struct(vec![field("key", DataType::Utf8), field("value", DataType::Int64)].into());
        let map = DataType::Map(Arc::new(Field::new("entries", entries, false)), false);
        assert_eq!(catalog_string(&map), "map<string,bigint>");
    }
}
