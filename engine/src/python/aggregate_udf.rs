//! Grouped-aggregate `@pandas_udf`s (Series to scalar, in `groupBy().agg`) as DataFusion
//! aggregate functions: each group's argument values are gathered (partial states are
//! lists of them, so the aggregate also splits into partial and final stages across
//! executors), and evaluating a group is one task on a pooled Python worker.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, ListArray};
use arrow::buffer::OffsetBuffer;
use arrow::compute::concat;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, TypeSignature, Volatility};

use crate::python::callable::{PythonCallable, argument_batch};
use crate::python::function::{PythonFunction, eval_type};
use crate::python::runner::run_one_batch;

/// A grouped-aggregate Python function.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PythonAggregateUdf {
    callable: PythonCallable,
}

impl PythonAggregateUdf {
    /// The aggregate of `function`, which must be a grouped-aggregate pandas UDF.
    pub fn try_new(function: PythonFunction) -> Result<Self> {
        if function.eval_type != eval_type::GROUPED_AGG_PANDAS_UDF {
            return Err(DataFusionError::NotImplemented(format!(
                "Python function {} of eval type {} as an aggregate",
                function.name, function.eval_type
            )));
        }
        let signature = Signature::one_of(vec![TypeSignature::VariadicAny], Volatility::Immutable);
        Ok(Self { callable: PythonCallable::new(function, signature)? })
    }

    /// The function it runs.
    pub fn function(&self) -> &PythonFunction {
        &self.callable.function
    }

    /// The DataFusion aggregate function.
    pub fn into_udaf(self) -> AggregateUDF {
        AggregateUDF::new_from_impl(self)
    }
}

impl AggregateUDFImpl for PythonAggregateUdf {
    fn name(&self) -> &str {
        &self.callable.function.name
    }

    fn signature(&self) -> &Signature {
        &self.callable.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.callable.return_type.clone())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let types = args.expr_fields.iter().map(|f| f.data_type().clone()).collect();
        Ok(Box::new(GatherAccumulator { callable: self.callable.clone(), types, values: Vec::new() }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(args
            .input_fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let item = Arc::new(Field::new("item", f.data_type().clone(), true));
                Arc::new(Field::new(format!("{}_values_{i}", args.name), DataType::List(item), true))
            })
            .collect())
    }
}

/// Gathers one group's argument values and evaluates the function on them.
#[derive(Debug)]
struct GatherAccumulator {
    callable: PythonCallable,
    types: Vec<DataType>,
    /// Chunks of values per argument.
    values: Vec<Vec<ArrayRef>>,
}

impl GatherAccumulator {
    fn gathered(&self) -> Result<Vec<ArrayRef>> {
        self.types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let chunks: Vec<&dyn Array> = self.values.get(i).map(|c| c.iter().map(|a| a.as_ref()).collect()).unwrap_or_default();
                if chunks.is_empty() { Ok(arrow::array::new_empty_array(t)) } else { Ok(concat(&chunks)?) }
            })
            .collect()
    }

    fn push(&mut self, arrays: impl IntoIterator<Item = ArrayRef>) {
        if self.values.is_empty() {
            self.values = vec![Vec::new(); self.types.len()];
        }
        for (chunks, array) in self.values.iter_mut().zip(arrays) {
            chunks.push(array);
        }
    }
}

impl Accumulator for GatherAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.push(values.iter().cloned());
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states
            .iter()
            .map(|s| s.as_any().downcast_ref::<ListArray>().cloned().ok_or_else(|| DataFusionError::Internal("Python aggregate state is not a list".into())))
            .collect::<Result<Vec<_>>>()?;
        let rows = lists.first().map(|l| l.len()).unwrap_or(0);
        for row in 0..rows {
            let arrays: Vec<ArrayRef> = lists.iter().map(|l| l.value(row)).collect();
            self.push(arrays);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(self
            .gathered()?
            .into_iter()
            .map(|values| {
                let item = Arc::new(Field::new("item", values.data_type().clone(), true));
                let offsets = OffsetBuffer::from_lengths([values.len()]);
                ScalarValue::List(Arc::new(ListArray::new(item, offsets, values, None)))
            })
            .collect())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let columns = self.gathered()?;
        let rows = columns.first().map_or(0, |c| c.len());
        let function = &self.callable.function;
        let results = run_one_batch(function, eval_type::GROUPED_AGG_PANDAS_UDF, &[], argument_batch(columns, rows)?, true)?;
        let result = results.first().ok_or_else(|| DataFusionError::Execution(format!("{} returned no result for a group", function.name)))?;
        ScalarValue::try_from_array(&self.callable.as_return_type(result)?, 0)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.iter().flatten().map(|a| a.get_array_memory_size()).sum::<usize>()
    }
}
