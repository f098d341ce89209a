//! Spark's higher-order functions (`transform`, `filter`, `exists`, `forall`,
//! `aggregate`/`reduce`, `zip_with`, `map_filter`, `transform_keys`, `transform_values`,
//! `map_zip_with`): each evaluates its lambda once over the flattened elements of every
//! row's array or map, with the columns the lambda captures spread to match.

mod aggregate;
mod elements;
mod lists;
mod maps;

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderSignature, HigherOrderUDF,
    HigherOrderUDFImpl, LambdaArgument, LambdaParametersProgress, ValueOrLambda, Volatility,
};

/// Every Spark higher-order function, ready to register.
pub fn all() -> Vec<Arc<HigherOrderUDF>> {
    vec![
        higher_order(lists::Transform),
        higher_order(lists::Filter),
        higher_order(lists::Quantifier { name: "exists", found: true }),
        higher_order(lists::Quantifier { name: "forall", found: false }),
        higher_order(lists::ZipWith),
        higher_order(aggregate::Aggregate { name: "aggregate" }),
        higher_order(aggregate::Aggregate { name: "reduce" }),
        higher_order(maps::MapFilter),
        higher_order(maps::TransformKeys),
        higher_order(maps::TransformValues),
        higher_order(maps::MapZipWith),
    ]
}

fn higher_order<F: LambdaFunction>(function: F) -> Arc<HigherOrderUDF> {
    Arc::new(HigherOrderUDF::new_from_impl(SparkHigherOrder {
        function,
        signature: HigherOrderSignature::variadic_any(Volatility::Immutable),
    }))
}

/// One Spark higher-order function: its value arguments come first, its lambdas after.
trait LambdaFunction: Debug + PartialEq + Eq + Hash + Send + Sync + 'static {
    /// Spark's name of the function.
    fn name(&self) -> &str;

    /// How many value arguments come before the lambdas, and how many lambdas (least, most).
    fn arity(&self) -> (usize, usize, usize);

    /// The parameters each lambda is called with, given the value arguments' fields.
    fn lambda_parameters(&self, values: &[FieldRef]) -> Result<Vec<Vec<FieldRef>>>;

    /// The result's field, given the value arguments' and the lambda bodies' fields.
    fn return_field(&self, values: &[FieldRef], lambdas: &[FieldRef]) -> Result<FieldRef>;

    /// Computes the result for `rows` rows.
    fn invoke(&self, call: Call<'_>) -> Result<ArrayRef>;
}

/// The evaluated arguments of one invocation.
struct Call<'a> {
    /// The value arguments, as arrays of `rows` rows.
    values: Vec<ArrayRef>,
    /// The lambdas, ready to evaluate.
    lambdas: Vec<&'a LambdaArgument>,
    /// The result's field.
    return_field: FieldRef,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SparkHigherOrder<F> {
    function: F,
    signature: HigherOrderSignature,
}

impl<F: LambdaFunction> SparkHigherOrder<F> {
    /// Splits `args` into values and lambdas, checking their order and counts.
    fn split<'a, V, L>(&self, args: &'a [ValueOrLambda<V, L>]) -> Result<(Vec<&'a V>, Vec<&'a L>)> {
        let (value_count, least, most) = self.function.arity();
        let name = self.function.name();
        let values: Vec<&V> = args
            .iter()
            .take(value_count)
            .filter_map(|a| match a {
                ValueOrLambda::Value(v) => Some(v),
                ValueOrLambda::Lambda(_) => None,
            })
            .collect();
        let lambdas: Vec<&L> = args
            .iter()
            .skip(value_count)
            .filter_map(|a| match a {
                ValueOrLambda::Lambda(l) => Some(l),
                ValueOrLambda::Value(_) => None,
            })
            .collect();
        let lambda_args = args.len().saturating_sub(value_count);
        if values.len() != value_count || lambdas.len() != lambda_args || !(least..=most).contains(&lambdas.len()) {
            let lambdas = if least == most { least.to_string() } else { format!("{least} or {most}") };
            return plan_err!(
                "[WRONG_NUM_ARGS] {name} takes {value_count} value argument(s) followed by {lambdas} lambda function(s)"
            );
        }
        Ok((values, lambdas))
    }
}

impl<F: LambdaFunction> HigherOrderUDFImpl for SparkHigherOrder<F> {
    fn name(&self) -> &str {
        self.function.name()
    }

    fn signature(&self) -> &HigherOrderSignature {
        &self.signature
    }

    fn lambda_parameters(
        &self,
        _step: usize,
        fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>],
    ) -> Result<LambdaParametersProgress> {
        let (values, lambdas) = self.split(fields)?;
        let values: Vec<FieldRef> = values.into_iter().cloned().collect();
        let mut parameters = self.function.lambda_parameters(&values)?;
        parameters.truncate(lambdas.len());
        Ok(LambdaParametersProgress::Complete(parameters))
    }

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        let (values, lambdas) = self.split(args.arg_fields)?;
        let values: Vec<FieldRef> = values.into_iter().cloned().collect();
        let lambdas: Vec<FieldRef> = lambdas.into_iter().cloned().collect();
        self.function.return_field(&values, &lambdas)
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let (values, lambdas) = self.split(&args.args)?;
        let values = values.into_iter().map(|v| v.to_array(args.number_rows)).collect::<Result<Vec<_>>>()?;
        let call = Call {
            values,
            lambdas,
            return_field: Arc::clone(&args.return_field),
        };
        Ok(ColumnarValue::Array(self.function.invoke(call)?))
    }
}

/// The field of a list's elements, or Spark's type error naming the function.
fn element_field(function: &str, list: &FieldRef) -> Result<FieldRef> {
    match list.data_type() {
        DataType::List(field) | DataType::LargeList(field) | DataType::FixedSizeList(field, _) => Ok(Arc::clone(field)),
        other => plan_err!(
            "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] {function} takes an ARRAY as its first argument, not {other}"
        ),
    }
}

/// The key and value fields of a map, or Spark's type error naming the function.
fn map_fields(function: &str, map: &FieldRef) -> Result<(FieldRef, FieldRef)> {
    if let DataType::Map(entries, _) = map.data_type()
        && let DataType::Struct(fields) = entries.data_type()
        && let [key, value] = fields.iter().collect::<Vec<_>>().as_slice()
    {
        return Ok((Arc::clone(key), Arc::clone(value)));
    }
    plan_err!(
        "[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] {function} takes a MAP as its first argument, not {}",
        map.data_type()
    )
}

/// The lambda at `index`, which [`SparkHigherOrder::split`] checked is there.
fn lambda<'a>(call: &Call<'a>, index: usize) -> Result<&'a LambdaArgument> {
    match call.lambdas.get(index) {
        Some(lambda) => Ok(lambda),
        None => datafusion::common::internal_err!("lambda {index} is missing"),
    }
}

/// The value argument at `index`, which [`SparkHigherOrder::split`] checked is there.
fn value<'a>(call: &'a Call<'_>, index: usize) -> Result<&'a ArrayRef> {
    match call.values.get(index) {
        Some(value) => Ok(value),
        None => datafusion::common::internal_err!("value argument {index} is missing"),
    }
}
