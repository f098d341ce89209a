//! Scalar Python UDFs (`@udf`, `@udf(useArrow=True)`, `@pandas_udf` Series to Series)
//! as DataFusion scalar functions: each batch is one task on a pooled Python worker, so
//! they run wherever the expression runs (projections, filters, SQL after
//! `spark.udf.register`, on the driver or on executors).

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

use crate::python::callable::{PythonCallable, argument_batch};
use crate::python::error::PythonError;
use crate::python::function::{PythonFunction, eval_type, spark_json_type};
use crate::python::runner::run_one_batch;

/// A scalar Python function callable from DataFusion expressions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PythonScalarUdf {
    callable: PythonCallable,
}

impl PythonScalarUdf {
    /// The UDF of `function`, which must be of a scalar eval type.
    pub fn try_new(function: PythonFunction) -> Result<Self> {
        if !matches!(
            function.eval_type,
            eval_type::BATCHED_UDF | eval_type::ARROW_BATCHED_UDF | eval_type::SCALAR_PANDAS_UDF | eval_type::SCALAR_ARROW_UDF
        ) {
            return Err(DataFusionError::NotImplemented(format!(
                "Python function {} of eval type {} in an expression",
                function.name, function.eval_type
            )));
        }
        let volatility = if function.deterministic { Volatility::Immutable } else { Volatility::Volatile };
        let signature = Signature::one_of(vec![TypeSignature::Nullary, TypeSignature::VariadicAny], volatility);
        Ok(Self { callable: PythonCallable::new(function, signature)? })
    }

    /// The function it runs.
    pub fn function(&self) -> &PythonFunction {
        &self.callable.function
    }

    /// The DataFusion scalar function.
    pub fn into_udf(self) -> ScalarUDF {
        ScalarUDF::new_from_impl(self)
    }

    fn evaluate(&self, args: Vec<ArrayRef>, rows: usize) -> std::result::Result<ArrayRef, PythonError> {
        let function = &self.callable.function;
        let input = argument_batch(args, rows)?;
        // `@udf` without Arrow pickles rows in Spark; Flint gives the worker Arrow batches,
        // which PySpark's Arrow-batched path converts to the same Python values.
        let worker_eval_type = match function.eval_type {
            eval_type::BATCHED_UDF => eval_type::ARROW_BATCHED_UDF,
            other => other,
        };
        let mut eval_conf = Vec::new();
        if worker_eval_type == eval_type::ARROW_BATCHED_UDF {
            let input_type = spark_json_type(&DataType::Struct(input.schema().fields().clone()))?;
            eval_conf.push(("input_type".to_string(), input_type.to_string()));
        }
        let results = run_one_batch(function, worker_eval_type, &eval_conf, input, false)?;
        let parts: Vec<&dyn arrow::array::Array> = results.iter().map(|a| a.as_ref()).collect();
        let result = if parts.is_empty() {
            arrow::array::new_empty_array(&self.callable.return_type)
        } else {
            arrow::compute::concat(&parts)?
        };
        if result.len() != rows {
            return Err(PythonError::Protocol {
                what: format!("{} returned {} rows for {rows} input rows", function.name, result.len()),
            });
        }
        Ok(self.callable.as_return_type(&result)?)
    }
}

impl ScalarUDFImpl for PythonScalarUdf {
    fn name(&self) -> &str {
        &self.callable.function.name
    }

    fn signature(&self) -> &Signature {
        &self.callable.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.callable.return_type.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        if rows == 0 {
            return Ok(ColumnarValue::Array(arrow::array::new_empty_array(&self.callable.return_type)));
        }
        let arrays = args.args.iter().map(|a| a.to_array(rows)).collect::<Result<Vec<_>>>()?;
        Ok(ColumnarValue::Array(self.evaluate(arrays, rows)?))
    }
}
