//! The index check of Spark's `element_at(array, i)` under ANSI mode (Spark 4's default):
//! index 0 fails with INVALID_INDEX_OF_ZERO, an index past either end with
//! INVALID_ARRAY_INDEX_IN_ELEMENT_AT; `try_element_at` fails on 0 too but gives NULL past
//! the ends. The check passes the index through, for DataFusion's `array_element`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::compute::kernels::length::length;
use arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

use crate::spark::null_rows::{columnar, rows_of};

/// The index check of `element_at` (`out_of_range_fails`) or `try_element_at`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ElementAtIndex {
    out_of_range_fails: bool,
    signature: Signature,
}

/// Both checks, ready to register (executors resolve them by name).
pub fn all() -> Vec<ScalarUDF> {
    [true, false].into_iter().map(|fails| ScalarUDF::new_from_impl(ElementAtIndex::new(fails))).collect()
}

/// `index` checked against `array` as `element_at` (`out_of_range_fails`) or
/// `try_element_at` checks it.
pub fn checked_index(out_of_range_fails: bool, array: Expr, index: Expr) -> Expr {
    ScalarUDF::new_from_impl(ElementAtIndex::new(out_of_range_fails)).call(vec![array, index])
}

impl ElementAtIndex {
    fn new(out_of_range_fails: bool) -> Self {
        Self { out_of_range_fails, signature: Signature::any(2, Volatility::Immutable) }
    }

    /// The Spark function whose index this checks.
    fn function(&self) -> &'static str {
        if self.out_of_range_fails { "element_at" } else { "try_element_at" }
    }
}

impl ScalarUDFImpl for ElementAtIndex {
    fn name(&self) -> &str {
        if self.out_of_range_fails { "element_at_index" } else { "try_element_at_index" }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [array, index] = arrays.as_slice() else {
            return exec_err!("{} takes an array and an index", self.function());
        };
        let lengths = match array.data_type() {
            DataType::FixedSizeList(_, size) => {
                Arc::new(arrow::array::Int64Array::from(vec![i64::from(*size); array.len()])) as ArrayRef
            }
            _ => length(array.as_ref())?,
        };
        let lengths = cast(&lengths, &DataType::Int64)?;
        let lengths = lengths.as_primitive::<Int64Type>();
        let index = cast(index, &DataType::Int64)?;
        let indexes = index.as_primitive::<Int64Type>();
        for row in 0..indexes.len() {
            if indexes.is_null(row) || array.is_null(row) {
                continue;
            }
            let (i, n) = (indexes.value(row), lengths.value(row));
            if i == 0 {
                return exec_err!(
                    "[INVALID_INDEX_OF_ZERO] The index 0 is invalid. An index shall be either < 0 or > 0 (the first \
                     element has index 1). SQLSTATE: 22003"
                );
            }
            if self.out_of_range_fails && i.unsigned_abs() > n.unsigned_abs() {
                return exec_err!(
                    "[INVALID_ARRAY_INDEX_IN_ELEMENT_AT] The index {i} is out of bounds. The array has {n} elements. \
                     Use `try_element_at` to tolerate accessing element at invalid index and return NULL instead. \
                     SQLSTATE: 22003"
                );
            }
        }
        columnar(index, rows_of(&args.args, args.number_rows).1)
    }
}
