//! Spark's casts spelled as functions: `int(x)` is `CAST(x AS INT)`, and likewise
//! `boolean`, `tinyint`, `smallint`, `bigint`, `float`, `double`, `decimal`, `string`,
//! `binary` and `date`.

use arrow::datatypes::DataType;
use datafusion::common::{Result, internal_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::spark::non_ansi::spark_cast;
use crate::spark::rewrites::arguments;

/// The function names and the types they cast to.
const CASTS: &[(&str, DataType)] = &[
    ("boolean", DataType::Boolean),
    ("tinyint", DataType::Int8),
    ("smallint", DataType::Int16),
    ("int", DataType::Int32),
    ("bigint", DataType::Int64),
    ("float", DataType::Float32),
    ("double", DataType::Float64),
    ("decimal", DataType::Decimal128(10, 0)),
    ("string", DataType::Utf8),
    ("binary", DataType::Binary),
    ("date", DataType::Date32),
];

/// Every cast function, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    CASTS
        .iter()
        .map(|(name, to)| {
            ScalarUDF::new_from_impl(CastFunction {
                name,
                to: to.clone(),
                signature: Signature::any(1, Volatility::Immutable),
            })
        })
        .collect()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CastFunction {
    name: &'static str,
    to: DataType,
    signature: Signature,
}

impl ScalarUDFImpl for CastFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.to.clone())
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let [value] = arguments(self.name, args)?;
        let from = value.get_type(info.schema())?;
        Ok(ExprSimplifyResult::Simplified(spark_cast(value, &from, self.to.clone())))
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        internal_err!("{} is rewritten to a cast during optimisation and never invoked", self.name)
    }
}
