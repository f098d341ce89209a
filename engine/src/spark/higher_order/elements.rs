//! Arrays and maps seen as rows of flattened elements: the shape a lambda is evaluated over.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int32Array, ListArray, MapArray, StructArray, UInt32Array};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::{filter, take_arrays};
use arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::LambdaArgument;

/// Each row's elements as one range of a flat array.
pub(super) struct Elements {
    /// Where each row's elements start in `values`; one more entry than rows.
    offsets: Vec<usize>,
    /// The rows' elements (a map's entries), one after another.
    pub values: ArrayRef,
    /// Which rows are null.
    pub nulls: Option<NullBuffer>,
}

impl Elements {
    /// The elements of an array column.
    pub fn of_list(array: &ArrayRef) -> Result<Self> {
        match array.data_type() {
            DataType::List(_) => {
                let list = array.as_list::<i32>();
                Ok(Self::from_offsets(list.offsets().iter().map(|o| *o as usize), list.values(), list.nulls()))
            }
            DataType::LargeList(_) => {
                let list = array.as_list::<i64>();
                Ok(Self::from_offsets(list.offsets().iter().map(|o| *o as usize), list.values(), list.nulls()))
            }
            DataType::FixedSizeList(_, size) => {
                let list = array.as_fixed_size_list();
                let size = *size as usize;
                let offsets = (0..=list.len()).map(|i| (i + list.offset()) * size);
                Ok(Self::from_offsets(offsets, list.values(), list.nulls()))
            }
            other => exec_err!("expected an array, got {other}"),
        }
    }

    /// The entries of a map column, as a struct array of keys and values.
    pub fn of_map(array: &ArrayRef) -> Result<Self> {
        let Some(map) = array.as_map_opt() else {
            return exec_err!("expected a map, got {}", array.data_type());
        };
        let entries: ArrayRef = Arc::new(map.entries().clone());
        Ok(Self::from_offsets(map.offsets().iter().map(|o| *o as usize), &entries, map.nulls()))
    }

    fn from_offsets(offsets: impl Iterator<Item = usize>, values: &ArrayRef, nulls: Option<&NullBuffer>) -> Self {
        let offsets: Vec<usize> = offsets.collect();
        let start = offsets.first().copied().unwrap_or(0);
        let end = offsets.last().copied().unwrap_or(0);
        Self {
            offsets: offsets.iter().map(|o| o - start).collect(),
            values: values.slice(start, end - start),
            nulls: nulls.cloned(),
        }
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Where row `row`'s elements start and end in [`Self::values`].
    pub fn range(&self, row: usize) -> (usize, usize) {
        (self.offsets[row], self.offsets[row + 1])
    }

    /// Whether row `row` is null.
    pub fn is_null(&self, row: usize) -> bool {
        self.nulls.as_ref().is_some_and(|n| n.is_null(row))
    }

    /// The row each element belongs to, to spread captured columns over the elements.
    pub fn row_of_each(&self) -> UInt32Array {
        (0..self.rows()).flat_map(|row| std::iter::repeat_n(row as u32, self.range(row).1 - self.range(row).0)).collect()
    }

    /// Each element's position in its row, from 0 (Spark's lambda index argument).
    pub fn position_of_each(&self) -> Int32Array {
        (0..self.rows()).flat_map(|row| 0..(self.range(row).1 - self.range(row).0) as i32).collect()
    }

    /// A map's keys and values; errors for an array.
    pub fn entries(&self) -> Result<(&ArrayRef, &ArrayRef)> {
        match self.values.as_struct_opt() {
            Some(entries) if entries.num_columns() == 2 => Ok((entries.column(0), entries.column(1))),
            _ => exec_err!("expected map entries, got {}", self.values.data_type()),
        }
    }

    /// An array column with these rows' shape over `values` (one per element).
    pub fn list(&self, element: FieldRef, values: ArrayRef) -> Result<ArrayRef> {
        let offsets = OffsetBuffer::from_lengths(self.lengths());
        Ok(Arc::new(ListArray::try_new(element, offsets, values, self.nulls.clone())?))
    }

    /// A map column with these rows' shape over `keys` and `values` (one per element).
    pub fn map(&self, map_type: &DataType, keys: ArrayRef, values: ArrayRef) -> Result<ArrayRef> {
        map_array(map_type, OffsetBuffer::from_lengths(self.lengths()), keys, values, self.nulls.clone())
    }

    /// The rows' elements where `keep` is true (null counts as false), in their rows.
    pub fn filter(&self, keep: &BooleanArray) -> Result<(ArrayRef, Vec<usize>)> {
        let values = filter(&self.values, keep)?;
        let lengths = (0..self.rows())
            .map(|row| {
                let (start, end) = self.range(row);
                (start..end).filter(|i| keep.is_valid(*i) && keep.value(*i)).count()
            })
            .collect();
        Ok((values, lengths))
    }

    fn lengths(&self) -> Vec<usize> {
        self.offsets.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

/// A map column of `map_type` from offsets, keys, values and row nulls.
pub(super) fn map_array(
    map_type: &DataType,
    offsets: OffsetBuffer<i32>,
    keys: ArrayRef,
    values: ArrayRef,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef> {
    let DataType::Map(entries_field, sorted) = map_type else {
        return exec_err!("expected a map type, got {map_type}");
    };
    let DataType::Struct(fields) = entries_field.data_type() else {
        return exec_err!("expected map entries, got {}", entries_field.data_type());
    };
    let entries = StructArray::try_new(fields.clone(), vec![keys, values], None)?;
    Ok(Arc::new(MapArray::try_new(Arc::clone(entries_field), offsets, entries, nulls, *sorted)?))
}

/// Spark's map type with these key and value types (keys are never null).
pub(super) fn map_type(key: &DataType, value: &Field) -> DataType {
    let fields = Fields::from(vec![Field::new("key", key.clone(), false), value.clone().with_name("value")]);
    DataType::Map(Arc::new(Field::new("entries", DataType::Struct(fields), false)), false)
}

/// Evaluates `lambda` over elements: `params` gives each parameter's values, and
/// captured columns are spread with `rows` (the outer row of each element).
pub(super) fn evaluate(lambda: &LambdaArgument, params: &[ArrayRef], rows: &UInt32Array) -> Result<ArrayRef> {
    let len = rows.len();
    let closures: Vec<Box<dyn Fn() -> Result<ArrayRef> + '_>> =
        params.iter().map(|p| Box::new(move || Ok(Arc::clone(p))) as Box<dyn Fn() -> Result<ArrayRef>>).collect();
    let refs: Vec<&dyn Fn() -> Result<ArrayRef>> = closures.iter().map(|c| c.as_ref()).collect();
    let result = lambda.evaluate(&refs, |captures| Ok(take_arrays(captures, rows, None)?))?;
    result.into_array(len)
}

/// The boolean result of a predicate lambda, or Spark's type error.
pub(super) fn predicate(function: &str, result: &ArrayRef) -> Result<BooleanArray> {
    match result.as_boolean_opt() {
        Some(b) => Ok(b.clone()),
        None if result.data_type() == &DataType::Null => Ok(BooleanArray::new_null(result.len())),
        None => exec_err!(
            "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] the lambda of {function} must return BOOLEAN, not {}",
            result.data_type()
        ),
    }
}
