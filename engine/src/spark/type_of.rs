//! Spark's `typeof(expr)`: the name of the argument's type, as Spark's `catalogString`
//! writes it (`int`, `bigint`, `decimal(10,2)`, `array<string>`, `map<string,int>`,
//! `struct<a:int,b:string>` …). DataFusion's `arrow_typeof` gives Arrow's names instead.

use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use crate::spark::type_names::catalog_string;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

/// The `typeof` function, ready to register.
pub fn spark_typeof() -> ScalarUDF {
    ScalarUDF::new_from_impl(SparkTypeOf { signature: Signature::any(1, Volatility::Immutable) })
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
