//! Encodes scalar subqueries that have run as the literals they stand for, so a stage
//! that uses one ships without the subquery's plan.

use crate::planner::subqueries::subquery_value;
use datafusion::error::Result;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Literal;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::physical_plan::to_proto::serialize_physical_expr_with_converter;
use datafusion_proto::physical_plan::{
    PhysicalExtensionCodec, PhysicalPlanDecodeContext, PhysicalPlanNodeExt, PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf::{PhysicalExprNode, PhysicalPlanNode};
use arrow::datatypes::Schema;
use std::sync::Arc;

/// DataFusion's own conversion, except that a scalar subquery expression whose value is
/// known is written as a literal of that value.
#[derive(Debug, Default)]
pub struct SubqueryLiterals;

impl PhysicalProtoConverterExtension for SubqueryLiterals {
    fn proto_to_execution_plan(
        &self,
        proto: &PhysicalPlanNode,
        ctx: &PhysicalPlanDecodeContext<'_>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.default_proto_to_execution_plan(proto, ctx)
    }

    fn execution_plan_to_proto(
        &self,
        plan: &Arc<dyn ExecutionPlan>,
        codec: &dyn PhysicalExtensionCodec,
    ) -> Result<PhysicalPlanNode> {
        PhysicalPlanNode::try_from_physical_plan_with_converter(Arc::clone(plan), codec, self)
    }

    fn proto_to_physical_expr(
        &self,
        proto: &PhysicalExprNode,
        input_schema: &Schema,
        ctx: &PhysicalPlanDecodeContext<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        self.default_proto_to_physical_expr(proto, input_schema, ctx)
    }

    fn physical_expr_to_proto(
        &self,
        expr: &Arc<dyn PhysicalExpr>,
        codec: &dyn PhysicalExtensionCodec,
    ) -> Result<PhysicalExprNode> {
        match subquery_value(expr)? {
            Some(value) => {
                let literal: Arc<dyn PhysicalExpr> = Arc::new(Literal::new(value));
                serialize_physical_expr_with_converter(&literal, codec, self)
            }
            None => serialize_physical_expr_with_converter(expr, codec, self),
        }
    }
}
