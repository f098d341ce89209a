//! Spark's `make_ym_interval(years, months)`: a `YEAR TO MONTH` interval (Arrow's
//! `Interval(YearMonth)`, a count of months).

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, IntervalYearMonthArray};
use arrow::datatypes::{DataType, Int32Type, IntervalUnit};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

/// `value` as `INT`s, as Spark casts the arguments of `make_ym_interval`.
fn as_int(value: &ColumnarValue, rows: usize) -> Result<ArrayRef> {
    Ok(arrow::compute::cast(&value.to_array(rows)?, &DataType::Int32)?)
}

/// `make_ym_interval(years, months)`; the client fills the missing arguments with 0.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MakeYmInterval {
    signature: Signature,
}

/// `make_ym_interval`, ready to register.
pub fn make_ym_interval() -> ScalarUDF {
    let signature = Signature::one_of(
        vec![TypeSignature::Any(2), TypeSignature::Nullary],
        Volatility::Immutable,
    );
    ScalarUDF::new_from_impl(MakeYmInterval { signature })
}

impl ScalarUDFImpl for MakeYmInterval {
    fn name(&self) -> &str {
        "make_ym_interval"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Interval(IntervalUnit::YearMonth))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = args.number_rows;
        let [years, months] = match args.args.as_slice() {
            [years, months] => [as_int(years, rows)?, as_int(months, rows)?],
            [] => [ScalarValue::Int32(Some(0)).to_array_of_size(rows)?, ScalarValue::Int32(Some(0)).to_array_of_size(rows)?],
            other => return exec_err!("[WRONG_NUM_ARGS] make_ym_interval takes 0 or 2 arguments, not {}", other.len()),
        };
        let (years, months) = (years.as_primitive::<Int32Type>(), months.as_primitive::<Int32Type>());
        let mut total = Vec::with_capacity(rows);
        for (y, m) in years.iter().zip(months.iter()) {
            total.push(match (y, m) {
                (Some(y), Some(m)) => match y.checked_mul(12).and_then(|ym| ym.checked_add(m)) {
                    Some(months) => Some(months),
                    None => return exec_err!("[ARITHMETIC_OVERFLOW] integer overflow in make_ym_interval({y}, {m})"),
                },
                _ => None,
            });
        }
        let result: ArrayRef = Arc::new(IntervalYearMonthArray::from(total));
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?)
        } else {
            ColumnarValue::Array(result)
        })
    }
}
