//! Spark's `avg`: for DECIMAL(p, s) input the result is DECIMAL(p + 4, s + 4) rounded
//! half-up, where DataFusion's avg truncates the last digit.
//!
//! The wrapper asks DataFusion's avg for one more digit of scale than Spark returns and
//! rounds it away with a decimal cast: truncating at s + 5 and then rounding at s + 4 is
//! exactly rounding half-up at s + 4.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::functions_aggregate::average::Avg;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature};

/// `avg` with Spark's rounding of decimal results.
#[derive(Debug, PartialEq, Eq, Hash, Default)]
pub struct SparkAvg {
    inner: Avg,
}

/// The `avg` aggregate function with Spark semantics, ready to register.
pub fn spark_avg() -> AggregateUDF {
    AggregateUDF::new_from_impl(SparkAvg::default())
}

/// One more digit of precision and scale than `result`, when `result` is a decimal that
/// has room for it.
fn with_extra_digit(result: &DataType) -> Option<DataType> {
    match result {
        DataType::Decimal128(p, s) if *p < 38 && *s < 38 => Some(DataType::Decimal128(p + 1, s + 1)),
        _ => None,
    }
}

impl SparkAvg {
    /// The arguments for the inner avg with a wider return type, and the type to round to.
    fn widened<'a>(&self, args: &AccumulatorArgs<'a>) -> Option<(AccumulatorArgs<'a>, DataType)> {
        let target = args.return_field.data_type().clone();
        let wide = with_extra_digit(&target)?;
        let field: FieldRef = Arc::new(Field::new(args.return_field.name(), wide, true));
        Some((AccumulatorArgs { return_field: field, ..args.clone() }, target))
    }
}

impl AggregateUDFImpl for SparkAvg {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.inner.state_fields(args)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        if args.is_distinct {
            return self.inner.accumulator(args);
        }
        match self.widened(&args) {
            Some((wide, target)) => Ok(Box::new(Rounding { inner: self.inner.accumulator(wide)?, target })),
            None => self.inner.accumulator(args),
        }
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        match self.widened(&args) {
            Some((wide, _)) if !args.is_distinct => self.inner.groups_accumulator_supported(wide),
            _ => self.inner.groups_accumulator_supported(args),
        }
    }

    fn create_groups_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        match self.widened(&args) {
            Some((wide, target)) if !args.is_distinct => {
                Ok(Box::new(Rounding { inner: self.inner.create_groups_accumulator(wide)?, target }))
            }
            _ => self.inner.create_groups_accumulator(args),
        }
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        match self.widened(&args) {
            Some((wide, target)) if !args.is_distinct => {
                Ok(Box::new(Rounding { inner: self.inner.create_sliding_accumulator(wide)?, target }))
            }
            _ => self.inner.create_sliding_accumulator(args),
        }
    }

    fn reverse_expr(&self) -> datafusion::logical_expr::ReversedUDAF {
        self.inner.reverse_expr()
    }
}

/// An accumulator of the widened avg whose results are rounded to `target`.
#[derive(Debug)]
struct Rounding<A: ?Sized> {
    inner: Box<A>,
    target: DataType,
}

impl Accumulator for Rounding<dyn Accumulator> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.inner.update_batch(values)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.inner.evaluate()?.cast_to(&self.target)
    }

    fn size(&self) -> usize {
        self.inner.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.inner.state()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.inner.merge_batch(states)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.inner.retract_batch(values)
    }

    fn supports_retract_batch(&self) -> bool {
        self.inner.supports_retract_batch()
    }
}

impl GroupsAccumulator for Rounding<dyn GroupsAccumulator> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.inner.update_batch(values, group_indices, opt_filter, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        Ok(arrow::compute::cast(&self.inner.evaluate(emit_to)?, &self.target)?)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        self.inner.state(emit_to)
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        self.inner.merge_batch(values, group_indices, total_num_groups)
    }

    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        self.inner.convert_to_state(values, opt_filter)
    }

    fn size(&self) -> usize {
        self.inner.size()
    }
}
