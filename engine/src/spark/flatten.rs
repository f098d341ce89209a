//! Spark's `flatten(array_of_arrays)` over DataFusion's: NULL when the array or any of
//! its inner arrays is NULL (DataFusion's skips NULL inner arrays).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, OffsetSizeTrait};
use arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::functions_nested::flatten::flatten_udf;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature};

use crate::spark::null_rows::{null_where, rows_of};

/// `flatten` with Spark's NULLs.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Flatten {
    inner: Arc<ScalarUDF>,
}

/// The function, ready to register.
pub fn spark_flatten() -> ScalarUDF {
    ScalarUDF::new_from_impl(Flatten { inner: flatten_udf() })
}

/// Whether each row of `arrays` (a list of lists) is NULL or holds a NULL list.
fn null_or_holding_null<O: OffsetSizeTrait>(arrays: &ArrayRef) -> BooleanArray {
    let list = arrays.as_list::<O>();
    let inner = list.values();
    (0..list.len())
        .map(|row| {
            let (start, end) = (list.value_offsets()[row].as_usize(), list.value_offsets()[row + 1].as_usize());
            Some(list.is_null(row) || (start..end).any(|i| inner.is_null(i)))
        })
        .collect()
}

impl ScalarUDFImpl for Flatten {
    fn name(&self) -> &str {
        "flatten"
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (rows, all_scalars) = rows_of(&args.args, args.number_rows);
        let Some(arrays) = args.args.first() else { return exec_err!("flatten takes one array") };
        let arrays = arrays.to_array(rows)?;
        let null = match arrays.data_type() {
            DataType::List(_) => null_or_holding_null::<i32>(&arrays),
            DataType::LargeList(_) => null_or_holding_null::<i64>(&arrays),
            _ => return self.inner.invoke_with_args(args),
        };
        let result = self.inner.invoke_with_args(args)?.into_array(rows)?;
        null_where(result, &null, all_scalars)
    }
}
