//! A Python function as the client sent it (the pickled command, its eval type and
//! Python version), with what a worker needs to run it, and its wire form for plans
//! sent to executors.

use arrow::datatypes::{DataType, TimeUnit};
use datafusion::error::{DataFusionError, Result};
use datafusion_proto::protobuf::ArrowType;
use prost::Message;

/// PySpark's `PythonEvalType` numbers Flint runs.
pub mod eval_type {
    /// `@udf`, row at a time with pickled rows; Flint runs it as [`ARROW_BATCHED_UDF`].
    pub const BATCHED_UDF: i32 = 100;
    /// `@udf(useArrow=True)`: row at a time over Arrow batches.
    pub const ARROW_BATCHED_UDF: i32 = 101;
    /// `@pandas_udf` Series to Series.
    pub const SCALAR_PANDAS_UDF: i32 = 200;
    /// `groupBy().applyInPandas`.
    pub const GROUPED_MAP_PANDAS_UDF: i32 = 201;
    /// `@pandas_udf` Series to scalar, in `groupBy().agg`.
    pub const GROUPED_AGG_PANDAS_UDF: i32 = 202;
    /// `@pandas_udf` Iterator[Series] to Iterator[Series].
    pub const SCALAR_PANDAS_ITER_UDF: i32 = 204;
    /// `mapInPandas`.
    pub const MAP_PANDAS_ITER_UDF: i32 = 205;
    /// `cogroup().applyInPandas`.
    pub const COGROUPED_MAP_PANDAS_UDF: i32 = 206;
    /// `mapInArrow`.
    pub const MAP_ARROW_ITER_UDF: i32 = 207;
    /// `groupBy().applyInArrow`.
    pub const GROUPED_MAP_ARROW_UDF: i32 = 209;
    /// `cogroup().applyInArrow`.
    pub const COGROUPED_MAP_ARROW_UDF: i32 = 210;
    /// `@arrow_udf` Array to Array.
    pub const SCALAR_ARROW_UDF: i32 = 250;
}

/// The `spark.*` keys passed to every worker's `RunnerConf`, read from the session when
/// the plan is made.
pub const WORKER_CONF_KEYS: &[&str] = &[
    "spark.sql.session.timeZone",
    "spark.sql.execution.arrow.maxRecordsPerBatch",
    "spark.sql.execution.pandas.convertToArrowArraySafely",
    "spark.sql.legacy.execution.pandas.groupedMap.assignColumnsByName",
    "spark.sql.execution.pythonUDF.arrow.concurrency.level",
];

/// A Python function and how to run it.
#[derive(Clone, PartialEq, Message)]
pub struct PythonFunction {
    /// The function's name, as the client gave it (`<lambda>`, `add_one`).
    #[prost(string, tag = "1")]
    pub name: String,
    /// The cloudpickled `(function, return type)`.
    #[prost(bytes = "vec", tag = "2")]
    pub command: Vec<u8>,
    /// PySpark's eval type ([`eval_type`]).
    #[prost(int32, tag = "3")]
    pub eval_type: i32,
    /// The client's `major.minor` Python version; the worker refuses another.
    #[prost(string, tag = "4")]
    pub python_ver: String,
    /// `spark.pyspark.python` when the session set it; empty means the executor's
    /// `PYSPARK_PYTHON`, else `python3`.
    #[prost(string, tag = "5")]
    pub python: String,
    /// Settings for the worker's `RunnerConf`, as (key, value) pairs flattened.
    #[prost(string, repeated, tag = "6")]
    pub conf: Vec<String>,
    /// Whether the function gives the same result for the same input.
    #[prost(bool, tag = "7")]
    pub deterministic: bool,
    /// The Arrow type of its result (a struct for the map and grouped kinds).
    #[prost(message, optional, tag = "8")]
    pub return_type: Option<ArrowType>,
}

impl PythonFunction {
    /// The result's Arrow type.
    pub fn return_type(&self) -> Result<DataType> {
        let arrow = self
            .return_type
            .as_ref()
            .ok_or_else(|| DataFusionError::Internal(format!("Python function {} has no return type", self.name)))?;
        DataType::try_from(arrow).map_err(|e| DataFusionError::Internal(format!("return type of {}: {e}", self.name)))
    }

    /// Sets the result's Arrow type.
    pub fn with_return_type(mut self, data_type: &DataType) -> Result<Self> {
        self.return_type = Some(
            ArrowType::try_from(data_type)
                .map_err(|e| DataFusionError::NotImplemented(format!("Python function result of type {data_type}: {e}")))?,
        );
        Ok(self)
    }

    /// The interpreter to run: the session's `spark.pyspark.python`, else this
    /// process's `PYSPARK_PYTHON`, else `python3` (as Spark resolves it).
    pub fn interpreter(&self) -> String {
        if !self.python.is_empty() {
            return self.python.clone();
        }
        std::env::var("PYSPARK_PYTHON").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".to_string())
    }

    /// The worker's `RunnerConf` as pairs.
    pub fn runner_conf(&self) -> Vec<(String, String)> {
        self.conf.chunks_exact(2).map(|kv| (kv[0].clone(), kv[1].clone())).collect()
    }
}

/// The Spark JSON form of `data_type` (`DataType.json()`), which the worker parses for
/// the input types of Arrow-batched UDFs.
pub fn spark_json_type(data_type: &DataType) -> Result<serde_json::Value> {
    use serde_json::json;
    let simple = |name: &str| Ok(json!(name));
    match data_type {
        DataType::Null => simple("void"),
        DataType::Boolean => simple("boolean"),
        DataType::Int8 => simple("byte"),
        DataType::Int16 => simple("short"),
        DataType::Int32 => simple("integer"),
        DataType::Int64 => simple("long"),
        DataType::Float32 => simple("float"),
        DataType::Float64 => simple("double"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => simple("string"),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => simple("binary"),
        DataType::Date32 => simple("date"),
        DataType::Timestamp(TimeUnit::Microsecond, Some(_)) => simple("timestamp"),
        DataType::Timestamp(TimeUnit::Microsecond, None) => simple("timestamp_ntz"),
        DataType::Decimal128(p, s) => Ok(json!(format!("decimal({p},{s})"))),
        DataType::List(field) | DataType::LargeList(field) => Ok(json!({
            "type": "array", "elementType": spark_json_type(field.data_type())?, "containsNull": field.is_nullable()
        })),
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => Ok(json!({
                "type": "map", "keyType": spark_json_type(kv[0].data_type())?,
                "valueType": spark_json_type(kv[1].data_type())?, "valueContainsNull": kv[1].is_nullable()
            })),
            other => Err(DataFusionError::NotImplemented(format!("map entries of type {other} for a Python UDF"))),
        },
        DataType::Struct(fields) => Ok(json!({
            "type": "struct",
            "fields": fields.iter().map(|f| Ok(json!({
                "name": f.name(), "type": spark_json_type(f.data_type())?, "nullable": f.is_nullable(), "metadata": {}
            }))).collect::<Result<Vec<_>>>()?
        })),
        other => Err(DataFusionError::NotImplemented(format!("an argument of type {other} to a Python UDF"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{Field, Fields};
    use std::sync::Arc;

    #[test]
    fn struct_types_in_spark_json() {
        let t = DataType::Struct(Fields::from(vec![
            Field::new("a", DataType::Int32, true),
            Field::new("b", DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))), false),
        ]));
        assert_eq!(
            spark_json_type(&t).unwrap().to_string(),
            r#"{"fields":[{"metadata":{},"name":"a","nullable":true,"type":"integer"},{"metadata":{},"name":"b","nullable":false,"type":{"containsNull":true,"elementType":"string","type":"array"}}],"type":"struct"}"#
        );
    }

    #[test]
    fn the_function_round_trips_through_its_wire_form() {
        let f = PythonFunction { name: "f".into(), eval_type: eval_type::SCALAR_PANDAS_UDF, ..Default::default() }
            .with_return_type(&DataType::Int64)
            .unwrap();
        let decoded = PythonFunction::decode(f.encode_to_vec().as_slice()).unwrap();
        assert_eq!(decoded.return_type().unwrap(), DataType::Int64);
        assert_eq!(decoded, f);
    }
}
