//! Spark's `concat`: strings and binaries as datafusion-spark's (NULL when any input is),
//! arrays concatenated by DataFusion's `array_concat`, NULL when any input array is.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::Result;
use datafusion::functions_nested::concat::ArrayConcat;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_spark::function::string::concat::SparkConcat;

use crate::spark::null_rows::{any_null, null_where, rows_of};

/// Spark's `concat` over strings, binaries or arrays.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Concat {
    strings: SparkConcat,
    arrays: ArrayConcat,
    signature: Signature,
}

/// The function, ready to register.
pub fn spark_concat() -> ScalarUDF {
    ScalarUDF::new_from_impl(Concat {
        strings: SparkConcat::new(),
        arrays: ArrayConcat::new(),
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

/// Whether `types` are arrays to concatenate (any of them is a list).
fn of_arrays(types: impl IntoIterator<Item = DataType>) -> bool {
    types.into_iter().any(|t| matches!(t, DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)))
}

impl ScalarUDFImpl for Concat {
    fn name(&self) -> &str {
        "concat"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if of_arrays(arg_types.iter().cloned()) {
            self.arrays.coerce_types(arg_types)
        } else {
            self.strings.coerce_types(arg_types)
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if of_arrays(arg_types.iter().cloned()) {
            self.arrays.return_type(arg_types)
        } else {
            self.strings.return_type(arg_types)
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs<'_>) -> Result<FieldRef> {
        if !of_arrays(args.arg_fields.iter().map(|f| f.data_type().clone())) {
            return self.strings.return_field_from_args(args);
        }
        let types: Vec<DataType> = args.arg_fields.iter().map(|f| f.data_type().clone()).collect();
        Ok(Arc::new(Field::new(self.name(), self.arrays.return_type(&types)?, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if !of_arrays(args.args.iter().map(ColumnarValue::data_type)) {
            return self.strings.invoke_with_args(args);
        }
        let (rows, all_scalars) = rows_of(&args.args, args.number_rows);
        let inputs = ColumnarValue::values_to_arrays(&args.args)?;
        let concatenated = self.arrays.invoke_with_args(args)?.into_array(rows)?;
        null_where(concatenated, &any_null(&inputs, rows), all_scalars)
    }
}
