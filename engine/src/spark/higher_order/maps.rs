//! Higher-order functions over maps: `map_filter`, `transform_keys`, `transform_values`,
//! `map_zip_with`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, UInt32Array};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::{concat, take};
use arrow::datatypes::{Field, FieldRef};
use arrow::row::{RowConverter, SortField};
use datafusion::common::{Result, exec_err, plan_err};

use super::elements::{Elements, evaluate, map_array, map_type, predicate};
use super::{Call, LambdaFunction, lambda, map_fields, value};

/// `map_filter(map, (k, v) -> bool)`: the entries the predicate holds for.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct MapFilter;

/// `transform_keys(map, (k, v) -> k2)`: each key replaced; new keys must be distinct and
/// not null.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct TransformKeys;

/// `transform_values(map, (k, v) -> v2)`: each value replaced.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct TransformValues;

/// `map_zip_with(left, right, (k, v1, v2) -> v)`: the maps merged by key, a missing
/// value null.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct MapZipWith;

/// The key and value parameters of a `(map, (k, v) -> …)` function.
fn key_and_value(function: &str, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>> {
    let (key, value) = map_fields(function, &values[0])?;
    Ok(vec![vec![key, value]])
}

/// The map argument's entries and the lambda's result over them.
fn over_entries(call: &Call<'_>) -> Result<(Elements, ArrayRef)> {
    let elements = Elements::of_map(value(call, 0)?)?;
    let (keys, values) = elements.entries()?;
    let result = evaluate(lambda(call, 0)?, &[Arc::clone(keys), Arc::clone(values)], &elements.row_of_each())?;
    Ok((elements, result))
}

impl LambdaFunction for MapFilter {
    fn name(&self) -> &str {
        "map_filter"
    }

    fn arity(&self) -> (usize, usize, usize) {
        (1, 1, 1)
    }

    fn lambda_parameters(&self, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>> {
        key_and_value(self.name(), values)
    }

    fn return_field(&self, values: &[FieldRef], _lambdas: &[FieldRef]) -> Result<FieldRef> {
        Ok(Arc::new(values[0].as_ref().clone().with_name(self.name())))
    }

    fn invoke(&self, call: Call<'_>) -> Result<ArrayRef> {
        let (elements, result) = over_entries(&call)?;
        let keep = predicate(self.name(), &result)?;
        let (entries, lengths) = elements.filter(&keep)?;
        let Some(entries) = entries.as_struct_opt() else {
            return exec_err!("expected map entries, got {}", entries.data_type());
        };
        map_array(
            call.return_field.data_type(),
            OffsetBuffer::from_lengths(lengths),
            Arc::clone(entries.column(0)),
            Arc::clone(entries.column(1)),
            elements.nulls.clone(),
        )
    }
}

impl LambdaFunction for TransformKeys {
    fn name(&self) -> &str {
        "transform_keys"
    }

    fn arity(&self) -> (usize, usize, usize) {
        (1, 1, 1)
    }

    fn lambda_parameters(&self, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>> {
        key_and_value(self.name(), values)
    }

    fn return_field(&self, values: &[FieldRef], lambdas: &[FieldRef]) -> Result<FieldRef> {
        let (_, value) = map_fields(self.name(), &values[0])?;
        Ok(Arc::new(Field::new(self.name(), map_type(lambdas[0].data_type(), &value), values[0].is_nullable())))
    }

    fn invoke(&self, call: Call<'_>) -> Result<ArrayRef> {
        let (elements, keys) = over_entries(&call)?;
        check_keys(&elements, &keys)?;
        let (_, values) = elements.entries()?;
        elements.map(call.return_field.data_type(), keys, Arc::clone(values))
    }
}

/// Spark's errors for keys that are null or repeat within a map.
fn check_keys(elements: &Elements, keys: &ArrayRef) -> Result<()> {
    if keys.null_count() > 0 {
        return exec_err!("[NULL_MAP_KEY] Cannot use null as map key.");
    }
    let converter = RowConverter::new(vec![SortField::new(keys.data_type().clone())])?;
    let rows = converter.convert_columns(&[Arc::clone(keys)])?;
    for row in 0..elements.rows() {
        let (start, end) = elements.range(row);
        let mut seen = HashSet::new();
        for i in start..end {
            if !seen.insert(rows.row(i)) {
                let key = arrow::util::display::array_value_to_string(keys, i)?;
                return exec_err!(
                    "[DUPLICATED_MAP_KEY] Duplicate map key {key} was found, please check the input data. \
                     If you want to remove the duplicated keys, you can set \"spark.sql.mapKeyDedupPolicy\" to \
                     \"LAST_WIN\" so that the key inserted at last takes precedence."
                );
            }
        }
    }
    Ok(())
}

impl LambdaFunction for TransformValues {
    fn name(&self) -> &str {
        "transform_values"
    }

    fn arity(&self) -> (usize, usize, usize) {
        (1, 1, 1)
    }

    fn lambda_parameters(&self, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>> {
        key_and_value(self.name(), values)
    }

    fn return_field(&self, values: &[FieldRef], lambdas: &[FieldRef]) -> Result<FieldRef> {
        let (key, _) = map_fields(self.name(), &values[0])?;
        let value = Field::new("value", lambdas[0].data_type().clone(), true);
        Ok(Arc::new(Field::new(self.name(), map_type(key.data_type(), &value), values[0].is_nullable())))
    }

    fn invoke(&self, call: Call<'_>) -> Result<ArrayRef> {
        let (elements, values) = over_entries(&call)?;
        let (keys, _) = elements.entries()?;
        elements.map(call.return_field.data_type(), Arc::clone(keys), values)
    }
}

impl LambdaFunction for MapZipWith {
    fn name(&self) -> &str {
        "map_zip_with"
    }

    fn arity(&self) -> (usize, usize, usize) {
        (2, 1, 1)
    }

    fn lambda_parameters(&self, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>> {
        let (key, left) = map_fields(self.name(), &values[0])?;
        let (right_key, right) = map_fields(self.name(), &values[1])?;
        if key.data_type() != right_key.data_type() {
            return plan_err!(
                "[DATATYPE_MISMATCH.MAP_ZIP_WITH_DIFF_TYPES] map_zip_with takes two maps with keys of the same type, \
                 not {} and {}",
                key.data_type(),
                right_key.data_type()
            );
        }
        let nullable = |f: FieldRef| Arc::new(f.as_ref().clone().with_nullable(true));
        Ok(vec![vec![key, nullable(left), nullable(right)]])
    }

    fn return_field(&self, values: &[FieldRef], lambdas: &[FieldRef]) -> Result<FieldRef> {
        let (key, _) = map_fields(self.name(), &values[0])?;
        let value = Field::new("value", lambdas[0].data_type().clone(), true);
        let nullable = values[0].is_nullable() || values[1].is_nullable();
        Ok(Arc::new(Field::new(self.name(), map_type(key.data_type(), &value), nullable)))
    }

    fn invoke(&self, call: Call<'_>) -> Result<ArrayRef> {
        let left = Elements::of_map(value(&call, 0)?)?;
        let right = Elements::of_map(value(&call, 1)?)?;
        let ((left_keys, left_values), (right_keys, right_values)) = (left.entries()?, right.entries()?);
        // Keys of both maps side by side, compared as rows: the left map's keys in
        // order, then the right map's keys the left lacks.
        let all_keys = concat(&[left_keys.as_ref(), right_keys.as_ref()])?;
        let converter = RowConverter::new(vec![SortField::new(all_keys.data_type().clone())])?;
        let key_rows = converter.convert_columns(&[Arc::clone(&all_keys)])?;
        let shift = left_keys.len();
        let nulls = NullBuffer::union(left.nulls.as_ref(), right.nulls.as_ref());
        let (mut keys, mut lefts, mut rights, mut rows, mut lengths) = (vec![], vec![], vec![], vec![], vec![]);
        for row in 0..left.rows() {
            if nulls.as_ref().is_some_and(|n| n.is_null(row)) {
                lengths.push(0);
                continue;
            }
            let ((ls, le), (rs, re)) = (left.range(row), right.range(row));
            let right_of: HashMap<_, usize> = (rs..re).map(|i| (key_rows.row(shift + i), i)).collect();
            let before = keys.len();
            for i in ls..le {
                keys.push(i as u32);
                lefts.push(Some(i as u32));
                rights.push(right_of.get(&key_rows.row(i)).map(|j| *j as u32));
            }
            let left_set: HashSet<_> = (ls..le).map(|i| key_rows.row(i)).collect();
            for j in (rs..re).filter(|j| !left_set.contains(&key_rows.row(shift + j))) {
                keys.push((shift + j) as u32);
                lefts.push(None);
                rights.push(Some(j as u32));
            }
            rows.extend(std::iter::repeat_n(row as u32, keys.len() - before));
            lengths.push(keys.len() - before);
        }
        let keys = take(&all_keys, &UInt32Array::from(keys), None)?;
        let v1 = take(left_values, &UInt32Array::from(lefts), None)?;
        let v2 = take(right_values, &UInt32Array::from(rights), None)?;
        let result = evaluate(lambda(&call, 0)?, &[Arc::clone(&keys), v1, v2], &UInt32Array::from(rows))?;
        map_array(call.return_field.data_type(), OffsetBuffer::from_lengths(lengths), keys, result, nulls)
    }
}
