//! `aggregate(array, zero, (acc, x) -> acc[, acc -> result])` (also named `reduce`): the
//! elements folded into an accumulator from left to right, then finished.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, UInt32Array};
use arrow::compute::{interleave, take};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, exec_err, plan_err};

use super::elements::{Elements, evaluate};
use super::{Call, LambdaFunction, element_field, lambda, value};

/// Spark's `aggregate`, under one of its names.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Aggregate {
    /// `aggregate` or `reduce`.
    pub name: &'static str,
}

impl LambdaFunction for Aggregate {
    fn name(&self) -> &str {
        self.name
    }

    fn arity(&self) -> (usize, usize, usize) {
        (2, 1, 2)
    }

    fn lambda_parameters(&self, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>> {
        let element = element_field(self.name, &values[0])?;
        let accumulator = Arc::new(Field::new("acc", nullable(values[1].data_type()), true));
        Ok(vec![vec![Arc::clone(&accumulator), element], vec![accumulator]])
    }

    fn return_field(&self, values: &[FieldRef], lambdas: &[FieldRef]) -> Result<FieldRef> {
        let merged = lambdas[0].data_type();
        if nullable(merged) != nullable(values[1].data_type()) {
            return plan_err!(
                "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] the merge function of {} returns {merged}, \
                 but the accumulator (its zero) is {}; cast the zero to the merged type",
                self.name,
                values[1].data_type()
            );
        }
        let result = lambdas.get(1).map_or_else(|| nullable(values[1].data_type()), |f| f.data_type().clone());
        Ok(Arc::new(Field::new(self.name, result, true)))
    }

    fn invoke(&self, call: Call<'_>) -> Result<ArrayRef> {
        let elements = Elements::of_list(value(&call, 0)?)?;
        let accumulator_type = nullable(value(&call, 1)?.data_type());
        let mut accumulator = cast(value(&call, 1)?, &accumulator_type)?;
        let merge = lambda(&call, 0)?;
        let longest = (0..elements.rows()).map(|row| elements.range(row).1 - elements.range(row).0).max().unwrap_or(0);
        for step in 0..longest {
            // The rows that still have an element at `step`, and those elements.
            let (rows, positions): (Vec<u32>, Vec<u32>) = (0..elements.rows())
                .filter_map(|row| {
                    let (start, end) = elements.range(row);
                    (start + step < end).then_some((row as u32, (start + step) as u32))
                })
                .unzip();
            let rows = UInt32Array::from(rows);
            let acc = take(&accumulator, &rows, None)?;
            let x = take(&elements.values, &UInt32Array::from(positions), None)?;
            let merged = cast(&evaluate(merge, &[acc, x], &rows)?, &accumulator_type)?;
            let mut next = 0;
            let picks: Vec<(usize, usize)> = (0..elements.rows())
                .map(|row| {
                    if rows.values().get(next).is_some_and(|r| *r as usize == row) {
                        next += 1;
                        (1, next - 1)
                    } else {
                        (0, row)
                    }
                })
                .collect();
            accumulator = interleave(&[accumulator.as_ref(), merged.as_ref()], &picks)?;
        }
        let all_rows = UInt32Array::from_iter_values(0..elements.rows() as u32);
        let result = match call.lambdas.get(1) {
            Some(finish) => evaluate(finish, &[accumulator], &all_rows)?,
            None => accumulator,
        };
        // A null array aggregates to null.
        let keep: UInt32Array = (0..elements.rows()).map(|row| (!elements.is_null(row)).then_some(row as u32)).collect();
        cast(&take(&result, &keep, None)?, call.return_field.data_type())
    }
}

/// `data_type` with every nested field nullable: the accumulator's type, whatever the
/// nullability of the zero and of the merge function's result.
fn nullable(data_type: &DataType) -> DataType {
    let field = |f: &FieldRef| Arc::new(Field::new(f.name(), nullable(f.data_type()), true));
    match data_type {
        DataType::Struct(fields) => DataType::Struct(fields.iter().map(field).collect()),
        DataType::List(element) => DataType::List(field(element)),
        other => other.clone(),
    }
}

/// `array` as `data_type`, which differs from its own type at most in nullability.
fn cast(array: &ArrayRef, data_type: &DataType) -> Result<ArrayRef> {
    if array.data_type() == data_type {
        return Ok(Arc::clone(array));
    }
    match arrow::compute::cast(array, data_type) {
        Ok(cast) => Ok(cast),
        Err(e) => exec_err!("cannot use {} as the accumulator type {data_type}: {e}", array.data_type()),
    }
}
