//! Spark's decimals stop at precision 38: a SQL literal with more digits
//! (`SELECT 123456789012345678901234567890123456789`) fails with
//! `DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION`, where DataFusion would make it a 256-bit
//! decimal and answer with a type Spark does not have.

use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr, LogicalPlan};

use crate::error::{FlintError, Result};

/// Spark's largest decimal precision.
pub const MAX_PRECISION: u8 = 38;

/// Fails, as Spark does, when `plan` holds a decimal literal wider than [`MAX_PRECISION`].
pub fn check(plan: &LogicalPlan) -> Result<()> {
    let mut too_wide = None;
    plan.apply_with_subqueries(|node| {
        node.apply_expressions(|expr| {
            expr.apply(|e| {
                if let Expr::Literal(ScalarValue::Decimal256(_, precision, _), _) = e
                    && *precision > MAX_PRECISION
                {
                    too_wide = Some(*precision);
                    return Ok(TreeNodeRecursion::Stop);
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    })?;
    match too_wide {
        Some(precision) => Err(FlintError::DecimalPrecisionExceedsMax { precision }),
        None => Ok(()),
    }
}
