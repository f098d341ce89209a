//! Spark's `array_append(array, element)` and `array_prepend(array, element)` over
//! DataFusion's: NULL for a NULL array (DataFusion's make a one-element array), and
//! `array_prepend` takes the array first (DataFusion's takes the element first).

use std::sync::Arc;

use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, exec_err};
use datafusion::functions_nested::concat::{array_append_udf, array_prepend_udf};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::spark::null_rows::{any_null, null_where, rows_of};

/// `array_append` or `array_prepend` with Spark's argument order and NULL arrays.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ArrayWithElement {
    name: &'static str,
    inner: Arc<ScalarUDF>,
    /// Whether `inner` takes the element before the array.
    element_first: bool,
    signature: Signature,
}

/// Both functions, ready to register.
pub fn all() -> Vec<ScalarUDF> {
    [("array_append", array_append_udf(), false), ("array_prepend", array_prepend_udf(), true)]
        .into_iter()
        .map(|(name, inner, element_first)| {
            ScalarUDF::new_from_impl(ArrayWithElement {
                name,
                inner,
                element_first,
                signature: Signature::array_and_element(Volatility::Immutable),
            })
        })
        .collect()
}

impl ArrayWithElement {
    /// `items` (in Spark's order, array first) in the order `inner` takes them.
    fn inner_order<T>(&self, mut items: Vec<T>) -> Vec<T> {
        if self.element_first {
            items.reverse();
        }
        items
    }
}

impl ScalarUDFImpl for ArrayWithElement {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        datafusion::common::internal_err!("{} types its result from its argument fields", self.name)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs<'_>) -> Result<FieldRef> {
        let fields = self.inner_order(args.arg_fields.to_vec());
        let scalars = self.inner_order(args.scalar_arguments.to_vec());
        self.inner.return_field_from_args(ReturnFieldArgs { arg_fields: &fields, scalar_arguments: &scalars })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (rows, all_scalars) = rows_of(&args.args, args.number_rows);
        let Some(array) = args.args.first() else { return exec_err!("{} takes an array and an element", self.name) };
        let array = array.to_array(rows)?;
        let ScalarFunctionArgs { args: values, arg_fields, number_rows, return_field, config_options } = args;
        let inner_args = ScalarFunctionArgs {
            args: self.inner_order(values),
            arg_fields: self.inner_order(arg_fields),
            number_rows,
            return_field,
            config_options,
        };
        let result = self.inner.invoke_with_args(inner_args)?.into_array(rows)?;
        null_where(result, &any_null(&[array], rows), all_scalars)
    }
}
