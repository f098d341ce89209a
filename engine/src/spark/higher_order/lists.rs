//! Higher-order functions over arrays: `transform`, `filter`, `exists`, `forall`, `zip_with`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, ListArray, UInt32Array};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::Result;

use super::elements::{Elements, evaluate, predicate};
use super::{Call, LambdaFunction, element_field, lambda, value};

/// `transform(array, (x[, i]) -> y)`: each element mapped.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Transform;

/// `filter(array, (x[, i]) -> bool)`: the elements the predicate holds for.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Filter;

/// `exists(array, x -> bool)` (`found` true): true if the predicate holds for an element,
/// null if it is null for one and false for the others, false otherwise; and
/// `forall(array, x -> bool)` (`found` false): false if the predicate fails for an element,
/// null if it is null for one and true for the others, true otherwise.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Quantifier {
    /// `exists` or `forall`.
    pub(super) name: &'static str,
    /// The predicate's value that decides the answer at the first element having it.
    pub(super) found: bool,
}

/// `zip_with(left, right, (x, y) -> z)`: the arrays merged element by element, the
/// shorter padded with nulls.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct ZipWith;

/// Element and index parameters, for the functions whose lambda may take an index.
fn element_and_index(function: &str, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>> {
    let element = element_field(function, &values[0])?;
    Ok(vec![vec![element, Arc::new(Field::new("i", DataType::Int32, false))]])
}

/// An array of the lambda body's type, as `function` returns it.
fn list_of(function: &str, body: &FieldRef, nullable: bool) -> FieldRef {
    let element = Field::new(Field::LIST_FIELD_DEFAULT_NAME, body.data_type().clone(), true);
    Arc::new(Field::new(function, DataType::List(Arc::new(element)), nullable))
}

/// The element field of the array `call` returns.
fn returned_element(call: &Call<'_>) -> Result<FieldRef> {
    match call.return_field.data_type() {
        DataType::List(element) => Ok(Arc::clone(element)),
        other => datafusion::common::internal_err!("expected to return an array, not {other}"),
    }
}

/// Evaluates the lambda of `call` over the elements of its array argument.
fn over_elements(call: &Call<'_>) -> Result<(Elements, ArrayRef)> {
    let elements = Elements::of_list(value(call, 0)?)?;
    let positions: ArrayRef = Arc::new(elements.position_of_each());
    let result = evaluate(lambda(call, 0)?, &[Arc::clone(&elements.values), positions], &elements.row_of_each())?;
    Ok((elements, result))
}

impl LambdaFunction for Transform {
    fn name(&self) -> &str {
        "transform"
    }

    fn arity(&self) -> (usize, usize, usize) {
        (1, 1, 1)
    }

    fn lambda_parameters(&self, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>> {
        element_and_index(self.name(), values)
    }

    fn return_field(&self, values: &[FieldRef], lambdas: &[FieldRef]) -> Result<FieldRef> {
        Ok(list_of(self.name(), &lambdas[0], values[0].is_nullable()))
    }

    fn invoke(&self, call: Call<'_>) -> Result<ArrayRef> {
        let (elements, result) = over_elements(&call)?;
        elements.list(returned_element(&call)?, result)
    }
}

impl LambdaFunction for Filter {
    fn name(&self) -> &str {
        "filter"
    }

    fn arity(&self) -> (usize, usize, usize) {
        (1, 1, 1)
    }

    fn lambda_parameters(&self, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>> {
        element_and_index(self.name(), values)
    }

    fn return_field(&self, values: &[FieldRef], _lambdas: &[FieldRef]) -> Result<FieldRef> {
        let element = element_field(self.name(), &values[0])?;
        Ok(Arc::new(Field::new(self.name(), DataType::List(element), values[0].is_nullable())))
    }

    fn invoke(&self, call: Call<'_>) -> Result<ArrayRef> {
        let (elements, result) = over_elements(&call)?;
        let keep = predicate(self.name(), &result)?;
        let (values, lengths) = elements.filter(&keep)?;
        let element = returned_element(&call)?;
        Ok(Arc::new(ListArray::try_new(element, OffsetBuffer::from_lengths(lengths), values, elements.nulls.clone())?))
    }
}

/// The three-valued fold of `exists` (`found` true) and `forall` (`found` false):
/// `found` if any element gives it, null if any is null, `!found` otherwise.
fn quantify(function: &str, call: &Call<'_>, found: bool) -> Result<ArrayRef> {
    let elements = Elements::of_list(value(call, 0)?)?;
    let result = evaluate(lambda(call, 0)?, &[Arc::clone(&elements.values)], &elements.row_of_each())?;
    let outcomes = predicate(function, &result)?;
    let answers: BooleanArray = (0..elements.rows())
        .map(|row| {
            if elements.is_null(row) {
                return None;
            }
            let (start, end) = elements.range(row);
            let mut saw_null = false;
            for i in start..end {
                if outcomes.is_null(i) {
                    saw_null = true;
                } else if outcomes.value(i) == found {
                    return Some(found);
                }
            }
            if saw_null { None } else { Some(!found) }
        })
        .collect();
    Ok(Arc::new(answers))
}

/// The single element parameter of `exists` and `forall`.
fn element_only(function: &str, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>> {
    Ok(vec![vec![element_field(function, &values[0])?]])
}

impl LambdaFunction for Quantifier {
    fn name(&self) -> &str {
        self.name
    }

    fn arity(&self) -> (usize, usize, usize) {
        (1, 1, 1)
    }

    fn lambda_parameters(&self, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>> {
        element_only(self.name(), values)
    }

    fn return_field(&self, _values: &[FieldRef], _lambdas: &[FieldRef]) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(self.name(), DataType::Boolean, true)))
    }

    fn invoke(&self, call: Call<'_>) -> Result<ArrayRef> {
        quantify(self.name(), &call, self.found)
    }
}

impl LambdaFunction for ZipWith {
    fn name(&self) -> &str {
        "zip_with"
    }

    fn arity(&self) -> (usize, usize, usize) {
        (2, 1, 1)
    }

    fn lambda_parameters(&self, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>> {
        let left = element_field(self.name(), &values[0])?;
        let right = element_field(self.name(), &values[1])?;
        let nullable = |f: FieldRef| Arc::new(f.as_ref().clone().with_nullable(true));
        Ok(vec![vec![nullable(left), nullable(right)]])
    }

    fn return_field(&self, values: &[FieldRef], lambdas: &[FieldRef]) -> Result<FieldRef> {
        Ok(list_of(self.name(), &lambdas[0], values[0].is_nullable() || values[1].is_nullable()))
    }

    fn invoke(&self, call: Call<'_>) -> Result<ArrayRef> {
        let left = Elements::of_list(value(&call, 0)?)?;
        let right = Elements::of_list(value(&call, 1)?)?;
        let (mut left_take, mut right_take, mut rows, mut lengths) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let nulls = NullBuffer::union(left.nulls.as_ref(), right.nulls.as_ref());
        for row in 0..left.rows() {
            let ((ls, le), (rs, re)) = (left.range(row), right.range(row));
            let length = if nulls.as_ref().is_some_and(|n| n.is_null(row)) { 0 } else { (le - ls).max(re - rs) };
            for i in 0..length {
                left_take.push((ls + i < le).then_some((ls + i) as u32));
                right_take.push((rs + i < re).then_some((rs + i) as u32));
                rows.push(row as u32);
            }
            lengths.push(length);
        }
        let x = take(&left.values, &UInt32Array::from(left_take), None)?;
        let y = take(&right.values, &UInt32Array::from(right_take), None)?;
        let result = evaluate(lambda(&call, 0)?, &[x, y], &UInt32Array::from(rows))?;
        let element = returned_element(&call)?;
        Ok(Arc::new(ListArray::try_new(element, OffsetBuffer::from_lengths(lengths), result, nulls)?))
    }
}
