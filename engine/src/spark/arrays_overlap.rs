//! Spark's `arrays_overlap(a, b)`: true when the arrays share a non-null element, else
//! NULL when both are non-empty and either holds a NULL, else false (DataFusion's
//! `array_has_any` never answers NULL).

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, OffsetSizeTrait};
use arrow::datatypes::DataType;
use arrow::row::{RowConverter, Rows, SortField};
use datafusion::common::{Result, exec_err};
use datafusion::functions_nested::array_has::array_has_any_udf;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature};

use crate::spark::null_rows::{columnar, rows_of};

/// `arrays_overlap` with Spark's three-valued answer.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ArraysOverlap {
    /// DataFusion's function, for its argument coercion.
    coercion: Arc<ScalarUDF>,
}

/// The function, ready to register.
pub fn spark_arrays_overlap() -> ScalarUDF {
    ScalarUDF::new_from_impl(ArraysOverlap { coercion: array_has_any_udf() })
}

/// Rows' element ranges and the list's elements, as [`element_ranges`] gives them.
type ElementRanges = (Vec<Option<(usize, usize)>>, ArrayRef);

/// Each row's element range (`None` for a NULL array) and the elements of a list array.
fn element_ranges(array: &ArrayRef) -> Result<ElementRanges> {
    fn of<O: OffsetSizeTrait>(array: &ArrayRef) -> ElementRanges {
        let list = array.as_list::<O>();
        let offsets = list.value_offsets();
        let ranges = (0..list.len())
            .map(|row| list.is_valid(row).then(|| (offsets[row].as_usize(), offsets[row + 1].as_usize())))
            .collect();
        (ranges, Arc::clone(list.values()))
    }
    match array.data_type() {
        DataType::List(_) => Ok(of::<i32>(array)),
        DataType::LargeList(_) => Ok(of::<i64>(array)),
        other => exec_err!("arrays_overlap takes arrays, not {other}"),
    }
}

/// The elements `range` of `values` (as comparable `rows`): the non-null ones, and
/// whether one was NULL.
struct Elements<'a> {
    range: (usize, usize),
    values: &'a ArrayRef,
    rows: &'a Rows,
}

impl Elements<'_> {
    fn len(&self) -> usize {
        self.range.1 - self.range.0
    }
}

/// Spark's answer for one pair of non-null arrays.
fn overlap(a: Elements<'_>, b: Elements<'_>) -> Option<bool> {
    let (smaller, bigger) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if smaller.len() == 0 {
        return Some(false);
    }
    let mut has_null = false;
    let mut seen = HashSet::new();
    for i in smaller.range.0..smaller.range.1 {
        if smaller.values.is_null(i) {
            has_null = true;
        } else {
            seen.insert(smaller.rows.row(i));
        }
    }
    for i in bigger.range.0..bigger.range.1 {
        if bigger.values.is_null(i) {
            has_null = true;
        } else if seen.contains(&bigger.rows.row(i)) {
            return Some(true);
        }
    }
    if has_null { None } else { Some(false) }
}

impl ScalarUDFImpl for ArraysOverlap {
    fn name(&self) -> &str {
        "arrays_overlap"
    }

    fn signature(&self) -> &Signature {
        self.coercion.signature()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.coercion.coerce_types(arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (rows, all_scalars) = rows_of(&args.args, args.number_rows);
        let arrays = args.args.iter().map(|arg| arg.to_array(rows)).collect::<Result<Vec<_>>>()?;
        let [a, b] = arrays.as_slice() else { return exec_err!("arrays_overlap takes 2 arrays") };
        let ((a_ranges, a_values), (b_ranges, b_values)) = (element_ranges(a)?, element_ranges(b)?);
        let converter = RowConverter::new(vec![SortField::new(a_values.data_type().clone())])?;
        let a_rows = converter.convert_columns(&[Arc::clone(&a_values)])?;
        let b_rows = converter.convert_columns(&[Arc::clone(&b_values)])?;
        let result: BooleanArray = a_ranges
            .iter()
            .zip(&b_ranges)
            .map(|pair| match pair {
                (Some(a), Some(b)) => overlap(
                    Elements { range: *a, values: &a_values, rows: &a_rows },
                    Elements { range: *b, values: &b_values, rows: &b_rows },
                ),
                _ => None,
            })
            .collect();
        columnar(Arc::new(result), all_scalars)
    }
}
