//! The rows Spark's array functions answer NULL for where DataFusion's answer a value
//! (a NULL array appended to, a NULL inner array flattened): DataFusion's result, nulled
//! where a mask says so.

use arrow::array::{Array, ArrayRef, BooleanArray};
use arrow::compute::nullif;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ColumnarValue;

/// `result` (of `rows` rows, one when every argument was a scalar) with the rows where
/// `null` is true set to NULL, as a scalar again when `all_scalars`.
pub fn null_where(result: ArrayRef, null: &BooleanArray, all_scalars: bool) -> Result<ColumnarValue> {
    columnar(nullif(&result, null)?, all_scalars)
}

/// `result` as a function's answer: its one row as a scalar when every argument was one.
pub fn columnar(result: ArrayRef, all_scalars: bool) -> Result<ColumnarValue> {
    if all_scalars {
        return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?));
    }
    Ok(ColumnarValue::Array(result))
}

/// Whether any of `inputs` is NULL, row by row.
pub fn any_null(inputs: &[ArrayRef], rows: usize) -> BooleanArray {
    (0..rows).map(|row| Some(inputs.iter().any(|input| input.is_null(row)))).collect()
}

/// The number of rows a function's arguments stand for: one when all are scalars.
pub fn rows_of(args: &[ColumnarValue], number_rows: usize) -> (usize, bool) {
    let all_scalars = args.iter().all(|arg| matches!(arg, ColumnarValue::Scalar(_)));
    (if all_scalars { 1 } else { number_rows }, all_scalars)
}
