//! Spark's `try_add`, `try_subtract`, `try_multiply`, `try_divide` and `try_mod`: the
//! operator's answer, or NULL where it overflows or divides by zero. Integers are
//! computed here, row by row with checked arithmetic, in the wider of the two types (as
//! Spark types `int + bigint`); a date plus or minus days is `date_add`/`date_sub`; other
//! types (intervals, decimals, floats) go to the operator itself.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use arrow::compute::cast;
use arrow::datatypes::{ArrowNativeTypeOp, ArrowPrimitiveType, DataType, Int8Type, Int16Type, Int32Type, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::type_coercion::binary::BinaryTypeCoercer;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, Operator, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility, binary_expr, cast as cast_expr, lit, when,
};
use datafusion_spark::function::datetime::expr_fn as spark_fn;

use crate::spark::null_rows::{columnar, rows_of};
use crate::spark::rewrites::{Rewrite, arguments};

/// An arithmetic operation of the try_* family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `try_add`
    Add,
    /// `try_subtract`
    Subtract,
    /// `try_multiply`
    Multiply,
    /// `try_mod`
    Mod,
}

impl Op {
    /// The operator the operation is over other types.
    fn operator(self) -> Operator {
        match self {
            Op::Add => Operator::Plus,
            Op::Subtract => Operator::Minus,
            Op::Multiply => Operator::Multiply,
            Op::Mod => Operator::Modulo,
        }
    }

    /// `x op y`, `None` on overflow or a zero divisor.
    fn apply<N: ArrowNativeTypeOp>(self, x: N, y: N) -> Option<N> {
        match self {
            Op::Add => x.add_checked(y).ok(),
            Op::Subtract => x.sub_checked(y).ok(),
            Op::Multiply => x.mul_checked(y).ok(),
            Op::Mod => x.mod_checked(y).ok(),
        }
    }
}

/// Every function of this module, ready to register: the try_* rewrites and the
/// checked integer operations they rewrite to (executors resolve those by name).
pub fn all() -> Vec<ScalarUDF> {
    let any2 = || Signature::any(2, Volatility::Immutable);
    let rewrites = vec![
        Rewrite::new("try_add", any2(), |t| result_type(Op::Add, t), |args, info| try_op(Op::Add, args, info)),
        Rewrite::new("try_subtract", any2(), |t| result_type(Op::Subtract, t), |args, info| {
            try_op(Op::Subtract, args, info)
        }),
        Rewrite::new("try_multiply", any2(), |t| result_type(Op::Multiply, t), |args, info| {
            try_op(Op::Multiply, args, info)
        }),
        Rewrite::new("try_mod", any2(), |t| result_type(Op::Mod, t), |args, info| try_op(Op::Mod, args, info)),
        Rewrite::new("try_divide", any2(), divide_type, try_divide),
    ];
    let checked = [Op::Add, Op::Subtract, Op::Multiply, Op::Mod].map(|op| ScalarUDF::new_from_impl(CheckedIntegers::new(op)));
    rewrites.into_iter().map(ScalarUDF::new_from_impl).chain(checked).collect()
}

/// The wider of two integer types, `None` unless both are signed integers.
fn wider_integer(left: &DataType, right: &DataType) -> Option<DataType> {
    let width = |t: &DataType| match t {
        DataType::Int8 => Some(1),
        DataType::Int16 => Some(2),
        DataType::Int32 => Some(3),
        DataType::Int64 => Some(4),
        _ => None,
    };
    let (l, r) = (width(left)?, width(right)?);
    Some(if l >= r { left.clone() } else { right.clone() })
}

/// Whether `t` is a DATE and `other` an integer: the days `try_add`/`try_subtract` shift it by.
fn date_and_days(t: &DataType, other: &DataType) -> bool {
    matches!(t, DataType::Date32) && other.is_integer()
}

fn result_type(op: Op, types: &[DataType]) -> Result<DataType> {
    let [left, right] = types else { return plan_err!("[WRONG_NUM_ARGS] try_* takes 2 arguments") };
    if let Some(integer) = wider_integer(left, right) {
        return Ok(integer);
    }
    if matches!(op, Op::Add | Op::Subtract) && date_and_days(left, right) {
        return Ok(DataType::Date32);
    }
    if op == Op::Add && date_and_days(right, left) {
        return Ok(DataType::Date32);
    }
    operator_type(left, op.operator(), right)
}

/// The type of `left op right` as DataFusion's operator computes it.
fn operator_type(left: &DataType, op: Operator, right: &DataType) -> Result<DataType> {
    BinaryTypeCoercer::new(left, &op, right).get_result_type()
}

/// `try_add`, `try_subtract`, `try_multiply` or `try_mod` of two expressions.
fn try_op(op: Op, args: Vec<Expr>, info: &SimplifyContext) -> Result<Expr> {
    let [left, right] = arguments("try_*", args)?;
    let (lt, rt) = (left.get_type(info.schema())?, right.get_type(info.schema())?);
    if let Some(integer) = wider_integer(&lt, &rt) {
        let call = ScalarUDF::new_from_impl(CheckedIntegers::new(op));
        return Ok(call.call(vec![cast_expr(left, integer.clone()), cast_expr(right, integer)]));
    }
    let days = |e: Expr| cast_expr(e, DataType::Int32);
    match op {
        Op::Add if date_and_days(&lt, &rt) => Ok(spark_fn::date_add(left, days(right))),
        Op::Add if date_and_days(&rt, &lt) => Ok(spark_fn::date_add(right, days(left))),
        Op::Subtract if date_and_days(&lt, &rt) => Ok(spark_fn::date_sub(left, days(right))),
        _ => {
            // Rewritten after type coercion, so the operands are cast here as coercion would.
            let (coerced_left, coerced_right) = BinaryTypeCoercer::new(&lt, &op.operator(), &rt).get_input_types()?;
            let (left, right) = (cast_expr(left, coerced_left), cast_expr(right, coerced_right.clone()));
            let result = binary_expr(left, op.operator(), right.clone());
            if op == Op::Mod && coerced_right.is_floating() {
                let (zero, null) = (ScalarValue::new_zero(&coerced_right)?, ScalarValue::try_from(&coerced_right)?);
                return when(right.eq(lit(zero)), lit(null)).otherwise(result);
            }
            Ok(result)
        }
    }
}

fn divide_type(types: &[DataType]) -> Result<DataType> {
    match types {
        [left, right] if [left, right].iter().all(|t| t.is_integer() || t.is_floating()) => {
            Ok(DataType::Float64)
        }
        [left, right] => operator_type(left, Operator::Divide, right),
        _ => plan_err!("[WRONG_NUM_ARGS] try_divide takes 2 arguments"),
    }
}

/// `try_divide(a, b)`: numbers divide as DOUBLE, NULL for a zero divisor; other types
/// go to the `/` operator.
fn try_divide(args: Vec<Expr>, info: &SimplifyContext) -> Result<Expr> {
    let [left, right] = arguments("try_divide", args)?;
    let (lt, rt) = (left.get_type(info.schema())?, right.get_type(info.schema())?);
    let numbers = |t: &DataType| t.is_integer() || t.is_floating();
    if !numbers(&lt) || !numbers(&rt) {
        return Ok(binary_expr(left, Operator::Divide, right));
    }
    let (left, right) = (cast_expr(left, DataType::Float64), cast_expr(right, DataType::Float64));
    when(right.clone().eq(lit(0.0)), lit(ScalarValue::Float64(None))).otherwise(left / right)
}

/// An integer operation that gives NULL where it overflows (or divides by zero).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CheckedIntegers {
    op: Op,
    signature: Signature,
}

impl CheckedIntegers {
    fn new(op: Op) -> Self {
        Self { op, signature: Signature::any(2, Volatility::Immutable) }
    }
}

/// `left op right` row by row over integers of type `T`.
fn checked<T: ArrowPrimitiveType>(op: Op, left: &ArrayRef, right: &ArrayRef) -> ArrayRef {
    let (left, right) = (left.as_primitive::<T>(), right.as_primitive::<T>());
    let out: PrimitiveArray<T> = left
        .iter()
        .zip(right.iter())
        .map(|pair| match pair {
            (Some(x), Some(y)) => op.apply(x, y),
            _ => None,
        })
        .collect();
    Arc::new(out)
}

impl ScalarUDFImpl for CheckedIntegers {
    fn name(&self) -> &str {
        match self.op {
            Op::Add => "checked_add",
            Op::Subtract => "checked_subtract",
            Op::Multiply => "checked_multiply",
            Op::Mod => "checked_mod",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types.first().cloned().unwrap_or(DataType::Int64))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (_, all_scalars) = rows_of(&args.args, args.number_rows);
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [left, right] = arrays.as_slice() else { return exec_err!("{} takes 2 arguments", self.name()) };
        let right = cast(right, left.data_type())?;
        let result = match left.data_type() {
            DataType::Int8 => checked::<Int8Type>(self.op, left, &right),
            DataType::Int16 => checked::<Int16Type>(self.op, left, &right),
            DataType::Int32 => checked::<Int32Type>(self.op, left, &right),
            DataType::Int64 => checked::<Int64Type>(self.op, left, &right),
            other => return exec_err!("{} takes integers, not {other}", self.name()),
        };
        columnar(result, all_scalars)
    }
}
