//! Spark types an integer literal that fits in 32 bits as `INT` (`SELECT 1` is `int`),
//! where DataFusion's SQL planner makes every one `BIGINT`.
//!
//! Only the columns a query answers with are narrowed: a literal that is one of the
//! final projection's columns (`SELECT 1 AS a`). Literals inside expressions stay
//! `BIGINT`, so that arithmetic over them keeps DataFusion's widening (`2147483647 + 1`
//! is 2147483648, not a wrapped `INT`); Spark's answer there (`int`, failing on overflow
//! under ANSI) needs overflow-checked arithmetic first.

use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Distinct, Expr, LogicalPlan, Projection};

use crate::error::Result;

/// `plan` with the integer literals among its output columns typed `INT` where they fit,
/// each keeping its column name.
pub fn narrow_output(plan: LogicalPlan) -> Result<LogicalPlan> {
    let narrowed = plan.transform_down(|node| match node {
        LogicalPlan::Projection(projection) if projection.expr.iter().any(|e| narrowed_literal(e).is_some()) => {
            let Projection { expr, input, .. } = projection;
            let expr = expr.into_iter().map(|e| narrowed_literal(&e).unwrap_or(e)).collect();
            let projection = Projection::try_new(expr, input)?;
            Ok(Transformed::new(LogicalPlan::Projection(projection), true, TreeNodeRecursion::Stop))
        }
        // Nodes whose output is their input's: the projection below is the answer's.
        LogicalPlan::Sort(_) | LogicalPlan::Limit(_) | LogicalPlan::Distinct(Distinct::All(_)) => Ok(Transformed::no(node)),
        other => Ok(Transformed::new(other, false, TreeNodeRecursion::Stop)),
    })?;
    Ok(narrowed.data)
}

/// `expr` (a literal, or an aliased one) as an `INT` literal under the same name, when it
/// is a `BIGINT` literal that fits in 32 bits.
fn narrowed_literal(expr: &Expr) -> Option<Expr> {
    let narrow = |e: &Expr| match e {
        Expr::Literal(ScalarValue::Int64(Some(v)), metadata) => {
            i32::try_from(*v).ok().map(|v| Expr::Literal(ScalarValue::Int32(Some(v)), metadata.clone()))
        }
        _ => None,
    };
    match expr {
        Expr::Alias(alias) => narrow(&alias.expr).map(|e| e.alias_qualified(alias.relation.clone(), alias.name.clone())),
        literal => narrow(literal).map(|e| e.alias(literal.schema_name().to_string())),
    }
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::DataType;
    use datafusion::prelude::SessionContext;

    use super::*;

    async fn output_types(sql: &str) -> Vec<(String, DataType)> {
        let ctx = SessionContext::new();
        let plan = ctx.state().create_logical_plan(sql).await.unwrap_or_else(|e| panic!("{e}"));
        let plan = narrow_output(plan).unwrap_or_else(|e| panic!("{e}"));
        plan.schema().fields().iter().map(|f| (f.name().clone(), f.data_type().clone())).collect()
    }

    #[tokio::test]
    async fn output_literals_that_fit_are_int() {
        assert_eq!(output_types("SELECT 1 AS a, 'x' AS b").await, [
            ("a".to_string(), DataType::Int32),
            ("b".to_string(), DataType::Utf8)
        ]);
        assert_eq!(output_types("SELECT 1 ORDER BY 1 LIMIT 1").await, [("Int64(1)".to_string(), DataType::Int32)]);
        assert_eq!(output_types("SELECT 2147483648 AS big").await, [("big".to_string(), DataType::Int64)]);
    }

    #[tokio::test]
    async fn literals_inside_expressions_stay_bigint() {
        assert_eq!(output_types("SELECT 2147483647 + 1 AS total").await, [("total".to_string(), DataType::Int64)]);
    }
}
