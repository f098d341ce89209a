//! Spark's `/`: dividing integers or floats gives a DOUBLE (`7 / 2` is `3.5`); DataFusion
//! would divide integers as integers.

use arrow::datatypes::DataType;
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{ExprSchemable, cast};
use datafusion::sql::sqlparser::ast::BinaryOperator;

/// Plans SQL `/` with Spark's result type.
#[derive(Debug, Default)]
pub struct SparkDivision;

impl ExprPlanner for SparkDivision {
    fn plan_binary_op(&self, expr: RawBinaryExpr, schema: &DFSchema) -> Result<PlannerResult<RawBinaryExpr>> {
        if expr.op != BinaryOperator::Divide {
            return Ok(PlannerResult::Original(expr));
        }
        let is_plain_number = |t: &DataType| t.is_integer() || t.is_floating() || t.is_null();
        let (left, right) = (expr.left.get_type(schema)?, expr.right.get_type(schema)?);
        if !(is_plain_number(&left) && is_plain_number(&right)) {
            return Ok(PlannerResult::Original(expr));
        }
        let as_double = |expr, data_type: DataType| match data_type {
            DataType::Float64 => expr,
            _ => cast(expr, DataType::Float64),
        };
        Ok(PlannerResult::Planned(as_double(expr.left, left) / as_double(expr.right, right)))
    }
}
